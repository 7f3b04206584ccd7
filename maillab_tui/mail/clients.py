"""Mail clients' settings: Thunderbird's profiles.ini and prefs.js accounts, mutt/neomutt rc
files and mail URLs. Pure functions over text, no I/O.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

# --------------------------------------------------------------------------- Thunderbird


def thunderbird_profile(ini_text: str, base: PurePosixPath) -> PurePosixPath | None:
    """The default profile directory named by profiles.ini (in directory `base`).

    An `[Install...]` section's `Default=` (what Thunderbird itself uses since version 68) wins
    over `[ProfileN]` with `Default=1`; without either, the only (or first) profile. Paths are
    relative to `base` unless `IsRelative=0` (an `[Install]` path is relative when it does
    not start with /).
    """
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(ini_text)
    except configparser.Error:
        return None

    def resolve(path: str, relative: bool) -> PurePosixPath:
        return base / path if relative and not path.startswith("/") else PurePosixPath(path)

    def value(section: str, key: str, default: str = "") -> str:
        return parser[section][key] if parser.has_option(section, key) else default

    for section in parser.sections():
        if section.startswith("Install") and value(section, "Default"):
            return resolve(value(section, "Default"), True)
    profiles = [s for s in parser.sections() if s.startswith("Profile")]
    chosen = next((s for s in profiles if value(s, "Default") == "1"), None)
    if chosen is None and profiles:
        chosen = profiles[0]
    if chosen is None or not value(chosen, "Path"):
        return None
    return resolve(value(chosen, "Path"), value(chosen, "IsRelative", "1") != "0")


_PREF = re.compile(r'^\s*user_pref\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*(.*?)\s*\)\s*;\s*$')


def parse_prefs_js(text: str) -> dict[str, Any]:
    """The `user_pref("key", value);` lines of prefs.js: strings, numbers and booleans."""
    out: dict[str, Any] = {}
    for line in text.splitlines():
        found = _PREF.match(line)
        if not found:
            continue
        key = json.loads(f'"{found.group(1)}"')
        raw = found.group(2)
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw.strip('"')
    return out


# Values of mail.server.*.socketType / mail.smtpserver.*.try_ssl and of authMethod.
SOCKET_TYPES: Mapping[int, str] = {0: "なし / None", 1: "STARTTLS (if available)",
                                   2: "STARTTLS", 3: "SSL/TLS"}
AUTH_METHODS: Mapping[int, str] = {
    0: "なし / None", 1: "認証なし / No authentication", 2: "old password",
    3: "通常のパスワード認証 / Normal password",
    4: "暗号化されたパスワード認証 / Encrypted password",
    5: "Kerberos / GSSAPI", 6: "NTLM", 7: "TLS certificate", 8: "secure", 9: "any", 10: "OAuth2",
}


@dataclass(frozen=True)
class ServerPrefs:
    """A server of a Thunderbird profile, with Thunderbird's defaults filled in."""

    key: str  # server1, smtp1
    hostname: str
    port: int
    user: str
    socket_type: int
    auth_method: int


@dataclass(frozen=True)
class OutgoingServer(ServerPrefs):
    """An SMTP server (mail.smtpserver.KEY.*)."""


@dataclass(frozen=True)
class IncomingServer(ServerPrefs):
    """An incoming server (mail.server.KEY.*) and its type."""

    type: str  # imap, pop3 (none: Local Folders)


@dataclass(frozen=True)
class ThunderbirdAccount:
    """An account: its incoming server, its identity's address and its outgoing server."""

    key: str
    incoming: IncomingServer
    email: str = ""
    outgoing: OutgoingServer | None = None


def _int(value: Any, default: int) -> int:
    """A pref value as an int; absent or unreadable gives the default."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _incoming(prefs: Mapping[str, Any], key: str) -> IncomingServer:
    """Server `key` with absent prefs read as Thunderbird's defaults.

    Defaults (mailnews.js and the server classes), which Thunderbird leaves out of prefs.js:
    socketType 0 (no security), authMethod 3 (normal password), and a port of 0/absent means
    the protocol's standard port: IMAP 143 (993 with socketType 3), POP3 110 (995).
    """
    base = f"mail.server.{key}."
    kind = str(prefs.get(base + "type", ""))
    socket_type = _int(prefs.get(base + "socketType"), 0)
    port = _int(prefs.get(base + "port"), 0)
    if port == 0:
        standard = {"imap": (143, 993), "pop3": (110, 995)}.get(kind, (0, 0))
        port = standard[1] if socket_type == 3 else standard[0]
    return IncomingServer(key, str(prefs.get(base + "hostname", "")), port,
                          str(prefs.get(base + "userName", "")), socket_type,
                          _int(prefs.get(base + "authMethod"), 3), type=kind)


def _outgoing(prefs: Mapping[str, Any], key: str) -> OutgoingServer:
    """SMTP server `key` with absent prefs read as Thunderbird's defaults.

    Defaults: try_ssl 0 (no security), authMethod 3 (normal password), and a port of
    0/absent means 25 (465 with try_ssl 3): nsSmtpServer falls back to the protocol default.
    """
    base = f"mail.smtpserver.{key}."
    socket_type = _int(prefs.get(base + "try_ssl"), 0)
    port = _int(prefs.get(base + "port"), 0) or (465 if socket_type == 3 else 25)
    return OutgoingServer(key, str(prefs.get(base + "hostname", "")), port,
                          str(prefs.get(base + "username", "")), socket_type,
                          _int(prefs.get(base + "authMethod"), 3))


def _split_keys(value: Any) -> list[str]:
    """A comma-separated pref (`account1,account2`) as its items."""
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def thunderbird_accounts(prefs: Mapping[str, Any]) -> list[ThunderbirdAccount]:
    """The accounts of a profile with a real incoming server (Local Folders is left out).

    An identity without `smtpServer` sends through `mail.smtp.defaultserver` (or the first of
    `mail.smtpservers`).
    """
    smtp_keys = _split_keys(prefs.get("mail.smtpservers"))
    default_smtp = str(prefs.get("mail.smtp.defaultserver") or (smtp_keys[0] if smtp_keys else ""))
    account_keys = _split_keys(prefs.get("mail.accountmanager.accounts"))
    if not account_keys:  # prefs.js without the account list: every account.* we can see
        account_keys = sorted({k.split(".")[2] for k in prefs if k.startswith("mail.account.")
                               and k.count(".") >= 3})
    out: list[ThunderbirdAccount] = []
    for account in account_keys:
        server_key = str(prefs.get(f"mail.account.{account}.server", ""))
        if not server_key:
            continue
        incoming = _incoming(prefs, server_key)
        if incoming.type in ("none", "rss", "nntp", ""):
            continue
        identities = _split_keys(prefs.get(f"mail.account.{account}.identities"))
        identity = identities[0] if identities else ""
        email = str(prefs.get(f"mail.identity.{identity}.useremail", "")) if identity else ""
        smtp_key = str(prefs.get(f"mail.identity.{identity}.smtpServer", "")) or default_smtp
        has_smtp = any(k.startswith(f"mail.smtpserver.{smtp_key}.") for k in prefs)
        outgoing = _outgoing(prefs, smtp_key) if smtp_key and has_smtp else None
        out.append(ThunderbirdAccount(account, incoming, email, outgoing))
    return out


# --------------------------------------------------------------------------- mutt (and neomutt)

_SET = re.compile(r"^\s*set\s+(.*)$")


def parse_muttrc(text: str) -> dict[str, str]:
    """The `set name = value` (and `set name`, `unset name`) settings of a muttrc.

    Values may be quoted with '...' or "..."; `set a = x b = y` on one line works too. Other
    commands (source, macro, account-hook ...) are ignored: enough for a lab account.
    """
    out: dict[str, str] = {}
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("unset "):
            for name in stripped.split()[1:]:
                out[name] = "no"
            continue
        found = _SET.match(raw)
        if not found:
            continue
        try:
            words = shlex.split(found.group(1), comments=True)
        except ValueError:
            continue
        # Rejoin `name=value`, `name = value` and `name =value` into pairs.
        joined: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            if word.endswith("=") and i + 1 < len(words):
                joined.append(word + words[i + 1])
                i += 2
            elif i + 2 < len(words) and words[i + 1] == "=":
                joined.append(f"{word}={words[i + 2]}")
                i += 3
            elif i + 1 < len(words) and words[i + 1].startswith("=") and words[i + 1] != "=":
                joined.append(word + words[i + 1])
                i += 2
            else:
                joined.append(word)
                i += 1
        for item in joined:
            name, sep, value = item.partition("=")
            if not sep:
                if name.startswith("no"):
                    out[name[2:]] = "no"
                else:
                    out[name] = "yes"
            else:
                out[name.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class MailUrl:
    """An imap:// or smtp:// URL of a mail client, with the scheme's default port filled in."""

    scheme: str
    user: str
    host: str
    port: int
    path: str = ""

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}/{self.path.lstrip('/')}"


_DEFAULT_PORTS = {"imap": 143, "imaps": 993, "pop": 110, "pops": 995, "smtp": 25, "smtps": 465}


def parse_mail_url(url: str) -> MailUrl | None:
    """`imap://user1@mail.example1.jp:143/INBOX` as a `MailUrl`; None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return MailUrl(parts.scheme, unquote(parts.username or ""), parts.hostname,
                   port or _DEFAULT_PORTS[parts.scheme], parts.path)
