"""Where maillab-tui's settings come from: every MAILLAB_* variable, XDG path and bundled file.

One place to look up what the environment can change. Each function reads the environment
when it is called (so a test, a sudo'd helper or an Ansible run can set a variable just
before), and none is read when a module is imported.

| variable | what it sets | read by |
|---|---|---|
| MAILLAB_LANG | the language (ja/en), before the locale | `language()` |
| MAILLAB_CHAPTER, _HOST, _STUDENT | CLI defaults: chapter, host role, student | `cli_default()` |
| MAILLAB_CHECKS_PATH | more check directories, `:`-separated | `checks_path()` |
| MAILLAB_TIME_FACTOR | class-wide factor for check and command timeouts | `time_factor()` |
| MAILLAB_WORKERS | how many checks run at once | `workers()` |
| MAILLAB_LAB | the sandbox lab's name | `lab_name()` |
| MAILLAB_SANDBOX_CACHE | where built lab images are cached | `sandbox_cache()` |
| MAILLAB_SANDBOX_INSTALL | how new hosts get maillab-tui: file, tree | `sandbox_install()` |
| XDG_STATE_HOME | where progress files and transcripts live | `state_dir()` |
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""The installed `maillab_tui` package directory."""

LANGUAGES = ("ja", "en")
DEFAULT_LAB = "maillab"
DEFAULT_SANDBOX_CACHE = "/var/cache/maillab-tui"


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def repo_root() -> Path | None:
    """The working tree the code runs from (chapters/ next to maillab_tui/), or None in a wheel."""
    root = PACKAGE_DIR.parent
    if (root / "chapters").is_dir() and (root / "pyproject.toml").is_file():
        return root
    return None


def bundled_dir(kind: str) -> Path:
    """Where the `chapters` or `checks` shipped with maillab-tui live: a wheel's `_bundled/`
    copy, else the repository's folder beside the package."""
    for candidate in (PACKAGE_DIR / "_bundled" / kind, PACKAGE_DIR.parent / kind):
        if candidate.is_dir():
            return candidate
    return PACKAGE_DIR.parent / kind


def language(environ: Mapping[str, str] | None = None) -> str:
    """`ja` when the locale (MAILLAB_LANG, LC_ALL, LC_MESSAGES, LANG) is Japanese, else `en`."""
    env = _env(environ)
    forced = env.get("MAILLAB_LANG", "")
    if forced in LANGUAGES:
        return forced
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    try:
        current = locale.getlocale()[0] or ""
    except ValueError:
        current = ""
    return "ja" if current.lower().startswith("ja") else "en"


def cli_default(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The default of a CLI option from MAILLAB_<NAME> (chapter, host, student), or None."""
    return _env(environ).get(f"MAILLAB_{name.upper()}") or None


def checks_path(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The check directories named by MAILLAB_CHECKS_PATH, in order."""
    return [Path(p) for p in _env(environ).get("MAILLAB_CHECKS_PATH", "").split(":") if p]


def time_factor(environ: Mapping[str, str] | None = None) -> float:
    """The class-wide factor for timeouts on slow machines (MAILLAB_TIME_FACTOR, at least 0.1)."""
    try:
        return max(0.1, float(_env(environ).get("MAILLAB_TIME_FACTOR", "1")))
    except ValueError:
        return 1.0


def workers(environ: Mapping[str, str] | None = None) -> int:
    """How many checks run at once (MAILLAB_WORKERS, default 8; 1 grades one after another)."""
    try:
        return max(1, int(_env(environ).get("MAILLAB_WORKERS", "8")))
    except ValueError:
        return 8


def lab_name_setting(environ: Mapping[str, str] | None = None) -> str:
    """The sandbox lab's name as set (MAILLAB_LAB, default `maillab`), not yet validated."""
    return _env(environ).get("MAILLAB_LAB", DEFAULT_LAB) or DEFAULT_LAB


def sandbox_cache(environ: Mapping[str, str] | None = None) -> Path:
    """Where built lab images are cached: MAILLAB_SANDBOX_CACHE or /var/cache/maillab-tui."""
    return Path(_env(environ).get("MAILLAB_SANDBOX_CACHE") or DEFAULT_SANDBOX_CACHE)


INSTALL_MODES = ("file", "tree")
"""How the sandbox's hosts get maillab-tui: `file`, the one file copied in as a student gets it
(the default), or `tree`, the working tree bound read-only on the file's dependencies (edits
show at once: for developing maillab-tui itself)."""


def sandbox_install(given: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """`given`, else MAILLAB_SANDBOX_INSTALL, else file; ValueError naming a wrong value."""
    mode = given or _env(environ).get("MAILLAB_SANDBOX_INSTALL", "") or "file"
    if mode not in INSTALL_MODES:
        where = "" if given else "MAILLAB_SANDBOX_INSTALL="
        raise ValueError(f"{where}{mode!r}: maillab-tui is installed as file or tree")
    return mode


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/maillab-tui` (default `~/.local/state/maillab-tui`); a relative
    XDG_STATE_HOME is ignored, as the XDG spec says."""
    base = _env(environ).get("XDG_STATE_HOME") or ""
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "maillab-tui"
