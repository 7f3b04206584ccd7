"""Mailbox and mail-log checks against real files: mbox written with the mailbox module, and
log lines in both syslog formats, before and after the step started (ctx.since).
"""

from __future__ import annotations

import mailbox
import sys
import time
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from maillab_tui.checking.api import Context, Status
from tests.unit.mail_support import LIB, code, make_ctx, run, text

NOW = time.time()
SINCE = NOW - 60


# ----------------------------------------------------------------------------- mbox


def write_mbox(path: Path, *messages: tuple[str, str]) -> None:
    """An mbox at `path` with (From, Subject) messages, written by the mailbox module."""
    path.parent.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(str(path), create=True)
    try:
        for sender, subject in messages:
            message = EmailMessage()
            message["From"] = sender
            message["To"] = "user1@example1.jp"
            message["Subject"] = subject
            message.set_content("This is Test Mail\n")
            entry = mailbox.mboxMessage(message)
            entry.set_from(sender, time.gmtime())
            box.add(entry)
        box.flush()
    finally:
        box.close()


def test_mail_delivered_finds_the_message(tmp_path: Path) -> None:
    write_mbox(tmp_path / "var/mail/user1", ("user9@example9.jp", "other"),
               ("user2@mail.example2.jp", "Test mail from user2"))
    before = (tmp_path / "var/mail/user1").read_bytes()
    result = run("mail_delivered", make_ctx(tmp_path), user="user1",
                 from_pattern="user2@", subject_pattern="Test mail from user2")
    assert result.status is Status.PASS, text(result)
    assert "Test mail from user2" in text(result)
    assert (tmp_path / "var/mail/user1").read_bytes() == before  # read-only


def test_mail_delivered_reads_var_spool_mail_and_decodes_subjects(tmp_path: Path) -> None:
    encoded = Header("テストメール from user2", "utf-8").encode()
    write_mbox(tmp_path / "var/spool/mail/user1", ("user2@example2.jp", encoded))
    result = run("mail_delivered", make_ctx(tmp_path), user="user1",
                 subject_pattern="テストメール")
    assert result.status is Status.PASS
    assert "/var/spool/mail/user1" in text(result)


def test_mail_delivered_without_a_mailbox(tmp_path: Path) -> None:
    result = run("mail_delivered", make_ctx(tmp_path), user="user1", subject_pattern="x")
    assert result.status is Status.FAIL
    assert code(result) == "mail.no-mailbox"
    assert "/var/mail/user1" in text(result)


def test_mail_delivered_subject_not_there(tmp_path: Path) -> None:
    write_mbox(tmp_path / "var/mail/user1", ("a@b.jp", "first"), ("c@d.jp", "second"))
    result = run("mail_delivered", make_ctx(tmp_path), user="user1",
                 subject_pattern="Client mail from user1")
    assert code(result) == "mail.not-delivered"
    assert "Subject: second" in text(result)


def test_mail_delivered_from_differs(tmp_path: Path) -> None:
    write_mbox(tmp_path / "var/mail/user1", ("user1@mail.example1.jp", "Client mail from user1"))
    result = run("mail_delivered", make_ctx(tmp_path), user="user1",
                 from_pattern="user1@example1.jp", subject_pattern="Client mail from user1")
    assert code(result) == "mail.from-differs"
    assert "user1@mail.example1.jp" in text(result)


def test_mail_delivered_without_permission_is_an_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write_mbox(tmp_path / "var/mail/user1", ("a@b.jp", "x"))
    module = sys.modules[LIB.checks["mail_delivered"].func.__module__]

    def denied(path: Path, limit: int = 500) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(module, "read_mbox", denied)
    result = run("mail_delivered", make_ctx(tmp_path, root=False), user="user1",
                 subject_pattern="x")
    assert result.status is Status.ERROR
    assert "root" in text(result) and "user1" in text(result)


# ----------------------------------------------------------------------------- the mail log


def stamp(when: float, rfc3339: bool) -> str:
    """A syslog timestamp: RFC 3339 (Debian's rsyslog) or traditional (AlmaLinux)."""
    moment = datetime.fromtimestamp(when).astimezone()
    if rfc3339:
        return moment.isoformat(timespec="microseconds")
    return moment.strftime("%b %e %H:%M:%S")


def write_log(tmp_path: Path, lines: list[tuple[float, str]], *, platform: str = "debian12") \
        -> Context:
    """The platform's mail log with (time, text) lines; a context reading it since SINCE."""
    name = "var/log/maillog" if platform == "almalinux9" else "var/log/mail.log"
    host = "host1" if platform == "almalinux9" else "mail"
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{stamp(when, platform != 'almalinux9')} {host} {line}\n"
                            for when, line in lines), encoding="utf-8")
    return make_ctx(tmp_path, platform=platform, since=SINCE)


SENT_RELAY = ("postfix/smtp[2345]: 4A1B2C3D4E: to=<user2@example2.jp>, "
              "relay=mail.example2.jp[192.168.56.102]:25, delay=0.21, "
              "delays=0.02/0.01/0.1/0.08, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 5B6C7D)")
DEFERRED_451 = ("postfix/smtp[2345]: 4A1B2C3D4E: to=<user2@example2.jp>, "
                "relay=mail.example2.jp[192.168.56.102]:25, delay=1.2, delays=0.02/0.01/0.1/1, "
                "dsn=4.3.5, status=deferred (host mail.example2.jp[192.168.56.102] said: 451 4.3.5 "
                "Server configuration error (in reply to RCPT TO command))")


@pytest.mark.parametrize("platform", ["debian12", "almalinux9"])
def test_log_delivery_sent_to_the_relay(tmp_path: Path, platform: str) -> None:
    ctx = write_log(tmp_path, [(NOW - 5, DEFERRED_451), (NOW - 1, SENT_RELAY)], platform=platform)
    result = run("mail_log_delivery", ctx, to="user2@example2.jp", relay="mail.example2.jp")
    assert result.status is Status.PASS, text(result)
    assert "relay=mail.example2.jp[192.168.56.102]:25" in text(result)


def test_log_delivery_local(tmp_path: Path) -> None:
    line = ("postfix/local[3456]: 9F8E7D6C5B: to=<user1@example1.jp>, relay=local, delay=0.03, "
            "delays=0.02/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)")
    ctx = write_log(tmp_path, [(NOW - 2, line)])
    assert run("mail_log_delivery", ctx, to="user1@example1.jp", relay="local").status \
        is Status.PASS


def test_log_delivery_ignores_lines_before_the_step(tmp_path: Path) -> None:
    ctx = write_log(tmp_path, [(NOW - 3600, SENT_RELAY), (NOW - 2, DEFERRED_451)])
    result = run("mail_log_delivery", ctx, to="user2@example2.jp", relay="mail.example2.jp")
    assert result.status is Status.FAIL
    assert code(result) == "postfix.unknown-restriction"
    assert "mail.example2.jp" in text(result) and "postqueue -f" in text(result)
    # With since: all, the old delivery counts again.
    assert run("mail_log_delivery", ctx, to="user2@example2.jp", since="all").status \
        is Status.PASS


def _deferred(to: str, relay: str, dsn: str, status: str, reason: str) -> str:
    return (f"postfix/smtp[2345]: 4A1B2C3D4E: to=<{to}>, relay={relay}, delay=0.5, "
            f"delays=0.1/0.1/0.2/0.1, dsn={dsn}, status={status} ({reason})")


@pytest.mark.parametrize(("to", "line", "expected", "words"), [
    ("user2@example2.jp",
     _deferred("user2@example2.jp", "none", "4.4.3", "deferred",
               "Host or domain name not found. Name service error for name=example2.jp type=MX: "
               "Host not found, try again"), "dns.unreachable", "resolv.conf"),
    ("user2@example2.jp",
     _deferred("user2@example2.jp", "none", "5.4.4", "bounced",
               "Host or domain name not found. Name service error for name=example2.jp type=A: "
               "Host not found"), "dns.missing-record", "example2.jp"),
    ("user1@mail.example1.jp",
     _deferred("user1@mail.example1.jp", "mail.example1.jp[192.168.56.101]:25", "5.7.1", "bounced",
               "host mail.example1.jp[192.168.56.101] said: 554 5.7.1 <user1@mail.example1.jp>: "
               "Relay access denied (in reply to RCPT TO command)"),
     "mail.reply-to-hostname", "user1@example1.jp"),
    ("user2@example2.jp",
     _deferred("user2@example2.jp", "mail.example2.jp[192.168.56.102]:25", "4.7.1", "deferred",
               "host mail.example2.jp[192.168.56.102] said: 454 4.7.1 <user2@example2.jp>: Relay "
               "access denied (in reply to RCPT TO command)"),
     "postfix.relay-denied-by-peer", "mydestination"),
    ("user2@example2.jp",
     _deferred("user2@example2.jp", "none", "4.4.1", "deferred",
               "connect to mail.example2.jp[192.168.56.102]:25: No route to host"),
     "firewall.closed", "firewall-cmd"),
    ("user2@example2.jp",
     _deferred("user2@example2.jp", "none", "4.4.1", "deferred",
               "connect to mail.example2.jp[192.168.56.102]:25: Connection refused"),
     "postfix.peer-refused", "inet_interfaces"),
    ("user2@example2.jp",
     _deferred("user2@example2.jp", "none", "4.4.1", "deferred",
               "connect to mail.example2.jp[192.168.56.102]:25: Connection timed out"),
     "net.timeout", "192.168.56.102"),
    ("user1@mail.example1.jp",
     _deferred("user1@mail.example1.jp", "mail.example1.jp[192.168.56.101]:25", "5.4.6",
               "bounced", "mail for mail.example1.jp loops back to myself"),
     "mail.reply-to-hostname", "myorigin = $mydomain"),
    ("user2@example3.jp",
     _deferred("user2@example3.jp", "mail.example3.jp[192.168.56.103]:25", "5.4.6",
               "bounced", "mail for example3.jp loops back to myself"),
     "postfix.mydestination", "example3.jp"),
    ("user9@example2.jp",
     _deferred("user9@example2.jp", "mail.example2.jp[192.168.56.102]:25", "5.1.1", "bounced",
               "host mail.example2.jp[192.168.56.102] said: 550 5.1.1 <user9@example2.jp>: "
               "Recipient address rejected: User unknown in local recipient table (in reply to "
               "RCPT TO command)"), "mail.unknown-user", "user9"),
    ("user2@example2.jp",
     _deferred("user2@example2.jp", "mail.example2.jp[192.168.56.102]:25", "4.0.0", "deferred",
               "host mail.example2.jp[192.168.56.102] said: 421 4.0.0 something new"),
     "mail.deferred", "something new"),
])
def test_log_delivery_names_the_cause(tmp_path: Path, to: str, line: str, expected: str,
                                      words: str) -> None:
    ctx = write_log(tmp_path, [(NOW - 2, line)])
    result = run("mail_log_delivery", ctx, to=to)
    assert result.status is Status.FAIL
    assert code(result) == expected, text(result)
    assert words in text(result)


def test_log_delivery_nothing_sent(tmp_path: Path) -> None:
    ctx = write_log(tmp_path, [(NOW - 2, "postfix/qmgr[1]: 1A: removed")])
    result = run("mail_log_delivery", ctx, to="user2@example2.jp")
    assert code(result) == "mail.not-sent"
    assert "Send this message" in text(result)


def test_log_delivery_postdrop_without_postfix(tmp_path: Path) -> None:
    ctx = write_log(tmp_path, [(NOW - 2, "postfix/postdrop[999]: warning: unable to look up "
                                         "public/pickup: No such file or directory")])
    result = run("mail_log_delivery", ctx, to="user2@example2.jp")
    assert code(result) == "postfix.not-running"


def test_log_delivery_wrong_route(tmp_path: Path) -> None:
    line = ("postfix/local[3456]: 9F8E7D6C5B: to=<user2@example2.jp>, relay=local, delay=0.03, "
            "delays=0.02/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)")
    ctx = write_log(tmp_path, [(NOW - 2, line)])
    result = run("mail_log_delivery", ctx, to="user2@example2.jp", relay="mail.example2.jp")
    assert code(result) == "mail.wrong-route"


def test_log_delivery_from_the_journal_when_there_is_no_file(tmp_path: Path) -> None:
    journal = (f"Nov 28 18:14:06 host1 {SENT_RELAY}\n")
    table = {("journalctl", "*"): (0, journal, "")}
    ctx = make_ctx(tmp_path, table, since=SINCE)
    result = run("mail_log_delivery", ctx, to="user2@example2.jp", relay="192.168.56.102")
    assert result.status is Status.PASS
    assert "journalctl" in text(result)
    denied = make_ctx(tmp_path, {("journalctl", "*"): (
        1, "", "Hint: You are currently not seeing messages from other users and the system.")},
        since=SINCE, root=False)
    assert run("mail_log_delivery", denied, to="x@y").status is Status.ERROR


# ----------------------------------------------------------------------------- client seen

SASL = ("postfix/smtpd[4567]: 3C4D5E6F7A: client=mail.example1.jp[192.168.56.101], "
        "sasl_method=PLAIN, sasl_username=user1")
IMAP_OK = ("dovecot: imap-login: Login: user=<user1>, method=PLAIN, rip=192.168.56.101, "
           "lip=192.168.56.101, mpid=5678, session=<AbCdEf>")


def test_thunderbird_seen_passes(tmp_path: Path) -> None:
    ctx = write_log(tmp_path, [(NOW - 3, SASL), (NOW - 2, IMAP_OK)])
    result = run("thunderbird_seen", ctx, user="user1")
    assert result.status is Status.PASS, text(result)
    assert run("mail_client_seen", ctx).status is Status.PASS


def test_thunderbird_seen_only_counts_this_step(tmp_path: Path) -> None:
    ctx = write_log(tmp_path, [(NOW - 3600, SASL), (NOW - 2, IMAP_OK)])
    result = run("thunderbird_seen", ctx, user="user1")
    assert code(result) == "client.smtp-not-seen"
    assert "sasl_username=user1" in text(result)


def test_thunderbird_seen_imap_missing(tmp_path: Path) -> None:
    ctx = write_log(tmp_path, [(NOW - 3, SASL)])
    assert code(run("thunderbird_seen", ctx)) == "client.imap-not-seen"
    assert run("thunderbird_seen", ctx, imap=False).status is Status.PASS


@pytest.mark.parametrize(("line", "expected"), [
    ("postfix/smtpd[1]: warning: unknown[192.168.56.101]: SASL PLAIN authentication failed: "
     "authentication failure, sasl_username=user1", "smtp.auth-failed"),
    ("postfix/smtpd[1]: warning: SASL authentication failure: cannot connect to saslauthd "
     "server: No such file or directory", "saslauthd.unreachable"),
    ("postfix/smtpd[1]: NOQUEUE: reject: RCPT from mail.example1.jp[192.168.56.101]: 454 4.7.1 "
     "<user2@example2.jp>: Relay access denied; from=<user1@example1.jp> to=<user2@example2.jp> "
     "proto=ESMTP helo=<[192.168.56.101]>", "thunderbird.smtp-auth"),
])
def test_thunderbird_seen_explains_a_failed_send(tmp_path: Path, line: str, expected: str) -> None:
    ctx = write_log(tmp_path, [(NOW - 3, line), (NOW - 2, IMAP_OK)])
    assert code(run("thunderbird_seen", ctx, user="user1")) == expected


def test_thunderbird_seen_explains_a_refused_imap_login(tmp_path: Path) -> None:
    line = ("dovecot: imap-login: Disconnected: Aborted login by logging out (no auth attempts "
            "in 0 secs, tried to use disallowed plaintext auth): user=<>, rip=192.168.56.102, "
            "lip=192.168.56.101, session=<x>")
    ctx = write_log(tmp_path, [(NOW - 3, SASL), (NOW - 2, line)])
    assert code(run("thunderbird_seen", ctx)) == "dovecot.plaintext-refused"
    failed_login = ("dovecot: imap-login: Disconnected: Aborted login by logging out (auth "
                    "failed, 1 attempts in 2 secs): user=<user1>, method=PLAIN, rip=1.2.3.4")
    ctx = write_log(tmp_path, [(NOW - 3, SASL), (NOW - 2, failed_login)])
    result = run("thunderbird_seen", ctx)
    assert code(result) == "dovecot.auth-failed"
    assert "user1" in text(result)


# ----------------------------------------------------------------------------- mail_log_clean


def test_mail_log_clean_passes_and_names_the_typo(tmp_path: Path) -> None:
    ctx = write_log(tmp_path, [(NOW - 2, SENT_RELAY)])
    assert run("mail_log_clean", ctx).status is Status.PASS
    typo = ('postfix/smtpd[1]: warning: unknown smtpd restriction: "reject_unauth_destinaition"')
    ctx = write_log(tmp_path, [(NOW - 3, typo), (NOW - 2, "postfix/smtpd[1]: NOQUEUE: reject: "
                               "RCPT from x[1.2.3.4]: 451 4.3.5 Server configuration error")])
    result = run("mail_log_clean", ctx)
    assert code(result) == "postfix.unknown-restriction"
    assert "reject_unauth_destinaition" in text(result)


@pytest.mark.parametrize(("line", "expected"), [
    ("postfix/smtpd[1]: fatal: no SASL authentication mechanisms", "sasl.no-mechanisms"),
    ("postfix/master[1]: fatal: parameter inet_interfaces: no local interface found for "
     "192.168.56.101", "postfix.boot-order"),
    ("postfix/master[1]: warning: service smtp: ignoring inet_interfaces change",
     "postfix.restart-needed"),
])
def test_mail_log_clean_knows_the_causes(tmp_path: Path, line: str, expected: str) -> None:
    ctx = write_log(tmp_path, [(NOW - 2, line)])
    assert code(run("mail_log_clean", ctx)) == expected


def test_log_delivery_explains_a_reply_to_the_host_name(tmp_path: Path) -> None:
    """Nothing went to user1@example1.jp: a reply went to user1@mail.example1.jp instead."""
    line = _deferred("user1@mail.example1.jp", "mail.example1.jp[192.168.56.101]:25", "4.7.1",
                     "deferred", "host mail.example1.jp[192.168.56.101] said: 454 4.7.1 "
                     "<user1@mail.example1.jp>: Relay access denied (in reply to RCPT TO command)")
    ctx = write_log(tmp_path, [(NOW - 2, line)])
    ctx.values = {**ctx.values, "peer_fqdn": "mail.example1.jp", "peer_domain": "example1.jp"}
    result = run("mail_log_delivery", ctx, to="user1@example1.jp")
    assert result.status is Status.FAIL
    assert code(result) == "mail.reply-to-hostname", text(result)
    assert "user1@mail.example1.jp" in text(result)
