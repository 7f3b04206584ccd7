"""The one subprocess layer for probes: bounded, never raising for a missing program."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


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
    timeout: float = 10.0,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Proc:
    """Run `argv` in its own process group; on timeout end the whole group and say so."""
    started = time.monotonic()
    merged = {**os.environ, "LC_ALL": "C", **(env or {})}
    merged["PATH"] = probe_path(merged.get("PATH"))
    try:
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=merged,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
    except FileNotFoundError:
        return Proc(tuple(argv), 127, "", f"{argv[0]}: command not found", 0.0, missing=True)
    except PermissionError as exc:
        return Proc(tuple(argv), 126, "", f"{argv[0]}: {exc}", 0.0)
    try:
        out, err = child.communicate(input=input, timeout=timeout)
        return Proc(tuple(argv), child.returncode, out, err, time.monotonic() - started)
    except subprocess.TimeoutExpired:
        _end_group(child)
        out, err = child.communicate()
        return Proc(
            tuple(argv), -1, out or "", err or "", time.monotonic() - started, timed_out=True
        )


def _end_group(child: subprocess.Popen[str]) -> None:
    """Terminate, then kill, the child's process group; reap the child."""
    for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def is_root() -> bool:
    """True when running with root's privileges."""
    return os.geteuid() == 0
