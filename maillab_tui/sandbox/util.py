"""Small helpers shared by the sandbox engine: errors, running commands, processes, paths."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from maillab_tui import system
from maillab_tui.system import Proc


class SandboxError(Exception):
    """A problem the user can fix: `str(err)` says what is wrong, `hint` what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def log(message: str) -> None:
    """Print a progress line for the person running the sandbox (to stderr)."""
    print(f"sandbox: {message}", file=sys.stderr, flush=True)


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    input: str | None = None,
    capture: bool = True,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    merge_stderr: bool = False,
) -> Proc:
    """Run a command on the machine (through `system.run`); raise SandboxError when it cannot
    run, times out, or fails and `check`. `env`, when given, is the command's whole environment.
    """
    proc = system.run(argv, timeout=timeout, input=input, capture=capture,
                      env=env, replace_env=env is not None, cwd=cwd,
                      merge_stderr=merge_stderr)
    if proc.missing:
        raise SandboxError(f"command not found: {argv[0]}")
    if proc.timed_out:
        raise SandboxError(f"timed out after {timeout} s: {' '.join(argv)}")
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip() if capture else ""
        tail = "\n".join(detail.splitlines()[-15:])
        raise SandboxError(f"`{' '.join(argv)}` failed (exit {proc.returncode})\n{tail}".rstrip())
    return proc


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this PID exists and is not a zombie."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the command name, which is in parentheses and may contain spaces.
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def reap(pid: int) -> None:
    """Collect the exit status of a child process if it is ours, so it does not stay a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_gone(pids: Sequence[int], timeout: float) -> bool:
    """Wait (bounded) until none of these processes is alive; True if they all went."""
    deadline = time.monotonic() + timeout
    while True:
        for pid in pids:
            reap(pid)
        if not any(pid_alive(p) for p in pids):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def kill(pid: int, sig: int = signal.SIGTERM) -> None:
    """Send a signal to one process by PID, ignoring a process that is already gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def children(pid: int) -> list[int]:
    """The direct children of a process (from /proc)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(x) for x in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def which(tool: str) -> str | None:
    """Find a tool on PATH, also looking in the sbin directories a non-login root shell may lack."""
    path = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"
    return shutil.which(tool, path=path)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another sandbox command holding {path} ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def mounted_under(prefix: Path) -> list[str]:
    """Mount points at or below a directory, deepest first (from /proc/self/mountinfo)."""
    points: list[str] = []
    base = str(prefix).rstrip("/")
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == base or point.startswith(base + "/"):
            points.append(point)
    return sorted(set(points), key=len, reverse=True)


def umount_all(prefix: Path) -> None:
    """Unmount everything at or below a directory (lazily if busy)."""
    for point in mounted_under(prefix):
        if run(["umount", point], check=False).returncode != 0:
            run(["umount", "-l", point], check=False)
