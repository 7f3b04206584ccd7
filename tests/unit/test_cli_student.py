"""`--check-only --student NAME` (or MAILLAB_STUDENT): the results say whose machine this is."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import FIXTURES, ROOT

GOOD = str(FIXTURES / "chapters" / "good.md")
GRADE = ("--check-only", "--chapter", GOOD, "--host", "host2", "--platform", "debian12")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "MAILLAB_STUDENT"}
    return subprocess.run(
        [sys.executable, "-m", "maillab_tui", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**base, **(env or {})},
        timeout=60,
    )


def test_student_option_is_recorded_in_the_json() -> None:
    proc = cli(*GRADE, "--format", "json", "--student", "山田太郎")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["student"] == "山田太郎"
    # The keys that were there before are all still there.
    for key in ("tool", "version", "chapter", "host", "platform", "hostname", "language",
                "time", "duration", "score", "verdict", "counts", "checks"):  # fmt: skip
        assert key in data, key


def test_student_from_the_environment_and_the_option_wins(tmp_path) -> None:
    out = tmp_path / "r.json"
    proc = cli(*GRADE, "--format", "json", "-o", str(out), env={"MAILLAB_STUDENT": "鈴木花子"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["student"] == "鈴木花子"
    proc = cli(*GRADE, "--format", "json", "--student", "B", env={"MAILLAB_STUDENT": "A"})
    assert json.loads(proc.stdout)["student"] == "B"


def test_no_student_is_null() -> None:
    proc = cli(*GRADE, "--format", "json")
    assert json.loads(proc.stdout)["student"] is None


def test_student_in_the_text_table_title() -> None:
    proc = cli(*GRADE, "--student", "Yamada Taro", env={"COLUMNS": "160"})
    assert proc.returncode == 0, proc.stderr
    assert "Yamada Taro" in proc.stdout


def test_student_without_check_only_is_a_usage_error() -> None:
    proc = cli("--student", "X")
    assert proc.returncode == 2 and "--student goes with --check-only" in proc.stderr
