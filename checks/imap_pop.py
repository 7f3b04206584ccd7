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
import email
import imaplib
import poplib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from maillab_tui.check import Context, Diagnosis, Result, check, error, failed, passed, t
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
from maillab_tui.mail.peers import server_values
from maillab_tui.mail.sessions import Imap, Pop3, as_text, decoded, reply_text

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


def _credentials(ctx: Context, host: str, user: str | None,
                 password: str | None) -> tuple[str, str]:
    """The login name and password: parameters, else the chapter's values for that server."""
    login = user or server_values(ctx, host)["user"]
    secret = password if password is not None else ctx.value("password")
    return login, secret


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
    login, secret = _credentials(ctx, target, user, password)
    if not login or not secret:
        return error(t("ユーザー名かパスワードがありません（user / password）",
                       "no user or password (user / password)"))
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


def _subjects_match(pattern: re.Pattern[str], subjects: list[str], where_: str,
                    transcript: list[str], ctx: Context) -> Result | None:
    """None when a subject matches, else the failure listing the last subjects."""
    if any(pattern.search(s) for s in subjects):
        return None
    shown = [f"Subject: {s}" for s in subjects[-5:]] or ["(メールなし / no messages)"]
    return failed(
        t(f"{where_} に件名 /{pattern.pattern}/ のメールがありません（{len(subjects)} 通を確認）",
          f"{where_} has no message with subject /{pattern.pattern}/ ({len(subjects)} checked)"),
        [*transcript, *shown],
        diagnose("mail.not-delivered", where=where_, wanted=f"Subject /{pattern.pattern}/",
                 log=mail_log_hint(ctx.platform)),
    )


@check(
    "imap_login",
    "IMAP（143 番）に暗号化なしでログインして INBOX を開ける（subject_pattern のメールがある） / "
    "Plaintext IMAP login works and INBOX opens (and holds a message with the subject).",
    told={"subject_pattern": "regex"},
    docs=_PARAMS,
)
def imap_login(ctx: Context, host: str | None = None, user: str | None = None,
               password: str | None = None, subject_pattern: str | None = None,
               from_address: str | None = None, io_timeout: float = 5.0,
               port: int = 143) -> Result:
    """LOGIN, EXAMINE INBOX, and FETCH the Subject headers (BODY.PEEK: nothing is changed).

    Parameters:
        port: the IMAP port
    """
    probe = _prepare(ctx, host, user, password, subject_pattern, io_timeout)
    if isinstance(probe, Result):
        return probe
    target, login, pattern, started = probe.target, probe.login, probe.pattern, probe.started
    try:
        client = Imap(target, port, probe.seconds, from_address)
    except Unreachable as exc:
        return unreachable_result(ctx, exc, "imap", target, port, probe.seconds)
    except (OSError, imaplib.IMAP4.error) as exc:
        return _no_greeting(probe, "IMAP", exc)
    shown = where(target, client.reached)
    transcript = [f"S: {as_text(client.welcome)}",
                  f"# CAPABILITY {' '.join(client.capabilities)}"]
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
        if pattern is None:
            return passed(t(f"{shown} に {login} でログインし、INBOX（{count} 通）を開けました",
                            f"logged in to {shown} as {login}; INBOX has {count} messages"),
                          transcript)
        subjects: list[str] = []
        if count:
            first = max(1, count - 199)
            _, fetched = client.fetch(f"{first}:{count}", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            for item in fetched or []:
                if isinstance(item, tuple) and len(item) == 2:
                    header = email.message_from_bytes(item[1])
                    subjects.append(decoded(header.get("Subject")))
        problem = _subjects_match(pattern, subjects, f"{shown} の INBOX", transcript, ctx)
        if problem is not None:
            return problem
        hit = next(s for s in subjects if pattern.search(s))
        return passed(t(f"{shown} の INBOX に件名「{hit}」のメールがあります",
                        f"{shown}'s INBOX has the message \"{hit}\""),
                      [*transcript, f"Subject: {hit}"])
    except (OSError, imaplib.IMAP4.abort) as exc:
        transcript.append(f"S: ({exc})")
        return failed(t(f"{shown} が接続を切りました: {exc}",
                        f"{shown} closed the connection: {exc}"),
                      transcript, _server_cause(ctx, str(exc), login, client.reached, started))
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


@check(
    "pop3_login",
    "POP3（110 番）に暗号化なしでログインできる（subject_pattern のメールがある） / "
    "Plaintext POP3 login works (and the mailbox holds a message with the subject).",
    told={"subject_pattern": "regex"},
    docs=_PARAMS,
)
def pop3_login(ctx: Context, host: str | None = None, user: str | None = None,
               password: str | None = None, subject_pattern: str | None = None,
               from_address: str | None = None, io_timeout: float = 5.0,
               port: int = 110) -> Result:
    """USER/PASS, STAT, TOP n 0 for the last 50 messages; RSET and QUIT (nothing deleted).

    Parameters:
        port: the POP3 port
    """
    probe = _prepare(ctx, host, user, password, subject_pattern, io_timeout)
    if isinstance(probe, Result):
        return probe
    target, login, pattern, started = probe.target, probe.login, probe.pattern, probe.started
    secret = probe.secret
    try:
        client = Pop3(target, port, probe.seconds, from_address)
    except Unreachable as exc:
        return unreachable_result(ctx, exc, "pop3", target, port, probe.seconds)
    except (OSError, poplib.error_proto) as exc:
        return _no_greeting(probe, "POP3", exc)
    shown = where(target, client.reached)
    transcript = [f"S: {as_text(client.welcome)}"]
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
        if pattern is None:
            return passed(t(f"{shown} に POP3 で {login} としてログインできました（{count} 通）",
                            f"POP3 login to {shown} as {login} works ({count} messages)"),
                          transcript)
        subjects: list[str] = []
        for number in range(max(1, count - 49), count + 1):
            _, lines, _ = client.top(number, 0)
            header = email.message_from_bytes(b"\r\n".join(lines))
            subjects.append(decoded(header.get("Subject")))
        problem = _subjects_match(pattern, subjects, f"{shown} のメールボックス", transcript, ctx)
        if problem is not None:
            return problem
        hit = next(s for s in subjects if pattern.search(s))
        return passed(t(f"{shown} に件名「{hit}」のメールがあります（POP3）",
                        f"{shown} has the message \"{hit}\" (POP3)"),
                      [*transcript, f"Subject: {hit}"])
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
