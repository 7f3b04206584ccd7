"""Checks that the machine can run the sandbox, each failing with what to do about it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from maillab_tui.sandbox.util import SandboxError, which

PACKAGES_FILE = Path(__file__).with_name("host-packages.txt")

RUN_TOOLS = {
    "systemd-nspawn": "systemd-container",
    "nsenter": "util-linux",
    "losetup": "mount",
    "ip": "iproute2",
    "dnsmasq": "dnsmasq-base",
}
"""Tools needed to run a built lab, and the Debian package that provides each."""

BUILD_TOOLS = {
    "debootstrap": "debootstrap",
    "mkfs.ext4": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "apt-ftparchive": "apt-utils",
    "dpkg-deb": "dpkg",
    "chroot": "coreutils",
}
"""Tools needed to build the lab image."""


def require_root() -> None:
    """Raise SandboxError unless running as root."""
    if os.geteuid() != 0:
        raise SandboxError(
            "the sandbox needs root (it creates network namespaces, mounts and containers)",
            "run it with sudo, e.g. `sudo maillab-tui sandbox up`",
        )


def require_tools(tools: dict[str, str]) -> None:
    """Raise SandboxError naming the apt packages to install for any missing tool."""
    missing = {tool: pkg for tool, pkg in tools.items() if which(tool) is None}
    if missing:
        pkgs = " ".join(sorted(set(missing.values())))
        raise SandboxError(
            f"missing tools: {', '.join(sorted(missing))}",
            f"install them with `apt-get install {pkgs}` (or all the sandbox needs: "
            f"`apt-get install $(cat {PACKAGES_FILE})`)",
        )


def require_kernel() -> None:
    """Raise SandboxError if the kernel lacks overlayfs, ext4, loop devices or namespaces."""
    filesystems = Path("/proc/filesystems").read_text()
    for fs in ("overlay", "ext4"):
        if fs not in filesystems.split():
            raise SandboxError(
                f"this kernel has no {fs} filesystem",
                f"load it (`modprobe {fs}`) or use a kernel with CONFIG_"
                f"{'OVERLAY_FS' if fs == 'overlay' else 'EXT4_FS'}",
            )
    if not Path("/dev/loop-control").exists():
        raise SandboxError(
            "no loop device support (/dev/loop-control is missing)",
            "load the loop module (`modprobe loop`) or use a kernel with CONFIG_BLK_DEV_LOOP",
        )
    if not Path("/proc/self/ns/net").exists() or not Path("/proc/self/ns/cgroup").exists():
        raise SandboxError(
            "this kernel lacks network or cgroup namespaces",
            "use a kernel with CONFIG_NET_NS and CONFIG_CGROUPS",
        )
    if not Path("/sys/fs/cgroup").is_dir() or not any(Path("/sys/fs/cgroup").iterdir()):
        raise SandboxError("no cgroup filesystem is mounted at /sys/fs/cgroup",
                           "mount cgroup2 (or the v1 hierarchies) at /sys/fs/cgroup")


def require_space(path: Path, needed_mb: int, what: str, hint: str = "") -> None:
    """Raise SandboxError if the filesystem holding `path` has less than `needed_mb` free."""
    probe = path
    while not probe.exists():
        probe = probe.parent
    free_mb = shutil.disk_usage(probe).free // (1024 * 1024)
    if free_mb < needed_mb:
        raise SandboxError(
            f"not enough disk space for {what}: {free_mb} MB free on {probe}, "
            f"about {needed_mb} MB needed",
            hint or "free some space there, or point MAILLAB_SANDBOX_CACHE at a larger disk",
        )


def check_run() -> None:
    """Everything needed to run an already built lab."""
    require_root()
    require_tools(RUN_TOOLS)
    require_kernel()


def check_build() -> None:
    """Everything needed to build the lab image (the mirror is checked separately)."""
    require_tools(BUILD_TOOLS)
