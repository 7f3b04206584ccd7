"""SMTP, IMAP and POP3 sessions as the checks speak them: `SmtpSession` speaks SMTP with
smtplib one command and one reply at a time (Postfix rejects pipelined blind dialogues),
keeps a transcript with passwords masked and never sends DATA; `Imap` and `Pop3` are
imaplib/poplib clients that connect the same way.
"""

from __future__ import annotations

import base64
import email
import imaplib
import poplib
import smtplib
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import decode_header, make_header

from maillab_tui.checking.api import Context, Result, failed, t
from maillab_tui.checking.probes import mask
from maillab_tui.mail.diagnoses import diagnose, mail_log_hint
from maillab_tui.mail.net import connect

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


class _Bounded:
    """Connects through `connect()` (bounded, optional source address) for imaplib and poplib,
    which both open their socket in `_create_socket(timeout)`."""

    host: str
    port: int

    def __init__(self, host: str, port: int, timeout: float,
                 from_address: str | None = None) -> None:
        self._from_address = from_address
        self.reached = ""
        super().__init__(host, port, timeout)  # type: ignore[call-arg]

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock, self.reached = connect(self.host, self.port, timeout or 5.0, self._from_address)
        return sock


class Imap(_Bounded, imaplib.IMAP4):
    """imaplib's client, connecting through `connect()`."""

    def subjects(self, count: int, last: int = 200) -> list[str]:
        """The Subject of the last `last` of the selected mailbox's `count` messages, decoded
        (BODY.PEEK: nothing is marked seen)."""
        if not count:
            return []
        _, fetched = self.fetch(f"{max(1, count - last + 1)}:{count}",
                                "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        return [decoded(email.message_from_bytes(item[1]).get("Subject"))
                for item in fetched or [] if isinstance(item, tuple) and len(item) == 2]


class Pop3(_Bounded, poplib.POP3):
    """poplib's client, connecting through `connect()`."""

    def subjects(self, count: int, last: int = 50) -> list[str]:
        """The Subject of the last `last` of the `count` messages, decoded (TOP n 0)."""
        out = []
        for number in range(max(1, count - last + 1), count + 1):
            _, lines, _ = self.top(number, 0)
            out.append(decoded(email.message_from_bytes(b"\r\n".join(lines)).get("Subject")))
        return out


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
