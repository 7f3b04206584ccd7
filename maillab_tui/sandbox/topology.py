"""What the lab looks like: hosts, addresses and names, read from the chapter's front matter."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from maillab_tui.sandbox.util import SandboxError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The installed `maillab_tui` package directory."""

CHAPTER_ID = "mail-server"
DEFAULT_LAB = "maillab"
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


def repo_root() -> Path | None:
    """The working tree the code runs from (chapters/ next to maillab_tui/), or None in a wheel."""
    root = PACKAGE_DIR.parent
    if (root / "chapters").is_dir() and (root / "pyproject.toml").is_file():
        return root
    return None


def chapter_path(chapter_id: str = CHAPTER_ID, language: str = "ja") -> Path:
    """The bundled chapter file: repo layout first, then maillab_tui/_bundled/ from a wheel."""
    candidates = []
    root = repo_root()
    if root is not None:
        candidates.append(root / "chapters" / chapter_id / f"{language}.md")
    candidates.append(PACKAGE_DIR / "_bundled" / "chapters" / chapter_id / f"{language}.md")
    for path in candidates:
        if path.is_file():
            return path
    raise SandboxError(
        f"chapter {chapter_id!r} not found (looked at {', '.join(map(str, candidates))})",
        "run from the repository or install maillab-tui from a wheel that bundles chapters/",
    )


def front_matter(path: Path) -> dict[str, object]:
    """The YAML front matter between the first two `---` lines of a chapter file."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", text, re.S)
    if not match:
        raise SandboxError(f"{path} has no YAML front matter between '---' lines")
    data = yaml.safe_load(match.group(1))
    if not isinstance(data, dict):
        raise SandboxError(f"{path}: front matter is not a mapping")
    return data


def lab_hosts(path: Path | None = None) -> LabNetwork:
    """The lab's hosts and network from the chapter's front matter (hosts.*, network.subnet)."""
    path = path or chapter_path()
    data = front_matter(path)
    try:
        hosts_data = data["hosts"]
        subnet = ipaddress.IPv4Network(str(data["network"]["subnet"]))  # type: ignore[index]
        assert isinstance(hosts_data, dict)
        hosts = tuple(
            LabHost(
                name=str(name),
                fqdn=str(h["fqdn"]),
                domain=str(h["domain"]),
                address=str(ipaddress.IPv4Address(str(h["address"]))),
                user=str(h.get("user", "")),
            )
            for name, h in hosts_data.items()
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise SandboxError(f"{path}: front matter lacks hosts/network values ({exc})") from exc
    for host in hosts:
        if ipaddress.IPv4Address(host.address) not in subnet:
            raise SandboxError(f"{path}: {host.name} address {host.address} is not in {subnet}")
    dns = str(subnet.network_address + DNS_HOST_NUMBER)
    return LabNetwork(subnet=subnet, dns=dns, hosts=hosts)


def lab_name() -> str:
    """The lab's name (env MAILLAB_LAB, default `maillab`); namespaces, cgroups derive from it."""
    name = os.environ.get("MAILLAB_LAB", DEFAULT_LAB) or DEFAULT_LAB
    if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", name):
        raise SandboxError(
            f"invalid lab name {name!r} (from MAILLAB_LAB)",
            "use 1-10 lower-case letters or digits, starting with a letter (e.g. MAILLAB_LAB=lab2)",
        )
    return name


def cache_dir() -> Path:
    """Where built lab images are cached: env MAILLAB_SANDBOX_CACHE or /var/cache/maillab-tui."""
    return Path(os.environ.get("MAILLAB_SANDBOX_CACHE") or "/var/cache/maillab-tui")


STATE_ROOT = Path("/run/maillab-tui")
"""Runtime state of running labs: /run/maillab-tui/<lab>/ (overlays, PIDs, logs)."""
