"""The one place that knows the platforms (AlmaLinux 9, Debian 12) and finds this machine's role."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from maillab_tui import system

RHEL_FAMILY = ("rhel", "centos", "fedora", "almalinux", "rocky", "ol")
DEBIAN_FAMILY = ("debian", "ubuntu", "raspbian", "linuxmint")


@dataclass(frozen=True)
class PlatformInfo:
    """What differs between the platforms, for checks and the log pane."""

    name: str
    package_format: str  # "rpm" or "deb"
    mail_logs: tuple[str, ...]
    mail_units: tuple[str, ...]
    label: str = ""  # as a reader sees it: the label of this platform's variant of a command


PLATFORMS: Mapping[str, PlatformInfo] = {
    "almalinux9": PlatformInfo(
        "almalinux9", "rpm", ("/var/log/maillog",), ("postfix.service", "dovecot.service"),
        "AlmaLinux 9",
    ),
    "debian12": PlatformInfo(
        "debian12", "deb", ("/var/log/mail.log", "/var/log/maillog"),
        ("postfix@-.service", "dovecot.service"), "Debian 12",
    ),
}


def package_for(platform: str, name: str, rpm: str | None = None,
                deb: str | None = None) -> tuple[str, str] | None:
    """The package format ("rpm" or "deb") and the package's name there, or None if unknown."""
    info = PLATFORMS.get(platform)
    if info is None:
        return None
    return info.package_format, (rpm if info.package_format == "rpm" else deb) or name


def parse_os_release(text: str) -> dict[str, str]:
    """The KEY=value pairs of an os-release file."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip().strip('"').strip("'")
    return out


def platform_from_os_release(text: str) -> str | None:
    """`almalinux9` for the RHEL family, `debian12` for the Debian family, else None."""
    info = parse_os_release(text)
    ids = [info.get("ID", "").lower(), *info.get("ID_LIKE", "").lower().split()]
    if any(i in RHEL_FAMILY for i in ids):
        return "almalinux9"
    if any(i in DEBIAN_FAMILY for i in ids):
        return "debian12"
    return None


def detect_platform(os_release: Path = Path("/etc/os-release")) -> str | None:
    """This machine's platform, from /etc/os-release."""
    try:
        return platform_from_os_release(os_release.read_text(encoding="utf-8"))
    except OSError:
        return None


def local_identity() -> tuple[set[str], set[str]]:
    """This machine's host names and IPv4 addresses, as far as can be seen without root."""
    names = {socket.gethostname()}
    with contextlib.suppress(OSError):
        names.add(socket.getfqdn())
    addresses: set[str] = set()
    proc = system.run(["ip", "-o", "-4", "addr", "show"], timeout=5)
    for line in proc.stdout.splitlines():
        parts = line.split()
        if "inet" in parts:
            addresses.add(parts[parts.index("inet") + 1].split("/")[0])
    return {n for n in names if n}, addresses


def detect_host(hosts: Mapping[str, Mapping[str, str]],
                identity: tuple[set[str], set[str]] | None = None) -> str | None:
    """The host role whose fqdn or address this machine has, when exactly one matches."""
    names, addresses = identity if identity is not None else local_identity()
    matches = [
        role for role, values in hosts.items()
        if values.get("fqdn") in names or values.get("address") in addresses
        or role in names
    ]
    return matches[0] if len(matches) == 1 else None


JOURNAL_DENIED = ("insufficient permissions", "not seeing messages from other users",
                  "no journal files were opened")
"""What journalctl says (on both platforms) when this user may not read the system's journal:
outside `adm`/`systemd-journal` it shows only the user's own entries, or none."""


def journal_denied(text: str) -> bool:
    """Whether journalctl's output says the journal was not readable as this user."""
    lowered = text.lower()
    return any(s in lowered for s in JOURNAL_DENIED)


def mail_log_candidates(platform: str | None) -> tuple[str, ...]:
    """Where this platform's syslog writes the mail log, most likely first."""
    info = PLATFORMS.get(platform or "")
    first = info.mail_logs if info else ()
    rest = ("/var/log/maillog", "/var/log/mail.log")
    return tuple(dict.fromkeys((*first, *rest)))


def find_mail_log(platform: str | None, root: str = "/") -> Path | None:
    """The mail log file this machine writes, or None when there is none (use the journal)."""
    for name in mail_log_candidates(platform):
        path = Path(root) / name.lstrip("/")
        if path.exists():
            return path
    return None


# Debian's postfix.service is a oneshot placeholder (ExecStart=/bin/true, RemainAfterExit):
# it reports "active" even when the real daemon, the instance postfix@-.service, has failed.
_DAEMON_UNITS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("debian12", "postfix.service"): ("postfix@-.service",),
}


def daemon_units(platform: str | None, unit: str) -> tuple[str, ...]:
    """The units that really run the daemon behind `unit` on this platform (besides `unit`)."""
    name = unit if "." in unit else f"{unit}.service"
    return _DAEMON_UNITS.get((platform or "", name), ())
