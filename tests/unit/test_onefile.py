"""maillab-tui as one file: built from the checkout, pure Python, runs alone, says what an old
Python lacks; and pipx still installs the wheel offline from a folder of wheels."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from maillab_tui import __main__ as entry
from maillab_tui.sandbox.onefile import build, compiled_members
from tests.conftest import FIXTURES, ROOT

GOOD = str(FIXTURES / "chapters" / "good.md")


@pytest.fixture(scope="module")
def onefile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("onefile") / "maillab-tui")


def run_file(argv: list[str], tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the file with its own unpacking folder (not ~/.shiv) and nothing of this venv."""
    clean = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env={**clean, "SHIV_ROOT": str(tmp / "shiv"), **env})


def test_the_file_holds_no_compiled_code_and_carries_chapters_and_checks(onefile: Path) -> None:
    import zipfile

    assert compiled_members(onefile) == []
    names = set(zipfile.ZipFile(onefile).namelist())
    assert "site-packages/maillab_tui/_bundled/chapters/mail-server/ja.md" in names
    for module in (ROOT / "checks").glob("*.py"):
        assert f"site-packages/maillab_tui/_bundled/checks/{module.name}" in names
    for package in ("textual", "rich", "yaml", "pexpect", "ptyprocess", "sh", "markdown_it",
                    "mdit_py_plugins"):
        assert any(n.startswith(f"site-packages/{package}") for n in names), package
    assert onefile.read_bytes().startswith(b"#!/bin/sh\n")


def test_the_file_runs_by_itself_and_grades_a_chapter(onefile: Path, tmp_path: Path) -> None:
    version = run_file([str(onefile), "--version"], tmp_path)       # through the preamble
    assert version.returncode == 0 and version.stdout.startswith("maillab-tui "), version.stderr
    graded = run_file([sys.executable, str(onefile), "--check-only", "--chapter", GOOD,
                       "--host", "host2", "--platform", "debian12", "--format", "json"],
                      tmp_path)
    assert graded.returncode == 0, graded.stderr
    assert json.loads(graded.stdout)["verdict"] == "pass"
    bundled = run_file([sys.executable, str(onefile), "lint", "--help"], tmp_path)
    assert bundled.returncode == 0


def test_yaml_runs_on_its_python_parser_inside_the_file(onefile: Path, tmp_path: Path) -> None:
    probe = ("import yaml, maillab_tui; print(yaml.__with_libyaml__, yaml.safe_load('a: [1]'), "
             "maillab_tui.__file__, sep='|')")
    proc = run_file([sys.executable, str(onefile), "-c", probe], tmp_path, SHIV_INTERPRETER="1")
    assert proc.returncode == 0, proc.stderr
    libyaml, data, where = proc.stdout.strip().split("|")
    assert (libyaml, data) == ("False", "{'a': [1]}")
    assert where.startswith(str(tmp_path / "shiv"))               # not this checkout


def old_pythons() -> list[str]:
    """Pythons older than 3.11 on this machine (pyenv's, or python3.N on PATH)."""
    found = sorted(glob.glob("/root/.pyenv/versions/3.[6-9].*/bin/python3")
                   + glob.glob("/root/.pyenv/versions/3.10.*/bin/python3"))
    for name in ("python3.9", "python3.8", "python3.6"):
        path = subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True,
                              text=True).stdout.strip()
        if path and "pyenv/shims" not in path:
            found.append(path)
    return found


@pytest.mark.skipif(not old_pythons(), reason="no Python older than 3.11 on this machine "
                    "(the in-process test below covers the message)")
def test_an_older_python_prints_the_remedy_and_exits_2(onefile: Path, tmp_path: Path) -> None:
    for python in old_pythons():
        proc = run_file([python, str(onefile), "--version"], tmp_path)
        assert proc.returncode == 2, (python, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr, (python, proc.stderr)
        assert "sudo dnf install python3.11" in lines[0] and "3.11" in lines[0]


def test_the_remedy_names_the_python_and_the_package(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(entry.sys, "version_info", (3, 9, 18, "final", 0))
    assert entry.main() == 2
    err = capsys.readouterr().err
    assert "3.9.18" in err and "sudo dnf install python3.11" in err and "以上が必要" in err
    assert entry.remedy((3, 11, 0)).count("3.11.0") == 2


def test_pipx_installs_the_wheel_offline_from_a_wheelhouse(tmp_path: Path) -> None:
    """For those with an index: the wheel, its dependencies' wheels and pip's in a folder, then
    pipx with no index at all (PIP_NO_INDEX reaches every pip that pipx starts)."""
    pytest.importorskip("pipx")
    wheels = tmp_path / "wheelhouse"
    made = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation",
                           "--disable-pip-version-check", "-w", str(wheels), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    pip = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                          "--disable-pip-version-check", "-d", str(wheels), "pip"],
                         capture_output=True, text=True, timeout=600)  # pipx upgrades its pip
    assert pip.returncode == 0, pip.stderr
    assert {p.name.split("-")[0].lower() for p in wheels.glob("*.whl")} >= {
        "maillab_tui", "textual", "pyyaml", "pexpect"}
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
           "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin"),
           "PIPX_MAN_DIR": str(tmp_path / "man")}
    env.pop("VIRTUAL_ENV", None)
    wheel = next(wheels.glob("maillab_tui-*.whl"))
    installed = subprocess.run([sys.executable, "-m", "pipx", "install", str(wheel)],
                               capture_output=True, text=True, timeout=600, env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    proc = subprocess.run([str(tmp_path / "bin" / "maillab-tui"), "--version"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0 and proc.stdout.startswith("maillab-tui "), proc.stderr


def test_the_root_probe_runs_from_the_file_with_sudos_bare_environment(onefile: Path,
                                                                         tmp_path: Path) -> None:
    """The TUI runs root checks as `sudo <python> ... rootprobe`; sudo clears the environment,
    and the file's packages are on the path only after its bootstrap: the helper's command
    must carry the path itself (the student's path in tmux found this)."""
    show = ("import json; from maillab_tui import system; "
            "print(json.dumps(system.module_argv('maillab_tui.checking.rootprobe')))")
    made = run_file([sys.executable, str(onefile), "-c", show], tmp_path, SHIV_INTERPRETER="1")
    assert made.returncode == 0, made.stderr
    argv = json.loads(made.stdout)
    request = {"check": "shell", "params": {"command": "echo from-the-file"}, "host": "host1",
               "platform": "debian12", "values": {}, "secrets": [], "language": "en",
               "since": None, "checks_dirs": []}
    proc = subprocess.run(argv, input=json.dumps(request) + "\n", capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "from-the-file" in proc.stdout.strip().splitlines()[-1]
