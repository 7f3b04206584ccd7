"""Parsers for the system tools' output the checks read: `firewall-cmd --list-all`, `lsblk -J`,
/proc/mounts, apt's history.log, `dnf info --installed`. Pure functions over text, no I/O,
so that every format (AlmaLinux's as well as Debian's) is tested against recorded output.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------- firewalld

# The port each firewalld service of the lab stands for (from /usr/lib/firewalld/services).
FIREWALL_SERVICE_PORTS: Mapping[str, str] = {
    "smtp": "25/tcp", "smtps": "465/tcp", "smtp-submission": "587/tcp", "imap": "143/tcp",
    "imaps": "993/tcp", "pop3": "110/tcp", "pop3s": "995/tcp", "dns": "53/udp", "ssh": "22/tcp",
    "http": "80/tcp", "https": "443/tcp",
}


@dataclass(frozen=True)
class FirewallZone:
    """One zone block of `firewall-cmd --list-all` (or `--list-all-zones`)."""

    name: str
    active: bool = False
    default: bool = False
    interfaces: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()

    def allows(self, service: str) -> bool:
        """True when the service, or the port it stands for, is open in this zone."""
        port = FIREWALL_SERVICE_PORTS.get(service)
        return service in self.services or (port is not None and port in self.ports)


_ZONE_HEADER = re.compile(r"^(\S+)(?:\s+\(([^)]*)\))?\s*$")


def parse_firewall_zones(text: str) -> list[FirewallZone]:
    """The zones in `firewall-cmd [--permanent] [--zone=Z] --list-all[-zones]` output.

    A zone starts with an unindented `public (active)` / `public (default, active)` / `public`
    line; its settings are indented `key: values` lines.
    """
    zones: list[FirewallZone] = []
    current: dict[str, Any] | None = None

    def close() -> None:
        if current is not None:
            zones.append(FirewallZone(**current))

    for raw in text.splitlines():
        if not raw.strip():
            continue
        if not raw[0].isspace():
            header = _ZONE_HEADER.match(raw.strip())
            if header is None:
                continue
            close()
            flags = [f.strip() for f in (header.group(2) or "").split(",")]
            current = {"name": header.group(1), "active": "active" in flags,
                       "default": "default" in flags}
            continue
        if current is None or ":" not in raw:
            continue
        key, _, value = raw.strip().partition(":")
        items = tuple(value.split())
        if key in ("interfaces", "sources", "services", "ports"):
            current[key] = items
    close()
    return zones




# --------------------------------------------------------------------------- disks


@dataclass(frozen=True)
class BlockDevice:
    """A block device from `lsblk -J -o NAME,LABEL,MOUNTPOINT,FSTYPE,TYPE`."""

    name: str
    label: str = ""
    mountpoint: str = ""
    fstype: str = ""
    type: str = ""

    @property
    def path(self) -> str:
        """The device node, e.g. /dev/sr0."""
        return self.name if self.name.startswith("/") else f"/dev/{self.name}"


def parse_lsblk(text: str) -> list[BlockDevice]:
    """Every device (partitions included) in `lsblk -J` output."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    out: list[BlockDevice] = []

    def walk(items: Iterable[Any]) -> None:
        for item in items:
            if not isinstance(item, dict):
                continue
            mountpoint = item.get("mountpoint")
            if mountpoint is None and isinstance(item.get("mountpoints"), list):
                mountpoint = next((m for m in item["mountpoints"] if m), None)
            out.append(BlockDevice(str(item.get("name") or ""), str(item.get("label") or ""),
                                   str(mountpoint or ""), str(item.get("fstype") or ""),
                                   str(item.get("type") or "")))
            walk(item.get("children") or [])

    walk(data.get("blockdevices") or [] if isinstance(data, dict) else [])
    return out


@dataclass(frozen=True)
class Mount:
    """One line of /proc/mounts."""

    device: str
    mountpoint: str
    fstype: str
    options: str = ""


def _unescape_mount(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mounts(text: str) -> list[Mount]:
    """The mounts in /proc/mounts (or /etc/mtab) text."""
    out: list[Mount] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            out.append(Mount(_unescape_mount(fields[0]), _unescape_mount(fields[1]), fields[2],
                             fields[3] if len(fields) > 3 else ""))
    return out


# --------------------------------------------------------------------------- package history


@dataclass(frozen=True)
class AptRun:
    """One transaction of /var/log/apt/history.log."""

    start: str
    commandline: str
    actions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    end: str = ""

    def touches(self, package: str) -> str | None:
        """The action (Install, Reinstall, Upgrade ...) this run did to `package`, or None."""
        for action, names in self.actions.items():
            if package in names:
                return action
        return None

    def package_files(self) -> list[str]:
        """The arguments of the command line that are package files (`./x.deb`, `/media/...deb`)."""
        try:
            words = shlex.split(self.commandline)
        except ValueError:
            words = self.commandline.split()
        return [w for w in words if w.endswith(".deb")]


_APT_PACKAGE = re.compile(r"(?:^|\), )([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)? \(")


def parse_apt_history(text: str) -> list[AptRun]:
    """The transactions of an apt history.log: `Start-Date`, `Commandline`, `Install: ...`."""
    runs: list[AptRun] = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition(": ")
            if sep:
                fields[key.strip()] = value.strip()
        if "Start-Date" not in fields:
            continue
        actions = {
            key: tuple(_APT_PACKAGE.findall(value))
            for key, value in fields.items()
            if key in ("Install", "Reinstall", "Upgrade", "Downgrade", "Remove", "Purge")
        }
        runs.append(AptRun(fields["Start-Date"], fields.get("Commandline", ""), actions,
                           fields.get("End-Date", fields["Start-Date"])))
    return runs


def parse_colon_fields(text: str) -> dict[str, str]:
    """`Key : value` lines (dnf info, rpm -qi) as a dict; the first value of a key wins."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith(" "):
            out.setdefault(key.strip(), value.strip())
    return out
