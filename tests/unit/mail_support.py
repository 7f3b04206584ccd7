"""Test support for the mail checks: small real SMTP/IMAP/POP3 servers and a fake runner.

The servers listen on 127.0.0.1 (or another loopback address) on an ephemeral port, speak
just enough of each protocol to give the real reply texts Postfix and Dovecot give (recorded
in the mail facts), answer one command at a time, and record every command they saw, so a
test can assert that a probe never sent DATA and always ended with RSET/QUIT. Every loop is
bounded and every server is shut down by its context manager.
"""

from __future__ import annotations

import base64
import socketserver
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from maillab_tui.checking.api import Context, Result, load_library, run_check
from maillab_tui.system import Proc
from maillab_tui.text import render

MAX_COMMANDS = 60
VALUES = {
    "fqdn": "mail.example1.jp", "domain": "example1.jp", "address": "127.0.0.1",
    "user": "user1", "password": "userpass", "peer_fqdn": "mail.example2.jp",
    "peer_domain": "example2.jp", "peer_address": "127.0.0.2", "peer_user": "user2",
    "host": "host1",
}

# ----------------------------------------------------------------------------- SMTP

RELAY_DENIED = "454 4.7.1 <{rcpt}>: Relay access denied"
CONFIG_ERROR = "451 4.3.5 Server configuration error"


@dataclass
class SmtpBehaviour:
    """How the fake Postfix answers."""

    banner: str | None = "220 mail.example1.jp ESMTP Postfix (Debian/GNU)"  # None: hang up
    silent: bool = False  # accept, then never greet
    features: Sequence[str] = ("PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS",
                               "AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME",
                               "DSN", "CHUNKING")
    name: str = "mail.example1.jp"
    passwords: Mapping[str, str] = field(default_factory=lambda: {"user1": "userpass",
                                                                   "user2": "userpass"})
    auth_reply: str | None = None  # force a reply, e.g. 454 4.7.0 Temporary authentication failure
    local_domains: Sequence[str] = ("example1.jp",)
    users: Sequence[str] = ("user1",)
    trusted: bool = False  # the client is in mynetworks
    rcpt_reply: str | None = None  # force the RCPT reply
    close_after_ehlo: bool = False
    no_auth_reply: str = "503 5.5.1 Error: authentication not enabled"  # AUTH when not offered


class _SmtpHandler(socketserver.StreamRequestHandler):
    """One SMTP session following the behaviour of its server."""

    timeout = 5

    def reply(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())
        self.wfile.flush()

    def read(self) -> str | None:
        raw = self.rfile.readline(2048)
        if not raw:
            return None
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        self.server.commands.append(line)  # type: ignore[attr-defined]
        return line

    def handle(self) -> None:
        server: Any = self.server
        b: SmtpBehaviour = server.behaviour
        server.clients.append(self.client_address[0])
        if b.silent:
            server.stop.wait(10)
            return
        if b.banner is None:
            return
        self.reply(b.banner)
        authed = False
        for _ in range(MAX_COMMANDS):
            line = self.read()
            if line is None:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                if verb == "HELO":
                    self.reply(f"250 {b.name}")
                    continue
                lines = [b.name, *b.features]
                self.reply(*(f"250-{x}" for x in lines[:-1]), f"250 {lines[-1]}")
                if b.close_after_ehlo:
                    return
            elif verb == "AUTH":
                authed = self.auth(line, b) or authed
            elif verb == "MAIL":
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpt = line.split(":", 1)[1].strip().strip("<>")
                self.reply(self.rcpt(rcpt, authed, b))
            elif verb == "DATA":
                server.saw_data = True
                self.reply("554 5.5.1 the test server refuses DATA")
            elif verb == "RSET":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")

    def auth(self, line: str, b: SmtpBehaviour) -> bool:
        """Answer AUTH PLAIN / LOGIN like Postfix with saslauthd behind it."""
        if not any(f.startswith("AUTH") for f in b.features):
            self.reply(b.no_auth_reply)
            return False
        parts = line.split()
        mechanism = parts[1].upper() if len(parts) > 1 else ""
        if mechanism == "PLAIN":
            token = parts[2] if len(parts) > 2 else None
            if token is None:
                self.reply("334 ")
                token = self.read() or ""
            try:
                _, user, password = base64.b64decode(token).decode().split("\0")
            except ValueError:
                self.reply("501 5.5.2 Cannot decode response")
                return False
        elif mechanism == "LOGIN":
            self.reply("334 VXNlcm5hbWU6")
            answer = self.read() or ""
            if answer == "*":
                self.reply("501 5.7.0 Authentication aborted")
                return False
            user = base64.b64decode(answer).decode()
            self.reply("334 UGFzc3dvcmQ6")
            password = base64.b64decode(self.read() or "").decode()
        else:
            self.reply("535 5.7.8 Error: authentication failed: Invalid authentication mechanism")
            return False
        if b.auth_reply:
            self.reply(b.auth_reply)
            return b.auth_reply.startswith("235")
        if b.passwords.get(user) == password:
            self.reply("235 2.7.0 Authentication successful")
            return True
        self.reply("535 5.7.8 Error: authentication failed: authentication failure")
        return False

    def rcpt(self, rcpt: str, authed: bool, b: SmtpBehaviour) -> str:
        """Postfix's answer: relay restrictions, then recipient restrictions."""
        if b.rcpt_reply:
            return b.rcpt_reply.format(rcpt=rcpt)
        local, _, domain = rcpt.rpartition("@")
        if domain in b.local_domains:
            if local not in b.users:
                return (f"550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local "
                        "recipient table")
            return "250 2.1.5 Ok"
        if authed or b.trusted:
            return "250 2.1.5 Ok"
        return RELAY_DENIED.format(rcpt=rcpt)


# ----------------------------------------------------------------------------- IMAP

IMAP_CAPS = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN"
PRIVACY = ("NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) "
           "connections.")
AUTH_FAILED = "NO [AUTHENTICATIONFAILED] Authentication failed."
SERVERBUG = ("NO [SERVERBUG] Internal error occurred. Refer to server log for more information. "
             "[2026-11-28 18:14:06]")


@dataclass
class ImapBehaviour:
    """How the fake Dovecot IMAP answers."""

    capabilities: str = IMAP_CAPS
    login_reply: str | None = None  # force, e.g. PRIVACY
    passwords: Mapping[str, str] = field(default_factory=lambda: {"user1": "userpass",
                                                                   "user2": "userpass"})
    select_reply: str | None = None  # force, e.g. SERVERBUG
    subjects: Sequence[str] = ()


def _imap_words(text: str) -> list[str]:
    """IMAP arguments: atoms and "quoted strings"."""
    words: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == " ":
            i += 1
        elif text[i] == '"':
            j = i + 1
            out = []
            while j < len(text) and text[j] != '"':
                if text[j] == "\\":
                    j += 1
                out.append(text[j])
                j += 1
            words.append("".join(out))
            i = j + 1
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            words.append(text[i:j])
            i = j
    return words


class _ImapHandler(_SmtpHandler):
    """One IMAP session."""

    def handle(self) -> None:
        server: Any = self.server
        b: ImapBehaviour = server.behaviour
        server.clients.append(self.client_address[0])
        self.reply(f"* OK [CAPABILITY {b.capabilities}] Dovecot ready.")
        for _ in range(MAX_COMMANDS):
            line = self.read()
            if line is None:
                return
            tag, _, rest = line.partition(" ")
            verb, _, args = rest.partition(" ")
            verb = verb.upper()
            if verb == "CAPABILITY":
                self.reply(f"* CAPABILITY {b.capabilities}", f"{tag} OK Pre-login capabilities.")
            elif verb == "LOGIN":
                user, password = [*_imap_words(args), "", ""][:2]
                if b.login_reply:
                    self.reply(f"{tag} {b.login_reply}")
                elif b.passwords.get(user) == password:
                    self.reply(f"{tag} OK [CAPABILITY {b.capabilities}] Logged in")
                else:
                    self.reply(f"{tag} {AUTH_FAILED}")
            elif verb in ("SELECT", "EXAMINE"):
                if verb == "SELECT":
                    server.wrote = True
                if b.select_reply:
                    self.reply(f"{tag} {b.select_reply}")
                    continue
                self.reply(r"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)",
                           f"* {len(b.subjects)} EXISTS", "* 0 RECENT",
                           f"{tag} OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).")
            elif verb == "FETCH":
                if "PEEK" not in args:
                    server.wrote = True
                for number, subject in enumerate(b.subjects, 1):
                    header = f"Subject: {subject}\r\n\r\n".encode()
                    self.wfile.write(f"* {number} FETCH (BODY[HEADER.FIELDS (SUBJECT)] "
                                     f"{{{len(header)}}}\r\n".encode() + header + b")\r\n")
                self.reply(f"{tag} OK Fetch completed.")
            elif verb == "LOGOUT":
                self.reply("* BYE Logging out", f"{tag} OK Logout completed.")
                return
            else:
                self.reply(f"{tag} BAD Error in IMAP command {verb}: Unknown command.")


# ----------------------------------------------------------------------------- POP3

POP_PLAINTEXT = ("-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) "
                 "connections.")


@dataclass
class Pop3Behaviour:
    """How the fake Dovecot POP3 answers."""

    user_reply: str | None = None  # force, e.g. POP_PLAINTEXT
    pass_reply: str | None = None  # force, e.g. -ERR [SYS/TEMP] ...
    passwords: Mapping[str, str] = field(default_factory=lambda: {"user1": "userpass",
                                                                   "user2": "userpass"})
    subjects: Sequence[str] = ()


class _Pop3Handler(_SmtpHandler):
    """One POP3 session."""

    def handle(self) -> None:
        server: Any = self.server
        b: Pop3Behaviour = server.behaviour
        server.clients.append(self.client_address[0])
        self.reply("+OK Dovecot (Debian) ready.")
        user = ""
        for _ in range(MAX_COMMANDS):
            line = self.read()
            if line is None:
                return
            verb, _, args = line.partition(" ")
            verb = verb.upper()
            if verb == "USER":
                user = args
                self.reply(b.user_reply or "+OK")
            elif verb == "PASS":
                if b.pass_reply:
                    self.reply(b.pass_reply)
                elif b.passwords.get(user) == args:
                    self.reply("+OK Logged in.")
                else:
                    self.reply("-ERR [AUTH] Authentication failed.")
            elif verb == "STAT":
                self.reply(f"+OK {len(b.subjects)} {100 * len(b.subjects)}")
            elif verb == "TOP":
                number = int(args.split()[0])
                self.reply("+OK", f"Subject: {b.subjects[number - 1]}", "", ".")
            elif verb in ("RETR", "DELE"):
                server.wrote = True
                self.reply("-ERR not in this test")
            elif verb == "RSET":
                self.reply("+OK")
            elif verb == "QUIT":
                self.reply("+OK Logging out.")
                return
            else:
                self.reply("-ERR Unknown command")


# ----------------------------------------------------------------------------- the server


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    behaviour: Any
    commands: list[str]
    clients: list[str]
    saw_data: bool
    wrote: bool
    stop: threading.Event


class FakeServer:
    """A protocol server on `host`:ephemeral for the duration of a `with` block."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler], behaviour: Any,
                 host: str = "127.0.0.1") -> None:
        self._server = _Server((host, 0), handler)
        self.server: Any = self._server
        self.server.behaviour = behaviour
        self.server.commands = []
        self.server.clients = []
        self.server.saw_data = False
        self.server.wrote = False
        self.server.stop = threading.Event()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def commands(self) -> list[str]:
        return list(self.server.commands)

    @property
    def clients(self) -> list[str]:
        return list(self.server.clients)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.server.stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def smtp_server(behaviour: SmtpBehaviour | None = None, host: str = "127.0.0.1") -> FakeServer:
    """A fake Postfix."""
    return FakeServer(_SmtpHandler, behaviour or SmtpBehaviour(), host)


def imap_server(behaviour: ImapBehaviour | None = None, host: str = "127.0.0.1") -> FakeServer:
    """A fake Dovecot IMAP."""
    return FakeServer(_ImapHandler, behaviour or ImapBehaviour(), host)


def pop3_server(behaviour: Pop3Behaviour | None = None, host: str = "127.0.0.1") -> FakeServer:
    """A fake Dovecot POP3."""
    return FakeServer(_Pop3Handler, behaviour or Pop3Behaviour(), host)


# ----------------------------------------------------------------------------- runner and ctx

Reply = tuple[int, str, str]  # returncode, stdout, stderr


class FakeRunner:
    """Answers commands from a table of recorded outputs; an unknown command fails the test.

    A key may be the whole argv or its prefix ending in "*" (`("dig", "*")`).
    """

    def __init__(self, table: Mapping[Any, Reply | Callable[[tuple[str, ...]], Reply]]
                 | None = None, missing: Sequence[str] = (),
                 timed_out: Sequence[str] = ()) -> None:
        self.table = dict(table or {})
        self.missing = set(missing)
        self.timed_out = set(timed_out)
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str], timeout: float = 10.0, input: str | None = None,
                 env: Mapping[str, str] | None = None) -> Proc:
        key = tuple(argv)
        self.calls.append(key)
        if key[0] in self.missing:
            return Proc(key, 127, "", f"{key[0]}: command not found", missing=True)
        if key[0] in self.timed_out:
            return Proc(key, -1, "", "", timed_out=True)
        answer = self.table.get(key)
        if answer is None:
            for pattern, value in self.table.items():
                if pattern[-1] == "*" and key[: len(pattern) - 1] == pattern[:-1]:
                    answer = value
                    break
        if answer is None:
            raise AssertionError(f"unexpected command: {key}")
        code, out, err = answer(key) if callable(answer) else answer
        return Proc(key, code, out, err)


def make_ctx(tmp_path: Path | None = None, table: Mapping[Any, Any] | None = None,
             *, platform: str = "debian12", root: bool = True, since: float | None = None,
             missing: Sequence[str] = (), values: Mapping[str, str] | None = None) -> Context:
    """A context for host1: values above, commands from `table`, files under tmp_path."""
    merged = {**VALUES, **(values or {})}
    return Context("host1", platform, merged, secrets=("userpass",), since=since, root=root,
                   runner=FakeRunner(table, missing), files_root=str(tmp_path or "/nonexistent"))


LIB = load_library()


def run(name: str, ctx: Context, /, **params: Any) -> Result:
    """Run the library check `name` once with these parameters."""
    definition = LIB.get(name)
    assert definition is not None, name
    return run_check(definition, ctx, params)


def text(result: Result) -> str:
    """Everything a result says, in both languages, for assertions on words."""
    parts = [render(result.message, "ja"), render(result.message, "en"), *result.evidence]
    if result.diagnosis is not None:
        parts += [render(result.diagnosis.message, "ja"), render(result.diagnosis.message, "en"),
                  result.diagnosis.suggestion]
    return "\n".join(parts)


def code(result: Result) -> str | None:
    """The diagnosis code of a result, if any."""
    return result.diagnosis.code if result.diagnosis else None
