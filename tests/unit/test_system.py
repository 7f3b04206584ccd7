"""The one subprocess layer: `system.run` on sh, `system.spawn` for what sh cannot serve."""

from __future__ import annotations

import os
import time
from pathlib import Path

from maillab_tui import system
from maillab_tui.sandbox.util import SandboxError, pid_alive
from maillab_tui.sandbox.util import run as sandbox_run


def test_output_exit_code_and_input() -> None:
    proc = system.run(["sh", "-c", "cat; echo err >&2; exit 3"], input="hello\n")
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "hello\n", "err\n")
    assert not proc.ok and not proc.timed_out and not proc.missing


def test_output_is_never_lost() -> None:
    # sh's own wait(timeout) can return before a quick command's output is read.
    runs = [system.run(["sh", "-c", "echo out; echo err >&2"]) for _ in range(60)]
    assert {(p.stdout, p.stderr) for p in runs} == {("out\n", "err\n")}


def test_stdin_is_empty_without_input() -> None:
    proc = system.run(["cat"], timeout=5)
    assert proc.ok and proc.stdout == "" and not proc.timed_out


def test_missing_and_not_executable(tmp_path: Path) -> None:
    missing = system.run(["maillab-no-such-program"])
    assert (missing.returncode, missing.missing) == (127, True)
    assert "command not found" in missing.stderr
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\necho hi\n")
    denied = system.run([str(script)])
    assert (denied.returncode, denied.missing) == (126, False)


def test_timeout_ends_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    proc = system.run(["sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"], timeout=0.5)
    assert proc.timed_out and proc.returncode == -1 and not proc.ok
    assert time.monotonic() - started < 10
    grandchild = int(pidfile.read_text())
    for _ in range(100):  # bounded: reaped by init within moments
        if not pid_alive(grandchild):
            break
        time.sleep(0.05)
    assert not pid_alive(grandchild)


def test_on_timeout_gets_the_pid() -> None:
    seen: list[int] = []
    proc = system.run(["sleep", "30"], timeout=0.3, on_timeout=seen.append)
    assert proc.timed_out and len(seen) == 1 and seen[0] > 0


def test_probe_environment_and_replaced_environment() -> None:
    probe = system.run(["sh", "-c", 'echo "$LC_ALL $PATH"'], env={"PATH": "/usr/bin:/bin"})
    assert probe.stdout.startswith("C /usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin")
    alone = system.run(["env"], env={"ONLY": "1"}, replace_env=True)
    assert "ONLY=1" in alone.stdout and "LC_ALL" not in alone.stdout


def test_merge_stderr_keeps_order() -> None:
    proc = system.run(["sh", "-c", "echo 1; echo 2 >&2; sleep 0.05; echo 3"], merge_stderr=True)
    assert proc.stdout == "1\n2\n3\n" and proc.stderr == ""


def test_undecodable_bytes_are_replaced() -> None:
    proc = system.run(["printf", "\\377ok"])
    assert proc.stdout == "\ufffdok"


def test_spawn_returns_at_once_in_a_session_of_its_own() -> None:
    child = system.spawn(["sleep", "30"])
    try:
        assert os.getsid(child.pid) == child.pid
    finally:
        child.kill()
        child.wait(timeout=5)


def test_sandbox_run_raises_with_the_command() -> None:
    try:
        sandbox_run(["sh", "-c", "echo broken >&2; exit 2"])
    except SandboxError as err:
        assert "exit 2" in str(err) and "broken" in str(err)
    else:
        raise AssertionError("a failing command passed")
    try:
        sandbox_run(["sleep", "30"], timeout=0.2)
    except SandboxError as err:
        assert "timed out" in str(err)
    else:
        raise AssertionError("a hung command passed")
    assert sandbox_run(["true"]).returncode == 0
