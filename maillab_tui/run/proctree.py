"""A command's whole family of processes, found through /proc, so that stopping it leaves nothing.

A command started in a session of its own (setsid, as every pty child is) keeps its session and
process group ids in all its children; programs that make sessions of their own (`sudo` with
`use_pty`) are still descendants by parent pid. Both are collected. A process is identified
by (pid, start time) so that a recycled pid is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")

ProcKey = tuple[int, int]  # (pid, start time in clock ticks)


@dataclass(frozen=True)
class ProcInfo:
    """One line of /proc/PID/stat, the fields that matter here."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    start: int
    state: str

    @property
    def key(self) -> ProcKey:
        """(pid, start time): unique for the life of the machine."""
        return (self.pid, self.start)

    @property
    def dead(self) -> bool:
        """A zombie (exited, waiting for its parent to reap it) or dead."""
        return self.state in ("Z", "X", "x")


def read_stat(pid: int) -> ProcInfo | None:
    """The process's /proc/PID/stat, or None when it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    rest = raw[raw.rfind(")") + 2 :].split()
    try:
        return ProcInfo(pid, int(rest[1]), int(rest[2]), int(rest[3]), int(rest[19]), rest[0])
    except (IndexError, ValueError):
        return None


def snapshot() -> dict[int, ProcInfo]:
    """Every process visible in /proc."""
    out: dict[int, ProcInfo] = {}
    for entry in os.scandir(PROC):
        if entry.name.isdigit():
            info = read_stat(int(entry.name))
            if info is not None:
                out[info.pid] = info
    return out


def family(leader: int, known: Iterable[ProcKey] = ()) -> dict[ProcKey, ProcInfo]:
    """Living processes in `leader`'s session or group, their descendants, and `known` ones."""
    procs = snapshot()
    members = {p.pid for p in procs.values() if leader in (p.sid, p.pgid) or p.pid == leader}
    members |= {pid for pid, start in known if pid in procs and procs[pid].start == start}
    children: dict[int, list[int]] = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p.pid)
    todo = list(members)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in members:
                members.add(child)
                todo.append(child)
    return {procs[pid].key: procs[pid] for pid in members if not procs[pid].dead}


def signal_family(members: Iterable[ProcInfo], sig: signal.Signals) -> None:
    """Send `sig` to each processand their process groups (skipping the gone and the denied)."""
    me, my_group = os.getpid(), os.getpgrp()
    groups = set()
    for p in members:
        if p.pid == me:
            continue
        groups.add(p.pgid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p.pid, sig)
    for pgid in groups:
        if pgid > 1 and pgid != my_group:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)


def wait_gone(leader: int, known: Iterable[ProcKey], timeout: float) -> dict[ProcKey, ProcInfo]:
    """Wait (bounded) until the family is empty; return what is still alive."""
    keys = set(known)
    deadline = time.monotonic() + timeout
    while True:
        left = family(leader, keys)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)
