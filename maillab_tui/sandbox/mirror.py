"""The Debian mirror this machine's apt is configured with (never hard-coded)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from maillab_tui.sandbox.util import SandboxError

APT_DIR = Path("/etc/apt")
SUITE = "bookworm"


@dataclass(frozen=True)
class AptSource:
    """One `deb` source from apt's configuration."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


@dataclass(frozen=True)
class Mirror:
    """The Debian archive and (if configured) security archive to build the lab image from."""

    archive: str
    security: str | None

    def sources_list(self) -> str:
        """A sources.list for bookworm, bookworm-updates and bookworm-security on these mirrors."""
        lines = [f"deb {self.archive} {SUITE} main", f"deb {self.archive} {SUITE}-updates main"]
        if self.security:
            lines.append(f"deb {self.security} {SUITE}-security main")
        return "\n".join(lines) + "\n"


def _one_line(text: str) -> list[AptSource]:
    sources = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        line = re.sub(r"\[[^\]]*\]", " ", line)
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "deb":
            sources.append(AptSource(parts[1], (parts[2],), tuple(parts[3:])))
    return sources


def _deb822(text: str) -> list[AptSource]:
    sources = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for raw in stanza.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1].isspace() and key:
                fields[key] += " " + raw.strip()
                continue
            if ":" in raw:
                key, value = raw.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            sources.append(
                AptSource(
                    uri,
                    tuple(fields.get("suites", "").split()),
                    tuple(fields.get("components", "").split()),
                )
            )
    return sources


def apt_sources(apt_dir: Path = APT_DIR) -> list[AptSource]:
    """All `deb` sources apt reads: sources.list, sources.list.d/*.list and *.sources."""
    sources: list[AptSource] = []
    main = apt_dir / "sources.list"
    if main.is_file():
        sources += _one_line(main.read_text(errors="replace"))
    d = apt_dir / "sources.list.d"
    if d.is_dir():
        for path in sorted(d.iterdir()):
            if path.suffix == ".list":
                sources += _one_line(path.read_text(errors="replace"))
            elif path.suffix == ".sources":
                sources += _deb822(path.read_text(errors="replace"))
    return sources


def _is_security(source: AptSource) -> bool:
    return any(s.endswith("-security") or s.endswith("/updates") for s in source.suites)


def _is_debian_archive(source: AptSource) -> bool:
    # A Debian archive carries `main` and either a Debian suite name or a /debian path.
    if source.components and "main" not in source.components:
        return False
    debian_suites = {"bookworm", "trixie", "forky", "sid", "bullseye", "stable", "testing",
                     "unstable", "oldstable"}
    bases = {s.split("-", 1)[0] for s in source.suites}
    return bool(bases & debian_suites) or source.uri.rstrip("/").endswith("/debian")


def find_mirror(apt_dir: Path = APT_DIR) -> Mirror:
    """The Debian archive (and security archive) from apt's configuration on this machine."""
    sources = [s for s in apt_sources(apt_dir) if _is_debian_archive(s)]
    archive = next((s.uri for s in sources if not _is_security(s)), None)
    security = next((s.uri for s in sources if _is_security(s)), None)
    if not archive:
        raise SandboxError(
            "no Debian mirror found in apt's configuration (/etc/apt/sources.list, "
            "/etc/apt/sources.list.d/*.list, *.sources)",
            "configure a Debian mirror for apt on this machine (e.g. in "
            "/etc/apt/sources.list.d/debian.sources) and run `apt-get update`",
        )
    return Mirror(archive=archive.rstrip("/"), security=security.rstrip("/") if security else None)


def check_reachable(mirror: Mirror, timeout: float = 15.0) -> None:
    """Raise SandboxError if the mirror's bookworm Release file cannot be fetched."""
    url = f"{mirror.archive}/dists/{SUITE}/Release"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read(64)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SandboxError(
            f"the Debian mirror {mirror.archive} is not reachable ({url}: {exc})",
            "building the lab image needs the mirror apt uses on this machine; check the "
            "network or proxy, or copy a built image cache (MAILLAB_SANDBOX_CACHE) from a "
            "machine that has one",
        ) from exc
