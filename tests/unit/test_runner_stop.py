"""Cancel and timeout: Ctrl-C first, then the whole family is ended; nothing is left running."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from maillab_tui.run import BlockResult, PasswordPrompt, Runner, Stopping, Target, Timing
from tests.unit.runner_support import (
    Recorder,
    block,
    in_thread,
    processes_with,
    session_members,
    wait_for,
)

QUICK = Timing(interrupt_grace=0.5, terminate_grace=0.5, kill_wait=2.0)


def marker() -> str:
    """A sleep duration no other process uses, to find our sleeps in /proc."""
    return f"{random.randint(100_000, 999_999)}"


def cancel_after_start(runner: Runner, code: str, mark: str, **attrs: object,
                       ) -> tuple[BlockResult, Recorder, int]:
    """Start a block in a worker, wait until its processes run, cancel from this thread."""
    recorder = Recorder()
    run = runner.start(block(code, **attrs), recorder)
    thread, out = in_thread(run)
    wait_for(lambda: run.pid is not None and processes_with(mark))
    started = time.monotonic()
    runner.cancel()
    thread.join(15)
    assert not thread.is_alive(), "cancel did not return"
    assert time.monotonic() - started < 8
    assert run.pid is not None
    return out["result"], recorder, run.pid  # type: ignore[return-value]


def assert_nothing_left(mark: str, pid: int) -> None:
    wait_for(lambda: not processes_with(mark) and not session_members(pid), timeout=5)


def test_cancel_sleep() -> None:
    mark = marker()
    result, recorder, pid = cancel_after_start(Runner(Target(), timing=QUICK), f"sleep {mark}",
                                               mark)
    assert result.status == "cancelled" and not result.ok and not result.leftovers
    assert Stopping("interrupt", "cancel") in recorder.events
    assert_nothing_left(mark, pid)


def test_cancel_reaches_background_children() -> None:
    mark = marker()
    code = f"sh -c 'sleep {mark} & sleep {mark}; wait'"
    result, _, pid = cancel_after_start(Runner(Target(), timing=QUICK), code, mark)
    assert result.status == "cancelled" and not result.leftovers
    assert_nothing_left(mark, pid)


def test_cancel_right_after_start_reaches_a_child_in_a_session_of_its_own() -> None:
    # Only its parent links it to the family, and Ctrl-C ends the parent: the family must be
    # taken before Ctrl-C, not at the next periodic look (once a second).
    mark, other = marker(), marker()
    code = f"setsid sleep {other} & sleep {mark}; wait"
    runner = Runner(Target(), timing=QUICK)
    recorder = Recorder()
    run = runner.start(block(code), recorder)
    thread, out = in_thread(run)
    wait_for(lambda: run.pid is not None and processes_with(mark) and processes_with(other))
    runner.cancel()
    thread.join(15)
    assert not thread.is_alive()
    try:
        assert out["result"].status == "cancelled"  # type: ignore[attr-defined]
        wait_for(lambda: not processes_with(other), timeout=5)
    finally:
        for pid in processes_with(other):  # this test's own sleep, if the runner missed it
            os.kill(pid, signal.SIGKILL)


def test_cancel_a_program_ignoring_ctrl_c_and_sigterm_ends_with_sigkill() -> None:
    mark = marker()
    code = f"trap '' INT TERM; sleep {mark}"
    result, recorder, pid = cancel_after_start(Runner(Target(), timing=QUICK), code, mark)
    stages = [e.stage for e in recorder.events if isinstance(e, Stopping)]
    assert stages == ["interrupt", "terminate", "kill"]
    assert result.status == "cancelled" and not result.leftovers
    assert_nothing_left(mark, pid)


def test_cancel_a_follow_block_stops_it(tmp_path: Path) -> None:
    log = tmp_path / "maillog"
    log.write_text("first\n")
    mark = marker()
    code = f"tail -n +1 -f {log} --sleep-interval=0.1 & sleep {mark}; wait"
    runner = Runner(Target(), timing=QUICK)
    recorder = Recorder()
    run = runner.start(block(code, kind="follow"), recorder)
    thread, out = in_thread(run)
    wait_for(lambda: "first" in recorder.lines)
    with log.open("a") as handle:
        handle.write("second\n")
    wait_for(lambda: "second" in recorder.lines)
    run.cancel()
    thread.join(15)
    result: BlockResult = out["result"]  # type: ignore[assignment]
    assert result.status == "stopped" and result.ok
    assert run.pid is not None
    assert_nothing_left(mark, run.pid)
    assert not processes_with(str(log))


def test_hung_program_times_out() -> None:
    mark = marker()
    runner = Runner(Target(), timing=QUICK)
    started = time.monotonic()
    result = runner.run_block(block(f"echo started; sleep {mark}", timeout=0.5))
    assert time.monotonic() - started < 5
    assert result.status == "timeout" and result.output[0] == "started"
    assert result.message is not None and "after 0.5 s" in result.message.en
    assert not processes_with(mark)


def test_cancel_while_the_listener_is_asked_for_a_password() -> None:
    runner = Runner(Target(), timing=QUICK)

    class Slow(Recorder):
        def on_password_prompt(self, prompt: PasswordPrompt) -> str | None:
            runner.cancel()
            return "whatever"

    result = runner.run_block(block("printf 'Password: '; stty -echo; read p; echo got"), Slow())
    assert result.status == "cancelled" and "got" not in result.output


@pytest.mark.parametrize("kind", ["plain", "dialogue"])
def test_cancel_before_start_returns_promptly(kind: str) -> None:
    runner = Runner(Target(), timing=QUICK, autopilot=True)
    run = runner.start(block("sleep 30", kind=kind))
    run.cancel()
    started = time.monotonic()
    result = run.execute()
    assert result.status == "cancelled" and time.monotonic() - started < 5


def test_ctrl_c_never_signals_our_own_group_when_the_program_is_already_gone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A program that exits on the ^C leaves the terminal without a foreground group:
    # tcgetpgrp then says 0, and killpg(0) would be SIGINT to the TUI itself.
    from maillab_tui.run import session as session_module
    from maillab_tui.run.session import PtySession

    pty = PtySession(["sleep", "30"], dict(os.environ), 24, 80)
    pty.start()
    try:
        signalled: list[int] = []
        monkeypatch.setattr(pty, "_lflag", lambda: 0)  # raw mode, as sudo's or an editor's
        monkeypatch.setattr(session_module.os, "tcgetpgrp", lambda fd: 0)
        monkeypatch.setattr(session_module.os, "killpg",
                            lambda group, sig: signalled.append(group))
        pty.interrupt()
        assert 0 not in signalled and os.getpgrp() not in signalled
        assert signalled == [pty.pid]
    finally:
        monkeypatch.undo()
        pty.signal_family(signal.SIGKILL)
        pty.wait_gone(5)
        pty.close()
