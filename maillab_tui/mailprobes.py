"""What the mail checks share: bounded connections, SMTP/IMAP/POP3 sessions, the mail log.

- `connect()` resolves (bounded by the timeout, even when DNS hangs), optionally binds the
  client to a given local address (to probe "from the other host's address"), and turns
  socket errors into an `Unreachable` with a kind: refused, no-route, timeout ...
- `unreachable_result()` turns that into the failure naming the cause (Postfix or Dovecot not
  running, inet_interfaces, firewall, DNS).
- `SmtpSession` speaks SMTP with smtplib, one command and one reply at a time (Postfix rejects
  pipelined blind dialogues), keeps a transcript with passwords masked, and never sends
  DATA: probes stop at RCPT and end with RSET and QUIT.
- `Imap` and `Pop3` are imaplib/poplib clients that connect the same way.
- `read_mail_log()` returns the mail log lines since a time (file, else the journal);
  `known_problems()` finds the lines that name a known cause, `delivery_diagnosis()` explains
  a Postfix `status=deferred/bounced (reason)`.
"""

from __future__ import annotations

import base64
import errno
import imaplib
import ipaddress
import mailbox
import poplib
import re
import smtplib
import socket
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

from maillab_tui.check import Context, Diagnosis, Result, error, failed, t
from maillab_tui.maildiag import diagnose, mail_log_hint
from maillab_tui.mailparse import Delivery
from maillab_tui.platform import find_mail_log
from maillab_tui.probes import log_lines_since, mask, permission_denied, tool_missing

# --------------------------------------------------------------------------- connecting

# The daemon and default port behind each service a probe talks to.
SERVICES: Mapping[str, tuple[int, str]] = {
    "smtp": (25, "Postfix"), "imap": (143, "Dovecot"), "pop3": (110, "Dovecot"),
}


class Unreachable(Exception):
    """A connection that could not be made, with the kind of failure.

    Kinds: `refused`, `no-route` (EHOSTUNREACH: firewalld's reject, or the host is down),
    `timeout`, `net-unreachable`, `name` (no such name), `name-again` (DNS did not answer),
    `bind` (from_address is not this machine's), `other`.
    """

    def __init__(self, kind: str, detail: str, address: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.address = address


def _is_ip(text: str) -> bool:
    """True for an IPv4 or IPv6 address literal."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def resolve(host: str, timeout: float) -> list[str]:
    """The IPv4 (then IPv6) addresses of `host`, giving up after `timeout` seconds.

    getaddrinfo cannot be interrupted, so it runs in a daemon thread; a lookup that outlives
    the timeout is reported as DNS not answering.
    """
    if _is_ip(host):
        return [host.strip("[]")]
    box: dict[str, Any] = {}

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise Unreachable("name-again", f"{host}: DNS lookup timed out")
    exc = box.get("error")
    if isinstance(exc, socket.gaierror):
        kind = "name-again" if exc.errno == socket.EAI_AGAIN else "name"
        raise Unreachable(kind, f"{host}: {exc.strerror}")
    if exc is not None:
        raise Unreachable("other", f"{host}: {exc}")
    infos = box.get("infos") or []
    v4 = [i[4][0] for i in infos if i[0] == socket.AF_INET]
    v6 = [i[4][0] for i in infos if i[0] == socket.AF_INET6]
    addresses = list(dict.fromkeys(v4 + v6))
    if not addresses:
        raise Unreachable("name", f"{host}: no address")
    return addresses


_ERRNO_KINDS = {
    errno.ECONNREFUSED: "refused", errno.EHOSTUNREACH: "no-route",
    errno.ENETUNREACH: "net-unreachable", errno.ETIMEDOUT: "timeout",
}


def _kind_of(exc: OSError) -> str:
    """The Unreachable kind for a socket error."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    return _ERRNO_KINDS.get(exc.errno or 0, "other")


def connect(host: str, port: int, timeout: float,
            from_address: str | None = None) -> tuple[socket.socket, str]:
    """A connected TCP socket to `host`:`port` and the address it reached; or `Unreachable`."""
    addresses = resolve(host, timeout)
    last: Unreachable | None = None
    for address in addresses[:3]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        if from_address:
            try:
                sock.bind((from_address, 0))
            except OSError as exc:
                sock.close()
                raise Unreachable("bind", f"bind {from_address}: {exc.strerror or exc}",
                                  address) from exc
        try:
            sock.connect((address, port))
        except OSError as exc:
            sock.close()
            detail = exc.strerror or str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError | socket.timeout):
                detail = "timed out"
            last = Unreachable(_kind_of(exc), f"connect to {address}:{port}: {detail}", address)
            continue
        return sock, address
    assert last is not None
    raise last


def is_local_address(address: str) -> bool:
    """True when `address` belongs to this machine (a socket can be bound to it)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


def answers(address: str, port: int, timeout: float) -> bool:
    """True when something accepts a TCP connection at `address`:`port`."""
    try:
        sock, _ = connect(address, port, timeout)
    except Unreachable:
        return False
    sock.close()
    return True


def where(host: str, address: str = "") -> str:
    """`mail.example2.jp (192.168.56.102)` or just the address, for messages."""
    if address and address != host:
        return f"{host} ({address})"
    return host


def unreachable_result(ctx: Context, exc: Unreachable, service: str, host: str, port: int,
                       seconds: float) -> Result:
    """The failure (or error) for a connection that could not be made, naming the cause.

    Connection refused on one of this machine's own addresses is retried on 127.0.0.1: if
    the daemon answers there, it listens on loopback only (Postfix's fresh inet_interfaces).
    """
    address = exc.address or host
    shown = where(host, exc.address)
    evidence = [exc.detail]
    _, daemon = SERVICES.get(service, (port, ""))
    if exc.kind == "bind":
        return error(t(f"送信元アドレスを使えません（{exc.detail}）。from_address はこのマシンの"
                       "アドレスにしてください",
                       f"cannot use the source address ({exc.detail}): from_address must be "
                       "one of this machine's addresses"), evidence)
    if exc.kind in ("name", "name-again"):
        code = "dns.missing-record" if exc.kind == "name" else "dns.unreachable"
        return failed(
            t(f"{host} の名前を解決できません", f"cannot resolve {host}"), evidence,
            diagnose(code, name=host, type="A", status="NXDOMAIN", server=""),
        )
    if exc.kind == "refused":
        elsewhere = address not in ("127.0.0.1", "::1")
        if service == "smtp" and elsewhere and is_local_address(address) \
                and answers("127.0.0.1", port, seconds):
            evidence.append(f"127.0.0.1:{port}: connected")
            return failed(
                t(f"{shown} の {port} 番ポートに接続できません（127.0.0.1 では応答します）",
                  f"{shown} refuses port {port} (127.0.0.1 answers)"),
                evidence, diagnose("postfix.inet-interfaces", address=address, port=port),
            )
        code = {"smtp": "postfix.not-running", "imap": "dovecot.not-running",
                "pop3": "dovecot.not-running"}.get(service, "port.refused")
        return failed(
            t(f"{shown} の {port} 番ポートに接続できません（Connection refused）",
              f"{shown} refused port {port}"),
            evidence, diagnose(code, where=shown, port=port, protocol=service.upper()),
        )
    if exc.kind == "no-route":
        return failed(
            t(f"{shown} の {port} 番ポートに届きません（No route to host）",
              f"{shown} port {port}: No route to host"),
            evidence, diagnose("firewall.closed", where=shown, service=service, port=port,
                               zone="public"),
        )
    if exc.kind == "timeout":
        return failed(
            t(f"{shown} の {port} 番ポートから {seconds:g} 秒以内に応答がありません",
              f"no answer from {shown} port {port} within {seconds:g} s"),
            evidence, diagnose("net.timeout", where=shown, seconds=f"{seconds:g}", address=address),
            silent=True,
        )
    if exc.kind == "net-unreachable":
        return failed(
            t(f"{shown} へのネットワーク経路がありません", f"no route to the network of {shown}"),
            evidence, diagnose("net.unreachable", address=address),
        )
    name = daemon or service
    return error(t(f"{shown} の {name} に接続できません: {exc.detail}",
                   f"cannot connect to {name} at {shown}: {exc.detail}"), evidence)


# --------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class Reply:
    """One SMTP reply: the code and its lines of text (without the code)."""

    code: int
    lines: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The reply's lines joined by spaces."""
        return " ".join(self.lines)

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()

    def shown(self) -> list[str]:
        """The reply as the server sent it: `250-first`, ..., `250 last`."""
        if not self.lines:
            return [str(self.code)]
        last = len(self.lines) - 1
        return [f"{self.code}{' ' if i == last else '-'}{line}" for i, line in
                enumerate(self.lines)]


class SmtpClosed(Exception):
    """The server closed the connection (or stopped answering) during the dialogue."""

    def __init__(self, detail: str, timed_out: bool = False) -> None:
        super().__init__(detail)
        self.timed_out = timed_out


class SmtpSession:
    """An SMTP dialogue over a connected socket: one command, one reply, all recorded.

    Built on smtplib (its reply parser and command writer) without its own connect, so that
    the connection is the bounded one of `connect()`.
    """

    def __init__(self, sock: socket.socket, helo: str, secrets: Sequence[str] = ()) -> None:
        self.client = smtplib.SMTP(local_hostname=helo or "localhost")
        self.client.sock = sock
        self.helo = helo or "localhost"
        self.secrets = [s for s in secrets if s]
        self.transcript: list[str] = []
        self.features: dict[str, str] = {}

    def _reply(self) -> Reply:
        """Read one reply; a closed connection or a timeout raises `SmtpClosed`."""
        try:
            code, message = self.client.getreply()
        except smtplib.SMTPServerDisconnected as exc:
            timed_out = "timed out" in str(exc)
            self.transcript.append("S: (timed out)" if timed_out else "S: (connection closed)")
            raise SmtpClosed(str(exc), timed_out) from exc
        lines = tuple(message.decode("utf-8", "replace").splitlines())
        reply = Reply(code, lines)
        self.transcript += [f"S: {mask(line, self.secrets)}" for line in reply.shown()]
        return reply

    def greeting(self) -> Reply:
        """The 220 banner."""
        return self._reply()

    def command(self, line: str, shown: str | None = None) -> Reply:
        """Send one command line and read its reply; `shown` replaces it in the transcript."""
        self.transcript.append(f"C: {shown if shown is not None else mask(line, self.secrets)}")
        try:
            self.client.send(f"{line}\r\n")
        except smtplib.SMTPServerDisconnected as exc:
            self.transcript.append("S: (connection closed)")
            raise SmtpClosed(str(exc)) from exc
        return self._reply()

    def ehlo(self) -> Reply:
        """EHLO, remembering the extensions it offers (AUTH, STARTTLS ...)."""
        reply = self.command(f"EHLO {self.helo}")
        self.features = {}
        if reply.code == 250:
            for line in reply.lines[1:]:
                keyword, _, params = line.partition(" ")
                self.features[keyword.upper()] = params.strip()
        return reply

    def auth_mechanisms(self) -> list[str]:
        """The SASL mechanisms EHLO offered (`AUTH PLAIN LOGIN` and the old `AUTH=` form)."""
        offered = self.features.get("AUTH", "").split() + self.features.get("AUTH=", "").split()
        for key, value in self.features.items():  # `AUTH=PLAIN LOGIN` parses as key AUTH=PLAIN
            if key.startswith("AUTH="):
                offered += [key[5:], *value.split()]
        return list(dict.fromkeys(m.upper() for m in offered if m))

    def auth(self, user: str, password: str, mechanism: str = "PLAIN") -> Reply:
        """AUTH PLAIN (one line) or AUTH LOGIN (two challenges); the password is never shown."""
        secret = [*self.secrets, password]
        self.secrets = [s for s in secret if s]
        if mechanism.upper() == "LOGIN":
            reply = self.command("AUTH LOGIN")
            if reply.code != 334:
                return reply
            reply = self.command(base64.b64encode(user.encode()).decode(), f"{user} (base64)")
            if reply.code != 334:
                return reply
            return self.command(base64.b64encode(password.encode()).decode(), "********")
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return self.command(f"AUTH PLAIN {token}", f"AUTH PLAIN ******** ({user})")

    def close(self) -> None:
        """RSET and QUIT when the server still talks, then close the socket."""
        try:
            if self.client.sock is not None:
                self.command("RSET")
                self.command("QUIT")
        except (SmtpClosed, OSError):
            pass
        finally:
            self.client.close()


def smtp_closed_result(ctx: Context, exc: SmtpClosed, shown: str, seconds: float,
                       client: str, transcript: list[str], at_greeting: bool) -> Result:
    """The failure for a server that hung up or went silent during the dialogue."""
    log = mail_log_hint(ctx.platform)
    if exc.timed_out and at_greeting:
        return failed(
            t(f"{shown} に接続しましたが、220 の挨拶が来ません", f"{shown} sent no 220 greeting"),
            transcript, diagnose("smtp.slow-banner", seconds=f"{seconds:g}", client=client),
        )
    if exc.timed_out:
        return failed(
            t(f"{shown} が {seconds:g} 秒以内に応答しません",
              f"{shown} did not answer in {seconds:g} s"),
            transcript, diagnose("net.timeout", where=shown, seconds=f"{seconds:g}",
                                 address=shown),
        )
    return failed(
        t(f"{shown} が接続を切りました", f"{shown} closed the connection"),
        transcript, diagnose("postfix.smtpd-closed", log=log),
    )


# --------------------------------------------------------------------------- IMAP and POP3


class Imap(imaplib.IMAP4):
    """imaplib's client, connecting through `connect()` (bounded, optional source address)."""

    def __init__(self, host: str, port: int, timeout: float,
                 from_address: str | None = None) -> None:
        self._from_address = from_address
        self.reached = ""
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock, self.reached = connect(self.host, self.port, timeout or 5.0, self._from_address)
        return sock


class Pop3(poplib.POP3):
    """poplib's client, connecting through `connect()` (bounded, optional source address)."""

    def __init__(self, host: str, port: int, timeout: float,
                 from_address: str | None = None) -> None:
        self._from_address = from_address
        self.reached = ""
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock, self.reached = connect(self.host, self.port, timeout or 5.0, self._from_address)
        return sock


def as_text(value: object) -> str:
    """Protocol data as text: bytes decoded as UTF-8 (replacing errors), None as ""."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def reply_text(exc: BaseException) -> str:
    """The server's text in an imaplib/poplib error (they carry bytes)."""
    return as_text(exc.args[0] if exc.args else str(exc))


def decoded(value: object) -> str:
    """A header value with RFC 2047 encoded words decoded (`=?UTF-8?B?...?=`)."""
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (ValueError, LookupError):
        return str(value)


# --------------------------------------------------------------------------- mailboxes


@dataclass(frozen=True)
class MessageSummary:
    """The envelope sender, From and Subject of one message."""

    envelope: str
    sender: str
    subject: str

    def shown(self) -> str:
        """`From: ... Subject: ...` for evidence."""
        return f"From: {self.sender or self.envelope}  Subject: {self.subject}"


def mailbox_path(ctx: Context, user: str) -> str | None:
    """/var/mail/USER or /var/spool/mail/USER, whichever exists (as a path on the host)."""
    for name in (f"/var/mail/{user}", f"/var/spool/mail/{user}"):
        try:
            if ctx.path(name).exists():
                return name
        except PermissionError:
            return name
    return None


def read_mbox(path: Path, limit: int = 500) -> list[MessageSummary]:
    """The last `limit` messages of an mbox file, read with the mailbox module.

    mailbox.mbox opens the file read-write when it may (it falls back to read-only) but this
    only reads: nothing is added, removed, locked or flushed. PermissionError propagates.
    """
    box = mailbox.mbox(str(path), create=False)
    try:
        keys = list(box.keys())[-limit:]
        out: list[MessageSummary] = []
        for key in keys:
            message = box.get_message(key)
            envelope = (message.get_from() or "").split(" ", 1)[0]
            out.append(MessageSummary(envelope, decoded(message.get("From")),
                                      decoded(message.get("Subject"))))
        return out
    finally:
        box.close()


# --------------------------------------------------------------------------- the mail log

_JOURNAL_DENIED = ("insufficient permissions", "not seeing messages from other users",
                   "No journal files were opened")
_MAX_LINES = 50_000


@dataclass
class MailLog:
    """Mail log lines since a time and where they came from."""

    lines: list[str]
    source: str
    deliveries: list[Delivery] = field(default_factory=list)


def read_mail_log(ctx: Context, since: float | None) -> MailLog | Result:
    """The mail log lines since `since`: the platform's file, else the journal's mail facility.

    At most the last 50,000 lines. Without the right to read, the standard permission error.
    """
    found = find_mail_log(ctx.platform, ctx.files_root)
    if found is not None:
        shown = "/" + str(found.relative_to(ctx.files_root)).lstrip("/")
        try:
            lines = list(deque(log_lines_since(found, since), maxlen=_MAX_LINES))
        except PermissionError:
            return permission_denied(shown, ctx.platform, log=True)
        return MailLog(lines, shown)
    argv = ["journalctl", "--no-pager", "-o", "short"]
    if since is not None:
        argv += ["--since", f"@{int(since)}"]
    argv.append("SYSLOG_FACILITY=2")
    proc = ctx.run(argv, timeout=30)
    problem = tool_missing(proc)
    if problem is not None:
        return error(t("メールログのファイルがなく、journalctl も使えません",
                       "there is no mail log file and journalctl cannot be used"), proc.output)
    if any(s in proc.output for s in _JOURNAL_DENIED):
        return permission_denied("the journal", ctx.platform, log=True)
    lines = [x for x in proc.stdout.splitlines() if x and not x.startswith("-- ")]
    return MailLog(lines[-_MAX_LINES:], "journalctl SYSLOG_FACILITY=2")


@dataclass(frozen=True)
class Finding:
    """A log line that names a known cause, and the diagnosis for it."""

    code: str
    line: str
    values: Mapping[str, str] = field(default_factory=dict)


# (pattern, code, the named groups become diagnosis values) — order matters: first match wins.
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), c) for p, c in (
        (r'unknown smtpd restriction: "(?P<restriction>[^"]+)"', "postfix.unknown-restriction"),
        (r"cannot connect to saslauthd server", "saslauthd.unreachable"),
        (r"no SASL authentication mechanisms", "sasl.no-mechanisms"),
        (r"SASL \w+ authentication failed.*?(?:sasl_username=(?P<user>[^\s,]+))?$",
         "smtp.auth-failed"),
        (r"unable to look up public/pickup", "postfix.not-running"),
        (r"no local interface found for", "postfix.boot-order"),
        (r"ignoring inet_interfaces change", "postfix.restart-needed"),
        (r"mail_location not set and autodetection failed", "dovecot.mail-location-unset"),
        (r"file_dotlock_create\(/\S*?/(?P<user>[^/\s)]+)\) failed: Permission denied",
         "dovecot.mail-privileged-group"),
        (r"\(set mail_privileged_group=", "dovecot.mail-privileged-group"),
        (r"tried to use disallowed plaintext auth", "dovecot.plaintext-refused"),
        (r"(?:imap|pop3)-login: .*\(auth failed.*?user=<(?P<user>[^>]*)>",
         "dovecot.auth-failed"),
    )
)


def known_problems(lines: Iterable[str]) -> list[Finding]:
    """Every line naming a known cause, first one per code, in log order."""
    seen: set[str] = set()
    out: list[Finding] = []
    for line in lines:
        for pattern, code in _KNOWN:
            found = pattern.search(line)
            if found and code not in seen:
                seen.add(code)
                values = {k: v for k, v in found.groupdict().items() if v}
                out.append(Finding(code, line, values))
                break
    return out


def finding_diagnosis(finding: Finding, ctx: Context) -> Diagnosis:
    """The diagnosis for a log finding, with this host's values filled in."""
    values: dict[str, object] = {
        "where": ctx.value("fqdn") or ctx.host, "user": ctx.value("user"),
        "log": mail_log_hint(ctx.platform), "seen": finding.line.split(": ", 1)[-1][:120],
        "install": sasl_install_hint(ctx.platform),
    }
    values.update(finding.values)
    return diagnose(finding.code, **values)


def sasl_install_hint(platform: str | None) -> str:
    """How to install the PLAIN/LOGIN SASL mechanisms on this platform (sasl.no-mechanisms)."""
    if platform == "almalinux9":
        return "sudo dnf install cyrus-sasl-plain"
    return "sudo apt-get install libsasl2-modules"


def hostname_recipient(ctx: Context, recipient: str) -> tuple[str, str] | None:
    """(host-name domain, suggested address) when `recipient` is at a server's host name.

    `user1@mail.example1.jp` is at host1's name: the mail domain is example1.jp, so the
    suggested address is user1@example1.jp (the textbook's From: gets replied to like this).
    """
    local, _, domain = recipient.rpartition("@")
    domain = domain.lower()
    pairs = [(ctx.value("fqdn"), ctx.value("domain")),
             (ctx.value("peer_fqdn"), ctx.value("peer_domain"))]
    for fqdn, mail_domain in pairs:
        if fqdn and mail_domain and domain == fqdn.lower():
            return domain, f"{local}@{mail_domain}"
    parent = domain.split(".", 1)[1] if domain.count(".") >= 2 else ""
    if parent and parent in {ctx.value("domain").lower(), ctx.value("peer_domain").lower()}:
        return domain, f"{local}@{parent}"
    return None


def delivery_diagnosis(ctx: Context, delivery: Delivery) -> Diagnosis:
    """The cause of a deferred or bounced delivery, read from its `(reason)` text."""
    reason = delivery.reason
    recipient = delivery.to
    local, _, domain = recipient.rpartition("@")
    peer = delivery.relay_host if delivery.relay not in ("none", "local") else domain
    peer_match = re.search(r"(?:host|connect to) ([\w.-]+)\[([^\]]+)\]", reason)
    if peer_match:
        peer = peer_match.group(1)
    name_match = re.search(r"name=(\S+) type=(\w+)", reason)
    name, rtype = (name_match.group(1), name_match.group(2)) if name_match else (domain, "MX")
    log = mail_log_hint(ctx.platform)
    hostname = hostname_recipient(ctx, recipient)
    if "4.3.5" in reason or "Server configuration error" in reason:
        return diagnose("postfix.unknown-restriction", where=peer)
    if "Name service error" in reason and "try again" in reason:
        return diagnose("dns.unreachable", name=name, type=rtype, server="")
    if "Host or domain name not found" in reason or "Host not found" in reason:
        return diagnose("dns.missing-record", name=name, type=rtype, status="NXDOMAIN")
    if "Relay access denied" in reason:
        if hostname is not None:
            return diagnose("mail.reply-to-hostname", recipient=recipient, domain=hostname[0],
                            suggested=hostname[1])
        return diagnose("postfix.relay-denied-by-peer", peer=peer, domain=domain)
    if "loops back to myself" in reason:
        if hostname is not None:
            return diagnose("mail.reply-to-hostname", recipient=recipient, domain=hostname[0],
                            suggested=hostname[1])
        return diagnose("postfix.mydestination", server=ctx.value("fqdn") or ctx.host,
                        domain=domain)
    if "No route to host" in reason:
        return diagnose("firewall.closed", where=peer, service="smtp", port=25, zone="public")
    if "Connection refused" in reason:
        return diagnose("postfix.peer-refused", peer=peer)
    if "Connection timed out" in reason or "timed out" in reason:
        return diagnose("net.timeout", where=peer, seconds="30",
                        address=delivery.relay_address or peer)
    if "Network is unreachable" in reason:
        return diagnose("net.unreachable", address=delivery.relay_address or peer)
    if "User unknown" in reason or "unknown user" in reason:
        return diagnose("mail.unknown-user", recipient=recipient, local_part=local)
    code = "mail.bounced" if delivery.status == "bounced" else "mail.deferred"
    return diagnose(code, reason=reason, log=log)


# --------------------------------------------------------------------------- small helpers


def io_seconds(value: float | None, default: float = 5.0) -> float:
    """A per-operation network timeout: the parameter, bounded to 0.2-60 s."""
    return min(max(float(value if value is not None else default), 0.2), 60.0)


def default_host(ctx: Context, host: str | None) -> str:
    """The host a probe connects to: the parameter, else this host's address (or 127.0.0.1)."""
    return (host or ctx.value("address") or ctx.value("fqdn") or "127.0.0.1").strip()


def server_values(ctx: Context, host: str) -> dict[str, str]:
    """The chapter values of the server at `host`: the peer's when `host` names the peer."""
    peer = {ctx.value("peer_address"), ctx.value("peer_fqdn")} - {""}
    if host in peer:
        return {"fqdn": ctx.value("peer_fqdn"), "domain": ctx.value("peer_domain"),
                "user": ctx.value("peer_user"), "address": ctx.value("peer_address")}
    return {"fqdn": ctx.value("fqdn"), "domain": ctx.value("domain"), "user": ctx.value("user"),
            "address": ctx.value("address")}


def other_values(ctx: Context, host: str) -> dict[str, str]:
    """The chapter values of the server that is NOT at `host` (the other lab host)."""
    peer = {ctx.value("peer_address"), ctx.value("peer_fqdn")} - {""}
    if host in peer:
        return {"fqdn": ctx.value("fqdn"), "domain": ctx.value("domain"),
                "user": ctx.value("user"), "address": ctx.value("address")}
    return {"fqdn": ctx.value("peer_fqdn"), "domain": ctx.value("peer_domain"),
            "user": ctx.value("peer_user"), "address": ctx.value("peer_address")}


__all__ = [
    "SERVICES",
    "Finding",
    "Imap",
    "MailLog",
    "MessageSummary",
    "Pop3",
    "Reply",
    "SmtpClosed",
    "SmtpSession",
    "Unreachable",
    "answers",
    "as_text",
    "connect",
    "decoded",
    "default_host",
    "delivery_diagnosis",
    "finding_diagnosis",
    "hostname_recipient",
    "io_seconds",
    "is_local_address",
    "known_problems",
    "mailbox_path",
    "other_values",
    "read_mail_log",
    "read_mbox",
    "reply_text",
    "resolve",
    "sasl_install_hint",
    "server_values",
    "smtp_closed_result",
    "unreachable_result",
    "where",
]
