"""The one subprocess layer for non-interactive commands (probes, sandbox plumbing), on `sh`.

Bounded, never raising for a missing program or a failing command. What a learner interacts
with (passwd, mail, editors) runs under pexpect in `maillab_tui.run`; `spawn` below serves the
cases `sh` cannot: a process that must outlive this one (its PID recorded and ended by the
sandbox's teardown) and a reader we stop ourselves line by line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any


@dataclass(frozen=True)
class Proc:
    """What a finished (or timed-out) command left: exit code, output, and how long it took."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False
    missing: bool = False

    @property
    def ok(self) -> bool:
        """True when the command ran and exited 0."""
        return self.returncode == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """stdout and stderr together, stripped."""
        return "\n".join(part for part in (self.stdout.strip(), self.stderr.strip()) if part)


SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")
"""Where the servers' tools live (postconf, postfix, doveadm). A stock Debian 12 gives a user
other than root a PATH without them, so a learner's probes search them too."""


def probe_path(path: str | None) -> str:
    """`path` (a PATH value) with the sbin directories added at the end where they are missing."""
    dirs = [d for d in (path or "/usr/local/bin:/usr/bin:/bin").split(os.pathsep) if d]
    return os.pathsep.join([*dirs, *(d for d in SBIN_DIRS if d not in dirs)])


def run(
    argv: Sequence[str],
    *,
    timeout: float | None = 10.0,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    capture: bool = True,
    merge_stderr: bool = False,
    replace_env: bool = False,
    on_timeout: Callable[[int], None] | None = None,
) -> Proc:
    """Run `argv` (through `sh`) in a session of its own and wait for it, at most `timeout` s.

    Never raises for the command: a missing program is exit 127 with `missing`, a timeout
    ends the command's whole process group (SIGTERM, then SIGKILL) and sets `timed_out`.
    `env` is added to this process's environment (`replace_env`: used alone), with `LC_ALL=C`
    and the sbin directories on PATH so that probes read untranslated output. `capture=False`
    lets the output through to this process's stdout/stderr; `merge_stderr` captures both as
    stdout, in order; `on_timeout(pid)` runs before the group is ended (for commands such as
    nsenter that do not pass signals on).
    """
    import sh  # imported here: ~60 ms, paid by what runs commands, not by every start-up

    started = time.monotonic()
    merged = dict(env or {}) if replace_env else {**os.environ, "LC_ALL": "C", **(env or {})}
    merged["PATH"] = probe_path(merged.get("PATH"))
    where = tuple(argv)
    try:
        command = sh.Command(argv[0], search_paths=merged["PATH"].split(os.pathsep))
    except sh.CommandNotFound:
        exists = os.path.exists(argv[0]) and "/" in argv[0]
        reason = "permission denied (not executable)" if exists else "command not found"
        return Proc(where, 126 if exists else 127, "", f"{argv[0]}: {reason}", 0.0,
                    missing=not exists)
    streams: dict[str, Any] = {}
    if not capture:
        streams.update(_out=sys.stdout, _err=sys.stderr)
    elif merge_stderr:
        streams["_err_to_out"] = True
    try:
        child = command(
            *argv[1:], _bg=True, _bg_exc=False, _return_cmd=True, _new_session=True,
            _tty_out=False, _ok_code=_ANY_EXIT, _decode_errors="replace", _env=merged,
            _cwd=cwd, _in=input, **streams,
        )
    except OSError as exc:
        return Proc(where, 126, "", f"{argv[0]}: {exc.strerror or exc}", 0.0)
    ended = threading.Event()

    def end_group() -> None:
        ended.set()
        if on_timeout is not None:
            on_timeout(child.pid)
        _end_group(child)

    # sh's own wait(timeout) polls every 0.1 s and can return before the output is read; a
    # timer ending the group, with a plain wait, is exact and loses nothing.
    timer = threading.Timer(timeout, end_group) if timeout is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        child.wait()
    finally:
        if timer is not None:
            timer.cancel()
    return Proc(where, child.exit_code if not ended.is_set() else -1,
                _text(child.stdout) if capture else "",
                _text(child.stderr) if capture and not merge_stderr else "",
                time.monotonic() - started, timed_out=ended.is_set())


_ANY_EXIT = tuple(range(-64, 256))
"""Every exit status, and death by any signal, is an answer for the caller, not an error."""


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data or ""


def _end_group(child: Any) -> None:
    """Terminate, then kill, the child's process group (sh's RunningCommand)."""
    for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
        try:
            child.process.signal_group(sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not child.process.is_alive()[0]:
                return
            time.sleep(0.02)


def is_root() -> bool:
    """True when running with root's privileges."""
    return os.geteuid() == 0


def module_argv(module: str) -> list[str]:
    """The command that runs maillab-tui's `module` as `python -m` would, with this process's
    module path: through sudo (which clears PYTHONPATH) and from the one file (whose packages
    are on the path only once its bootstrap has run) alike."""
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    code = (f"import runpy, sys; sys.path[:0] = {paths!r}; "
            f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)")
    return [sys.executable, "-c", code]


def sudo_argv(argv: Sequence[str]) -> list[str]:
    """`argv` through sudo with the password on stdin (`-S`, no prompt text), asked every time
    (`-k`: a wrong password is noticed, never a cached one)."""
    return ["sudo", "-k", "-S", "-p", "", "--", *argv]


def spawn(
    argv: Sequence[str],
    *,
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    env: Mapping[str, str] | None = None,
    new_session: bool = True,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` and return at once, for what `sh` cannot serve.

    A daemon this process leaves behind (the hosts' nspawn, the lab's DNS server), whose PID
    the sandbox records and its teardown ends; a reader stopped by its owner (the journal
    follower); a command sharing this terminal (`sandbox exec`, `stdin=None`). `sh` keeps
    threads on every child it starts and reaps it itself, so none of these fit it.
    """
    return subprocess.Popen(
        list(argv), stdin=stdin, stdout=stdout, stderr=stderr,
        env=None if env is None else dict(env), start_new_session=new_session,
        preexec_fn=preexec_fn, close_fds=True,
    )
