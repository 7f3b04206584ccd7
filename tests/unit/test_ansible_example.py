"""examples/ansible: the class-grading playbook uses only builtins and leaves a file per machine.

The structural tests always run. The playbook itself runs when ansible-playbook is on the PATH
(or MAILLAB_ANSIBLE_PLAYBOOK names it): against this machine over a local connection, with the
fixture chapter, plus a machine whose grading fails and one that cannot be reached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from maillab_tui.checking.classreport import load
from tests.conftest import FIXTURES, ROOT, ansible_playbook

EXAMPLE = ROOT / "examples" / "ansible"
TASK_KEYS = {
    "name", "block", "rescue", "always", "register", "when", "vars", "delegate_to",
    "delegate_facts", "run_once", "become", "changed_when", "failed_when",
    "ignore_unreachable", "loop", "environment",
}  # fmt: skip
PLAYBOOK = ansible_playbook()


def tasks(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for task in items:
        out.append(task)
        for key in ("block", "rescue", "always"):
            out += tasks(task.get(key, []))
    return out


def all_tasks() -> list[dict[str, Any]]:
    plays = yaml.safe_load((EXAMPLE / "grade.yml").read_text(encoding="utf-8"))
    return [t for play in plays for t in tasks(play["tasks"])]


def module(task: dict[str, Any]) -> str | None:
    keys = set(task) - TASK_KEYS
    assert len(keys) <= 1, (task.get("name"), keys)
    return keys.pop() if keys else None


def test_playbook_uses_only_ansible_builtin_modules() -> None:
    used = {module(t) for t in all_tasks()} - {None}
    assert used and all(m.startswith("ansible.builtin.") for m in used), used  # type: ignore[union-attr]
    assert {"ansible.builtin.command", "ansible.builtin.fetch", "ansible.builtin.copy"} <= used


def test_grade_task_accepts_failing_checks_and_fetches_per_machine() -> None:
    by_module: dict[str, list[dict[str, Any]]] = {}
    for task in all_tasks():
        by_module.setdefault(module(task) or "", []).append(task)
    (grade,) = [t for t in by_module["ansible.builtin.command"] if "--check-only" in str(t)]
    assert grade["failed_when"].replace(" ", "") == "maillab_grade.rcnotin[0,1]"
    for word in ("--check-only", "'json'", "'--student'", "lab_role", "'--output'"):
        assert word in grade["ansible.builtin.command"]["argv"], word
    (fetch,) = by_module["ansible.builtin.fetch"]
    assert fetch["ansible.builtin.fetch"]["dest"].endswith("/{{ inventory_hostname }}.json")
    records = [t for t in by_module["ansible.builtin.copy"] if "record" in t.get("vars", {})]
    # One written in the rescue (on the controller), one for machines that dropped out.
    assert len(records) == 2 and records[0]["delegate_to"] == "localhost"
    assert "maillab_recorded" in records[1]["when"] and "loop" in records[1]
    for record in records:
        assert record["vars"]["record"]["tool"] == "maillab-tui"
        assert {"unreachable", "failed", "student", "host"} <= set(record["vars"]["record"])


def test_inventory_names_a_student_and_a_role_for_every_host() -> None:
    inventory = yaml.safe_load((EXAMPLE / "inventory.yml").read_text(encoding="utf-8"))
    groups = inventory["students"]["children"]
    assert len(groups) >= 2
    for group in groups.values():
        assert group["vars"]["student"]
        roles = sorted(h["lab_role"] for h in group["hosts"].values())
        assert roles == ["host1", "host2"]


@pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook is not installed")
def test_playbook_syntax() -> None:
    proc = subprocess.run(
        [str(PLAYBOOK), "-i", "inventory.yml", "grade.yml", "--syntax-check"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook is not installed")
def test_playbook_run_leaves_a_result_or_record_for_every_machine(tmp_path: Path) -> None:
    maillab = [sys.executable, "-m", "maillab_tui"]
    wrapper = tmp_path / "maillab-tui"
    factors = tmp_path / "factors"
    wrapper.write_text(f'#!/bin/sh\necho "$MAILLAB_TIME_FACTOR" >> {factors}\ncd {ROOT}\n'
                       f'exec {" ".join(maillab)} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {
        "students": {
            "vars": {"ansible_become": False},
            "children": {
                "yamada": {
                    "vars": {"student": "山田太郎"},
                    "hosts": {
                        "yamada-host1": {**local, "lab_role": "host1",
                                         "maillab_remote_result": str(tmp_path / "r1.json")},
                        "yamada-host2": {**local, "lab_role": "host2",
                                         "maillab_remote_result": str(tmp_path / "r2.json")},
                    },
                },
                "abe": {
                    "vars": {"student": "阿部一郎"},
                    "hosts": {
                        "abe-host1": {**local, "lab_role": "host9",
                                      "maillab_remote_result": str(tmp_path / "r3.json")},
                        "abe-host2": {"ansible_host": "127.0.0.1", "ansible_port": 1,
                                      "lab_role": "host2"},
                    },
                },
            },
        }
    }  # fmt: skip
    (tmp_path / "inventory.yml").write_text(json.dumps(inventory), encoding="utf-8")
    results = tmp_path / "results"
    extra = {
        "maillab_results_dir": str(results),
        "maillab_command": str(wrapper),
        "maillab_time_factor": 0.5,
        "maillab_extra_args": ["--chapter", str(FIXTURES / "chapters" / "good.md"),
                               "--platform", "debian12"],
    }  # fmt: skip
    proc = subprocess.run(
        [str(PLAYBOOK), "-i", str(tmp_path / "inventory.yml"), str(EXAMPLE / "grade.yml"),
         "-e", json.dumps(extra)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = load([results])
    assert report.unreadable == []
    got = {Path(r.source).stem: r for r in report.rows}
    assert set(got) == {"yamada-host1", "yamada-host2", "abe-host1", "abe-host2"}
    assert got["yamada-host2"].status == "pass" and got["yamada-host2"].student == "山田太郎"
    assert got["yamada-host1"].host == "host1" and got["yamada-host1"].score is not None
    assert got["abe-host1"].status == "failed" and "host9" in got["abe-host1"].message
    assert got["abe-host2"].status == "unreachable" and got["abe-host2"].student == "阿部一郎"
    assert factors.read_text().split() == ["0.5"] * 3  # every machine that was graded
