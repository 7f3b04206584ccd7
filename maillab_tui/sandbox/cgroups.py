"""A cgroup per host (/sys/fs/cgroup/<hierarchy>/<lab>/<host>) on hybrid or unified machines."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_HIERARCHIES = ("systemd", "unified", "memory", "pids")


def unified_only() -> bool:
    """Whether the machine uses the unified (v2-only) cgroup hierarchy."""
    return (CGROUP_ROOT / "cgroup.controllers").is_file()


def hierarchies() -> list[Path]:
    """The hierarchy roots a host's cgroup is created in."""
    if unified_only():
        return [CGROUP_ROOT]
    return [CGROUP_ROOT / h for h in V1_HIERARCHIES if (CGROUP_ROOT / h).is_dir()]


def host_dirs(lab: str, host: str) -> list[Path]:
    """The host's cgroup directories, one per hierarchy."""
    return [root / lab / host for root in hierarchies()]


def lab_dirs(lab: str) -> list[Path]:
    """The lab's top cgroup directories, one per hierarchy."""
    return [root / lab for root in hierarchies()]


def create(lab: str, host: str) -> list[Path]:
    """Create the host's cgroup directories; return the cgroup.procs files to join."""
    procs = []
    for directory in host_dirs(lab, host):
        directory.mkdir(parents=True, exist_ok=True)
        procs.append(directory / "cgroup.procs")
    return procs


def join(procs_files: list[Path]) -> None:
    """Move the calling process into these cgroups (used in the child before exec)."""
    pid = str(os.getpid()).encode()
    for path in procs_files:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, pid)
        finally:
            os.close(fd)


def pids(lab: str, host: str | None = None) -> list[int]:
    """All processes in the lab's (or one host's) cgroups, recursively."""
    found: set[int] = set()
    tops = host_dirs(lab, host) if host else lab_dirs(lab)
    for top in tops:
        if not top.is_dir():
            continue
        # Cgroups come and go while we look (systemd in the host manages its subtree).
        for dirpath, _dirs, _files in os.walk(top, onerror=lambda _err: None):
            with contextlib.suppress(OSError, ValueError):
                found.update(int(x) for x in Path(dirpath, "cgroup.procs").read_text().split())
    return sorted(found)


def remove(lab: str, host: str | None = None) -> list[str]:
    """Remove the cgroup directories bottom-up; return those that could not be removed."""
    left = []
    tops = host_dirs(lab, host) if host else lab_dirs(lab)
    for top in tops:
        if not top.is_dir():
            continue
        walked = os.walk(top, topdown=False, onerror=lambda _err: None)
        for dirpath, _dirs, _files in walked:
            directory = Path(dirpath)
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                left.append(str(directory))
    return left


def memory_bytes(lab: str, host: str) -> int | None:
    """Memory charged to the host's cgroup (v1 memory.usage_in_bytes or v2 memory.current)."""
    candidates = [CGROUP_ROOT / "memory" / lab / host / "memory.usage_in_bytes",
                  CGROUP_ROOT / lab / host / "memory.current",
                  CGROUP_ROOT / "unified" / lab / host / "memory.current"]
    for path in candidates:
        with contextlib.suppress(OSError, ValueError):
            return int(path.read_text().strip())
    return None


def remaining(lab: str) -> list[str]:
    """The lab's cgroup directories that still exist (for checks after teardown)."""
    return [str(d) for d in lab_dirs(lab) if d.exists()]
