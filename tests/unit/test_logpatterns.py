"""The log line classifier and explainer."""

from __future__ import annotations

import pytest

from maillab_tui.mail.patterns import MARKERS, LineKind, classify, compact, diagnose_lines, explain

HOST = "Nov 28 18:14:06 mail "

LINES = {
    LineKind.REJECT: "postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
                     "mail.example1.jp[192.168.56.101]: "
                     "451 4.3.5 Server configuration error; from=<user1@mail.example1.jp> "
                     "to=<user2@example2.jp> proto=ESMTP helo=<mail.example1.jp>",
    LineKind.WARNING: 'postfix/smtpd[1]: warning: unknown smtpd restriction: '
                      '"reject_unauth_destinaition"',
    LineKind.ERROR: "dovecot: imap(user1): Error: file_dotlock_create(/var/mail/user1) failed: "
                    "Permission denied (euid=1001(user1) egid=1001(user1) "
                    "missing +w perm: /var/mail)",
    LineKind.FATAL: "postfix/master[1236]: fatal: parameter inet_interfaces: no local interface "
                    "found for 192.168.56.101",
    LineKind.PANIC: "postfix/smtpd[9]: panic: myfree: corrupt or unallocated memory block",
    LineKind.SENT: "postfix/smtp[2]: 4F1C2: to=<user2@example2.jp>, relay=mail.example2.jp"
                   "[192.168.56.102]:25, delay=0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
    LineKind.DEFERRED: "postfix/smtp[2]: 4F1C2: to=<user2@example2.jp>, relay=none, delay=30, "
                       "status=deferred (Host or domain name not found. Name service error for "
                       "name=example2.jp type=MX: Host not found, try again)",
    LineKind.BOUNCED: "postfix/smtp[2]: 4F1C2: to=<user2@example2.jp>, status=bounced (Host or "
                      "domain name not found. Name service error for name=example2.jp type=A: "
                      "Host not found)",
    LineKind.LOGIN_OK: "dovecot: imap-login: Login: user=<user1>, method=PLAIN, rip=192.168.56.102",
    LineKind.LOGIN_FAIL: "dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
                         "user=<user1>, method=PLAIN",
    LineKind.NORMAL: "postfix/qmgr[3]: 4F1C2: removed",
}


@pytest.mark.parametrize("kind", list(LINES))
def test_classify(kind: LineKind) -> None:
    assert classify(HOST + LINES[kind]) is kind


def test_sasl_failure_is_a_failed_login_not_a_warning() -> None:
    line = ("warning: unknown[192.168.56.102]: SASL LOGIN authentication failed: "
            "authentication failure")
    assert classify(line) is LineKind.LOGIN_FAIL


def test_every_marked_kind_has_text_in_both_languages() -> None:
    for kind in LineKind:
        if kind is LineKind.NORMAL:
            assert kind not in MARKERS
        else:
            assert MARKERS[kind].ja and MARKERS[kind].en


@pytest.mark.parametrize(("line", "code", "words"), [
    ('warning: unknown smtpd restriction: "reject_unauth_destinaition"',
     "postfix.unknown-restriction", "reject_unauth_destinaition"),
    ("NOQUEUE: reject: RCPT from x[1.2.3.4]: 451 4.3.5 Server configuration error;",
     "postfix.config-error", "postqueue -f"),
    ("NOQUEUE: reject: RCPT from x[1.2.3.4]: 454 4.7.1 <a@b.jp>: Relay access denied;",
     "postfix.relay-denied-by-peer", "mydestination"),
    ("warning: SASL authentication failure: cannot connect to saslauthd server: No such file",
     "saslauthd.unreachable", "saslauthd"),
    ("status=deferred (Name service error for name=example2.jp type=MX: Host not found, try again)",
     "dns.unreachable", "example2.jp"),
    ("status=bounced (Host or domain name not found. Name service error for name=x.jp type=A: "
     "Host not found)", "dns.missing-record", "dig"),
    ("connect to mail.example2.jp[192.168.56.102]:25: No route to host", "firewall.closed",
     "firewall-cmd"),
    ("connect to mail.example2.jp[192.168.56.102]:25: Connection refused",
     "port.refused", "ss -ltn"),
    ("-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
     "dovecot.plaintext-refused", "disable_plaintext_auth"),
    ("Error: file_dotlock_create(/var/mail/user1) failed: Permission denied",
     "dovecot.mail-privileged-group", "mail_privileged_group"),
    ("Error: mail_location not set and autodetection failed", "dovecot.mail-location-unset",
     "mail_location"),
    ("status=bounced (mail for mail.example1.jp loops back to myself)", "mail.reply-to-hostname",
     "mail.example1.jp"),
    ("550 5.1.1 <x@example1.jp>: Recipient address rejected: User unknown in local recipient table",
     "mail.unknown-user", "getent"),
    ("fatal: parameter inet_interfaces: no local interface found for 192.168.56.101",
     "postfix.boot-order", "192.168.56.101"),
    ("postfix/master[1]: warning: service smtp: ignoring inet_interfaces change",
     "postfix.restart-needed", "restart"),
])
def test_explain_known_lines(line: str, code: str, words: str) -> None:
    explanation = explain(line)
    assert explanation is not None
    assert explanation.code == code
    ja = explanation.text("ja")
    assert words in ja or words in explanation.text("en")
    assert ja != explanation.text("en")
    assert "{0}" not in ja and "{1}" not in ja


def test_explain_falls_back_to_the_kind_and_says_nothing_for_plain_lines() -> None:
    explanation = explain("postfix/smtp[2]: 1: to=<a@b>, status=deferred (something new)")
    assert explanation is not None and explanation.code == "kind.deferred"
    assert "postqueue -f" in explanation.text("ja")
    assert explain("postfix/qmgr[3]: 4F1C2: removed") is None


def test_diagnose_lines_names_the_last_known_cause() -> None:
    lines = ["postfix/qmgr[3]: removed", 'warning: unknown smtpd restriction: "permit_my_networks"',
             "status=deferred (something)"]
    found = diagnose_lines(lines)
    assert found is not None and found.code == "postfix.unknown-restriction"
    assert "permit_my_networks" in found.text("ja")
    assert diagnose_lines(["nothing here"]) is None


@pytest.mark.parametrize(("line", "short"), [
    ("Nov 28 18:14:06 mail postfix/smtpd[1]: connect", "18:14:06 postfix/smtpd[1]: connect"),
    ("Nov  8 08:01:02 mail postfix/smtpd[1]: connect", "08:01:02 postfix/smtpd[1]: connect"),
    ("2024-11-28T18:14:06.123456+09:00 mail postfix/smtpd[1]: x", "18:14:06 postfix/smtpd[1]: x"),
    ("2024-11-28T18:14:06+0900 host1 dovecot[5]: x", "18:14:06 dovecot[5]: x"),
    ("something else", "something else"),
])
def test_compact(line: str, short: str) -> None:
    assert compact(line) == short


def test_codes_are_the_mail_checks_diagnosis_codes() -> None:
    maildiag = pytest.importorskip("maillab_tui.mail.diagnoses")
    from maillab_tui.mail.patterns import PATTERNS

    own = {"postfix.config-error", "postfix.missing-equals", "postfix.unused-parameter",
           "auth.failed", "dovecot.login-ok", "postfix.delivered-mailbox", "postfix.sent-relay"}
    for pattern in PATTERNS:
        assert pattern.code in own or pattern.code in maildiag.CATALOGUE, pattern.code
