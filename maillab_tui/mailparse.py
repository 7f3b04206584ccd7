"""Parsers for what the mail checks read: tool output, client settings, mail log lines.

Pure functions over text, no I/O, so that every format (AlmaLinux's as well as Debian's) is
tested against recorded output: `firewall-cmd --list-all`, `dig`, `host`, `lsblk -J`,
/proc/mounts, apt's history.log, `dnf info --installed`, Thunderbird's profiles.ini and
prefs.js, neomutt/mutt rc files, and Postfix's delivery lines.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

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


# --------------------------------------------------------------------------- DNS


@dataclass(frozen=True)
class DnsAnswer:
    """What a DNS query returned: the status, the records' data, the server that answered."""

    status: str  # NOERROR, NXDOMAIN, SERVFAIL, REFUSED ... or TIMEOUT
    records: tuple[str, ...] = ()
    server: str = ""

    @property
    def timed_out(self) -> bool:
        """True when no server answered."""
        return self.status == "TIMEOUT"


_DIG_STATUS = re.compile(r"->>HEADER<<-.*status: ([A-Z]+)")
_DIG_SERVER = re.compile(r"^;; SERVER: ([^#\s]+)", re.MULTILINE)
_DIG_TIMEOUT = ("connection timed out", "no servers could be reached",
                "communications error")


def parse_dig(text: str, rtype: str) -> DnsAnswer:
    """`dig +noall +comments +answer +stats NAME TYPE` output as a `DnsAnswer`.

    Answer lines are `example2.jp. 3600 IN MX 10 mail.example2.jp.`; only records of `rtype`
    count (a CNAME on the way is skipped).
    """
    server_match = _DIG_SERVER.search(text)
    server = server_match.group(1) if server_match else ""
    status_match = _DIG_STATUS.search(text)
    if status_match is None:
        if any(s in text for s in _DIG_TIMEOUT):
            return DnsAnswer("TIMEOUT", (), server)
        return DnsAnswer("UNKNOWN", (), server)
    records: list[str] = []
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        fields = line.split()
        if len(fields) >= 5 and fields[2] == "IN" and fields[3] == rtype.upper():
            records.append(" ".join(fields[4:]))
    return DnsAnswer(status_match.group(1), tuple(records), server)


def parse_host(text: str, rtype: str) -> DnsAnswer:
    """`host -t TYPE NAME` output as a `DnsAnswer` (the fallback when dig is missing)."""
    if any(s in text for s in _DIG_TIMEOUT):
        return DnsAnswer("TIMEOUT")
    found = re.search(r"not found: \d+\((\w+)\)", text)
    if found:
        return DnsAnswer(found.group(1))
    records: list[str] = []
    for line in text.splitlines():
        if rtype.upper() == "MX":
            mx = re.search(r"mail is handled by (\d+) (\S+)", line)
            if mx:
                records.append(f"{mx.group(1)} {mx.group(2)}")
        else:
            a = re.search(r"has address (\S+)", line)
            if a:
                records.append(a.group(1))
    return DnsAnswer("NOERROR", tuple(records))


def same_name(a: str, b: str) -> bool:
    """True when two DNS names are equal, ignoring case and a trailing dot."""
    return a.rstrip(".").lower() == b.rstrip(".").lower()


def mx_target(record: str) -> str:
    """The host of an MX record's data `10 mail.example2.jp.` (without the trailing dot)."""
    parts = record.split()
    return parts[-1].rstrip(".") if parts else ""


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
class IncomingServer:
    """An incoming server of a Thunderbird profile, with Thunderbird's defaults filled in."""

    key: str  # server1
    type: str
    hostname: str
    port: int
    user: str
    socket_type: int
    auth_method: int


@dataclass(frozen=True)
class OutgoingServer:
    """An SMTP server of a Thunderbird profile, with Thunderbird's defaults filled in."""

    key: str  # smtp1
    hostname: str
    port: int
    user: str
    socket_type: int
    auth_method: int


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
    return IncomingServer(key, kind, str(prefs.get(base + "hostname", "")), port,
                          str(prefs.get(base + "userName", "")), socket_type,
                          _int(prefs.get(base + "authMethod"), 3))


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


# --------------------------------------------------------------------------- neomutt / mutt

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


# --------------------------------------------------------------------------- Postfix delivery

_DELIVERY = re.compile(
    r"postfix[^/\s\[]*/(?P<agent>[\w-]+)\[\d+\]: (?P<queue_id>[0-9A-Za-z]+): "
    r"to=<(?P<to>[^>]*)>,(?: orig_to=<[^>]*>,)? relay=(?P<relay>[^,]+),"
    r".*? dsn=(?P<dsn>[\d.]+), status=(?P<status>\w+) \((?P<reason>.*)\)\s*$"
)


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt logged by Postfix: to=<...>, relay=..., status=... (reason)."""

    queue_id: str
    agent: str
    to: str
    relay: str
    dsn: str
    status: str
    reason: str
    line: str

    @property
    def relay_host(self) -> str:
        """The relay's name: `mail.example2.jp` of `mail.example2.jp[192.168.56.102]:25`."""
        return self.relay.split("[", 1)[0]

    @property
    def relay_address(self) -> str:
        """The relay's address: `192.168.56.102` of `mail.example2.jp[192.168.56.102]:25`."""
        found = re.search(r"\[([^\]]+)\]", self.relay)
        return found.group(1) if found else ""


def parse_delivery(line: str) -> Delivery | None:
    """The delivery record in a Postfix log line, or None."""
    found = _DELIVERY.search(line)
    if not found:
        return None
    return Delivery(found.group("queue_id"), found.group("agent"), found.group("to"),
                    found.group("relay"), found.group("dsn"), found.group("status"),
                    found.group("reason"), line)


__all__ = [
    "AUTH_METHODS",
    "FIREWALL_SERVICE_PORTS",
    "SOCKET_TYPES",
    "AptRun",
    "BlockDevice",
    "Delivery",
    "DnsAnswer",
    "FirewallZone",
    "IncomingServer",
    "MailUrl",
    "Mount",
    "OutgoingServer",
    "ThunderbirdAccount",
    "mx_target",
    "parse_apt_history",
    "parse_colon_fields",
    "parse_delivery",
    "parse_dig",
    "parse_firewall_zones",
    "parse_host",
    "parse_lsblk",
    "parse_mail_url",
    "parse_mounts",
    "parse_muttrc",
    "parse_prefs_js",
    "same_name",
    "thunderbird_accounts",
    "thunderbird_profile",
]
