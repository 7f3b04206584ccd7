"""What the lab looks like: hosts, addresses and names, read from the chapter's front matter."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from maillab_tui import config
from maillab_tui.chapter.parser import ChapterError, bundled_chapters_dir, load_chapter
from maillab_tui.sandbox.util import SandboxError

CHAPTER_ID = "mail-server"
DNS_HOST_NUMBER = 53
"""The lab's DNS server sits at this host number of the lab subnet (192.168.56.53)."""


@dataclass(frozen=True)
class LabHost:
    """One lab host as the chapter describes it."""

    name: str
    fqdn: str
    domain: str
    address: str
    user: str

    @property
    def short(self) -> str:
        """The host name without the domain (`mail`)."""
        return self.fqdn.split(".", 1)[0]


@dataclass(frozen=True)
class LabNetwork:
    """The lab network: subnet, DNS server address and hosts."""

    subnet: ipaddress.IPv4Network
    dns: str
    hosts: tuple[LabHost, ...]

    @property
    def prefixlen(self) -> int:
        """The subnet's prefix length (24)."""
        return self.subnet.prefixlen

    def host(self, name: str) -> LabHost:
        """The host called `name` (host1, host2), or a SandboxError listing the known ones."""
        for host in self.hosts:
            if name in (host.name, host.fqdn):
                return host
        known = ", ".join(h.name for h in self.hosts)
        raise SandboxError(f"no lab host called {name!r}", f"the lab's hosts are: {known}")


def chapter_path(chapter_id: str = CHAPTER_ID, language: str = "ja") -> Path:
    """The bundled chapter file (the repository's chapters/, or a wheel's bundled copy)."""
    path = bundled_chapters_dir() / chapter_id / f"{language}.md"
    if not path.is_file():
        raise SandboxError(
            f"chapter {chapter_id!r} not found (looked at {path})",
            "run from the repository or install maillab-tui from a wheel that bundles chapters/",
        )
    return path


def lab_hosts(path: Path | None = None) -> LabNetwork:
    """The lab's hosts and network from the chapter's front matter (hosts.*, network.subnet)."""
    path = path or chapter_path()
    try:
        chapter = load_chapter(path)
    except ChapterError as exc:
        raise SandboxError(f"{path}: the chapter does not load", str(exc)) from exc
    try:
        subnet = ipaddress.IPv4Network(chapter.network["subnet"])
        hosts = tuple(
            LabHost(
                name=role.name,
                fqdn=role.vars["fqdn"],
                domain=role.vars["domain"],
                address=str(ipaddress.IPv4Address(role.vars["address"])),
                user=role.vars.get("user", ""),
            )
            for role in chapter.hosts.values()
        )
    except (KeyError, ValueError) as exc:
        raise SandboxError(f"{path}: front matter lacks hosts/network values ({exc})") from exc
    for host in hosts:
        if ipaddress.IPv4Address(host.address) not in subnet:
            raise SandboxError(f"{path}: {host.name} address {host.address} is not in {subnet}")
    dns = str(subnet.network_address + DNS_HOST_NUMBER)
    return LabNetwork(subnet=subnet, dns=dns, hosts=hosts)


def lab_name() -> str:
    """The lab's name (env MAILLAB_LAB, default `maillab`); namespaces, cgroups derive from it."""
    name = config.lab_name_setting()
    if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", name):
        raise SandboxError(
            f"invalid lab name {name!r} (from MAILLAB_LAB)",
            "use 1-10 lower-case letters or digits, starting with a letter (e.g. MAILLAB_LAB=lab2)",
        )
    return name


def cache_dir() -> Path:
    """Where built lab images are cached: env MAILLAB_SANDBOX_CACHE or /var/cache/maillab-tui."""
    return config.sandbox_cache()


STATE_ROOT = Path("/run/maillab-tui")
"""Runtime state of running labs: /run/maillab-tui/<lab>/ (overlays, PIDs, logs)."""
