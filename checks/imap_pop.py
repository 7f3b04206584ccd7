"""IMAP and POP3 checks: log in to Dovecot without encryption, as the lab's clients do.

`imap_login` connects to port 143, checks that plaintext LOGIN is allowed (no LOGINDISABLED),
logs in, opens INBOX read-only (EXAMINE, so nothing is marked seen) and, with
`subject_pattern`, looks for the message among the last 200 headers (BODY.PEEK).
`pop3_login` does the same on port 110 with USER/PASS, STAT and TOP n 0, then RSET and QUIT.

Connections from the server itself count as "secure" for Dovecot, so plaintext login works
there even with the defaults: probe from the other host (`host: "{{ peer_address }}"`).

When INBOX cannot be opened and the server is this machine, the cause is looked up in
`doveadm log errors` (as root) and the mail log: `mail_location not set and autodetection
failed` or `file_dotlock_create(...) failed: Permission denied`.

Diagnoses: dovecot.plaintext-refused, dovecot.auth-failed, dovecot.mail-location-unset,
dovecot.mail-privileged-group, dovecot.internal-error, mail.not-delivered, and the connection
codes dovecot.not-running, firewall.closed, net.timeout, net.unreachable, dns.*.
"""

from __future__ import annotations

import contextlib
import imaplib
import poplib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from maillab_tui.check import Context, Diagnosis, Localized, Result, check, error, failed, passed, t
from maillab_tui.mail.diagnoses import diagnose, mail_log_hint
from maillab_tui.mail.maillog import MailLog, finding_diagnosis, known_problems, read_mail_log
from maillab_tui.mail.net import (
    Unreachable,
    default_host,
    io_seconds,
    is_local_address,
    unreachable_result,
    where,
)
from maillab_tui.mail.peers import credentials
from maillab_tui.mail.sessions import Imap, Pop3, as_text, reply_text

_PARAMS = {
    "host": "the server's name or address (default: this host's address)",
    "user": "the login name (default: the user of the server's host)",
    "password": "the password (default: the chapter variable password)",
    "subject_pattern": "a regex one message's Subject must match",
    "from_address": "bind the client to this local address",
    "io_timeout": "seconds to wait for each connect and reply",
}
_PLAINTEXT = re.compile(r"PRIVACYREQUIRED|Plaintext authentication disallowed", re.IGNORECASE)
_AUTH_FAILED = re.compile(r"AUTHENTICATIONFAILED|\[AUTH\] Authentication failed|"
                          r"Authentication failed", re.IGNORECASE)
_DOVECOT_CAUSES = ("dovecot.mail-location-unset", "dovecot.mail-privileged-group")


def _doveadm_errors(ctx: Context) -> list[str]:
    """Dovecot's recent errors (`doveadm log errors`, root only)."""
    if not ctx.root:
        return []
    proc = ctx.run(["doveadm", "log", "errors"], timeout=10)
    return proc.stdout.splitlines() if proc.ok else []


def _log_since(ctx: Context, since: float) -> list[str]:
    """The mail log since `since`, or nothing when it cannot be read."""
    log = read_mail_log(ctx, since)
    return log.lines if isinstance(log, MailLog) else []


def _server_cause(ctx: Context, reply: str, user: str, reached: str, started: float) -> Diagnosis:
    """Why Dovecot could not open the mailbox: from the reply, else this machine's logs."""
    if "Permission denied" in reply or "NOPERM" in reply:
        return diagnose("dovecot.mail-privileged-group", user=user)
    if reached and is_local_address(reached):
        sources: list[Callable[[], list[str]]] = [lambda: _doveadm_errors(ctx),
                                                  lambda: _log_since(ctx, started - 5)]
        for source in sources:
            for finding in known_problems(source()):
                if finding.code in _DOVECOT_CAUSES:
                    return finding_diagnosis(finding, ctx)
    return diagnose("dovecot.internal-error", reply=reply[:160])


@dataclass(frozen=True)
class _Login:
    """What a login probe works with: the server, the credentials, the subject to look for."""

    target: str
    login: str
    secret: str
    pattern: re.Pattern[str] | None
    seconds: float
    started: float


def _prepare(ctx: Context, host: str | None, user: str | None, password: str | None,
             subject_pattern: str | None, io_timeout: float) -> _Login | Result:
    """The login's parameters filled in from the chapter, or the error naming what is wrong."""
    target = default_host(ctx, host)
    given = credentials(ctx, target, user, password)
    if isinstance(given, Result):
        return given
    login, secret = given
    try:
        pattern = re.compile(subject_pattern) if subject_pattern else None
    except re.error as exc:
        return error(t(f"正規表現 /{subject_pattern}/ が不正です: {exc}",
                       f"bad regex /{subject_pattern}/: {exc}"))
    return _Login(target, login, secret, pattern, io_seconds(io_timeout), time.time())


def _no_greeting(probe: _Login, protocol: str, exc: Exception) -> Result:
    """The server accepted the connection but said nothing."""
    target = probe.target
    return failed(t(f"{target} の {protocol} サーバーが挨拶しません: {exc}",
                    f"{target}'s {protocol} server sent no greeting: {exc}"), str(exc),
                  diagnose("net.timeout", where=target, seconds=f"{probe.seconds:g}",
                           address=target))


def _refused(ctx: Context, probe: _Login, text: str, transcript: list[str],
             reached: str) -> Result:
    """The server said no to the login: plaintext refused, a wrong password, or its own error."""
    login = probe.login
    if _PLAINTEXT.search(text):
        return failed(t(f"暗号化なしのログインを断られました: {text}",
                        f"plaintext login refused: {text}"),
                      transcript, diagnose("dovecot.plaintext-refused", seen=text))
    if _AUTH_FAILED.search(text):
        return failed(t(f"{login} のログインが失敗しました: {text}",
                        f"login as {login} failed: {text}"),
                      transcript, diagnose("dovecot.auth-failed", user=login))
    return failed(t(f"ログインできません: {text}", f"login failed: {text}"), transcript,
                  _server_cause(ctx, text, login, reached, probe.started))


@dataclass(frozen=True)
class _Texts:
    """What a login check says of the mailbox: templates with {shown}, {login}, {count},
    {hit} (the matching subject)."""

    where: Localized
    logged_in: Localized
    found: Localized


_IMAP_TEXTS = _Texts(
    t("{shown} の INBOX", "{shown}'s INBOX"),
    t("{shown} に {login} でログインし、INBOX（{count} 通）を開けました",
      "logged in to {shown} as {login}; INBOX has {count} messages"),
    t("{shown} の INBOX に件名「{hit}」のメールがあります",
      "{shown}'s INBOX has the message \"{hit}\""),
)
_POP3_TEXTS = _Texts(
    t("{shown} のメールボックス", "{shown}'s mailbox"),
    t("{shown} に POP3 で {login} としてログインできました（{count} 通）",
      "POP3 login to {shown} as {login} works ({count} messages)"),
    t("{shown} に件名「{hit}」のメールがあります（POP3）",
      "{shown} has the message \"{hit}\" (POP3)"),
)


def _mailbox_result(ctx: Context, probe: _Login, subjects: Callable[[], list[str]], shown: str,
                    count: int, transcript: list[str], texts: _Texts) -> Result:
    """Passed when no subject is asked for or one matches; else the failure listing the last
    subjects."""
    def say(text: Localized, **more: str) -> Localized:
        return t(text.ja.format(shown=shown, login=probe.login, count=count, **more),
                 text.en.format(shown=shown, login=probe.login, count=count, **more))

    pattern = probe.pattern
    if pattern is None:
        return passed(say(texts.logged_in), transcript)
    listed = subjects()
    hit = next((s for s in listed if pattern.search(s)), None)
    if hit is not None:
        return passed(say(texts.found, hit=hit), [*transcript, f"Subject: {hit}"])
    where_ = say(texts.where)
    listed_shown = [f"Subject: {s}" for s in listed[-5:]] or ["(メールなし / no messages)"]
    return failed(
        t(f"{where_.ja} に件名 /{pattern.pattern}/ のメールがありません（{len(listed)} 通を確認）",
          f"{where_.en} has no message with subject /{pattern.pattern}/ ({len(listed)} checked)"),
        [*transcript, *listed_shown],
        diagnose("mail.not-delivered", where=where_.ja, wanted=f"Subject /{pattern.pattern}/",
                 log=mail_log_hint(ctx.platform)),
    )


_Dialogue = Callable[[Context, _Login, Any, str, list[str]], Result]


def _mailbox_check(name: str, session: type[Imap] | type[Pop3], port: int, summary: str,
                   doc: str, errors: tuple[type[Exception], ...],
                   ) -> Callable[[_Dialogue], _Dialogue]:
    """Declare the login check of one protocol: the parameters and connecting are shared,
    `dialogue` gets the connected client, what to call the server and the transcript so far."""

    protocol = session.__name__.upper()

    def declare(dialogue: _Dialogue) -> _Dialogue:
        def probe_login(ctx: Context, host: str | None = None, user: str | None = None,
                        password: str | None = None, subject_pattern: str | None = None,
                        from_address: str | None = None, io_timeout: float = 5.0,
                        port: int = port) -> Result:
            probe = _prepare(ctx, host, user, password, subject_pattern, io_timeout)
            if isinstance(probe, Result):
                return probe
            try:
                client = session(probe.target, port, probe.seconds, from_address)
            except Unreachable as exc:
                return unreachable_result(ctx, exc, protocol.lower(), probe.target, port,
                                          probe.seconds)
            except (OSError, *errors) as exc:
                return _no_greeting(probe, protocol, exc)
            transcript = [f"S: {as_text(client.welcome)}"]
            return dialogue(ctx, probe, client, where(probe.target, client.reached), transcript)

        probe_login.__name__ = probe_login.__qualname__ = name
        probe_login.__doc__ = doc
        check(name, summary, told={"subject_pattern": "regex"},
              docs={**_PARAMS, "port": f"the {protocol} port"})(probe_login)
        return dialogue

    return declare


@_mailbox_check(
    "imap_login", Imap, 143,
    "IMAP（143 番）に暗号化なしでログインして INBOX を開ける（subject_pattern のメールがある） / "
    "Plaintext IMAP login works and INBOX opens (and holds a message with the subject).",
    "LOGIN, EXAMINE INBOX, and FETCH the Subject headers (BODY.PEEK: nothing is changed).",
    (imaplib.IMAP4.error,),
)
def _imap_dialogue(ctx: Context, probe: _Login, client: Imap, shown: str,
                   transcript: list[str]) -> Result:
    """The IMAP session once connected: LOGIN, EXAMINE INBOX, the subjects."""
    login, started = probe.login, probe.started
    transcript.append(f"# CAPABILITY {' '.join(client.capabilities)}")
    try:
        if "LOGINDISABLED" in client.capabilities:
            return failed(t(f"{shown} は暗号化なしの LOGIN を受け付けません（LOGINDISABLED）",
                            f"{shown} refuses plaintext LOGIN (LOGINDISABLED)"),
                          transcript, diagnose("dovecot.plaintext-refused", seen="LOGINDISABLED"))
        transcript.append(f"C: LOGIN {login} ********")
        try:
            login_typ, login_data = client.login(login, probe.secret)
        except imaplib.IMAP4.error as exc:
            text = reply_text(exc)
            transcript.append(f"S: NO {text}")
            return _refused(ctx, probe, text, transcript, client.reached)
        transcript.append(f"S: {login_typ} {as_text(login_data[-1] if login_data else b'')}")
        transcript.append("C: EXAMINE INBOX")
        typ: str
        data: list[Any]
        try:
            typ, data = client.select("INBOX", readonly=True)
        except imaplib.IMAP4.error as exc:
            typ, data = "NO", [str(exc).encode()]
        text = as_text(data[-1] if data else b"")
        if typ != "OK":
            transcript.append(f"S: {typ} {text}")
            return failed(t(f"INBOX を開けません: {text}", f"cannot open INBOX: {text}"),
                          transcript, _server_cause(ctx, text, login, client.reached, started))
        count = int(text) if text.isdigit() else 0
        transcript.append(f"S: OK ({count} messages)")
        return _mailbox_result(ctx, probe, lambda: client.subjects(count), shown, count,
                               transcript, _IMAP_TEXTS)
    except (OSError, imaplib.IMAP4.abort) as exc:
        transcript.append(f"S: ({exc})")
        return failed(t(f"{shown} が接続を切りました: {exc}",
                        f"{shown} closed the connection: {exc}"),
                      transcript, _server_cause(ctx, str(exc), login, client.reached, started))
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


@_mailbox_check(
    "pop3_login", Pop3, 110,
    "POP3（110 番）に暗号化なしでログインできる（subject_pattern のメールがある） / "
    "Plaintext POP3 login works (and the mailbox holds a message with the subject).",
    "USER/PASS, STAT, TOP n 0 for the last 50 messages; RSET and QUIT (nothing deleted).",
    (poplib.error_proto,),
)
def _pop3_dialogue(ctx: Context, probe: _Login, client: Pop3, shown: str,
                   transcript: list[str]) -> Result:
    """The POP3 session once connected: USER/PASS, STAT, the subjects, RSET and QUIT."""
    login, secret, started = probe.login, probe.secret, probe.started
    ok = False
    try:
        for command, send in ((f"USER {login}", lambda: client.user(login)),
                              ("PASS ********", lambda: client.pass_(secret))):
            transcript.append(f"C: {command}")
            try:
                reply = send()
            except poplib.error_proto as exc:
                text = reply_text(exc)
                transcript.append(f"S: {text}")
                return _refused(ctx, probe, text, transcript, client.reached)
            transcript.append(f"S: {as_text(reply)}")
        ok = True
        count, size = client.stat()
        transcript.append(f"C: STAT → {count} messages, {size} octets")
        return _mailbox_result(ctx, probe, lambda: client.subjects(count), shown, count,
                               transcript, _POP3_TEXTS)
    except (OSError, poplib.error_proto) as exc:
        text = reply_text(exc)
        transcript.append(f"S: {text}")
        return failed(t(f"{shown} とのやり取りが失敗しました: {text}",
                        f"the POP3 dialogue with {shown} failed: {text}"),
                      transcript, _server_cause(ctx, text, login, client.reached, started))
    finally:
        try:
            if ok:
                client.rset()
            client.quit()
        except (OSError, poplib.error_proto):
            client.close()
