"""The log pane and the checks read a mail-log line through one table, so they name it alike."""

from __future__ import annotations

import pytest

from maillab_tui.mail.maillog import known_problems
from maillab_tui.mail.patterns import PATTERNS, explain

# A real line (as Postfix and Dovecot write it, on Debian's journal or AlmaLinux's maillog) for
# every pattern in the table.
LINES: dict[str, list[str]] = {
    "postfix.unknown-restriction": [
        'Dec  1 18:14:06 mail postfix/smtpd[812]: warning: unknown smtpd restriction: '
        '"reject_unauth_destinaition"'],
    "postfix.config-error": [
        "postfix/smtp[90]: 1A2B: to=<user2@example2.jp>, relay=mail.example2.jp[192.168.56.102]"
        ":25, status=deferred (host mail.example2.jp[192.168.56.102] said: 451 4.3.5 Server "
        "configuration error (in reply to RCPT TO command))"],
    "postfix.relay-denied-by-peer": [
        "postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.168.56.1]: 454 4.7.1 "
        "<user2@example2.jp>: Relay access denied; from=<a@b.jp> to=<user2@example2.jp>"],
    "saslauthd.unreachable": [
        "postfix/smtpd[7]: warning: SASL authentication failure: cannot connect to saslauthd "
        "server: No such file or directory"],
    "sasl.no-mechanisms": ["postfix/smtpd[7]: fatal: no SASL authentication mechanisms"],
    "dns.unreachable": [
        "postfix/smtp[3]: 1A: to=<user2@example2.jp>, relay=none, status=deferred (Name service "
        "error for name=example2.jp type=MX: Host not found, try again)"],
    "dns.missing-record": [
        "postfix/smtp[3]: 1A: to=<u@x.jp>, relay=none, status=bounced (Host or domain name not "
        "found. Name service error for name=x.jp type=A: Host not found)"],
    "firewall.closed": [
        "postfix/smtp[3]: connect to mail.example2.jp[192.168.56.102]:25: No route to host"],
    "port.refused": [
        "postfix/smtp[3]: connect to mail.example2.jp[192.168.56.102]:25: Connection refused"],
    "dovecot.plaintext-refused": [
        "dovecot: imap-login: Disconnected (tried to use disallowed plaintext auth): user=<>, "
        "rip=192.168.56.102, lip=192.168.56.101, session=<abc>",
        "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."],
    "dovecot.mail-privileged-group": [
        "dovecot: imap(user1)<12><abc>: Error: file_dotlock_create(/var/mail/user1) failed: "
        "Permission denied (euid=1001(user1) egid=1001(user1) missing +w perm: /var/mail, we're "
        "not in group 8(mail), dir owned by 0:8 mode=0775) (set mail_privileged_group=mail)",
        "dovecot: imap(user1): Error: (set mail_privileged_group=mail)"],
    "dovecot.mail-location-unset": [
        "dovecot: imap(user1): Error: mail_location not set and autodetection failed: Mail "
        "storage autodetection failed with home=/home/user1"],
    "mail.reply-to-hostname": [
        "postfix/smtp[3]: 1A: to=<user1@mail.example1.jp>, relay=none, status=bounced (mail for "
        "mail.example1.jp loops back to myself)"],
    "mail.unknown-user": [
        "postfix/local[3]: 1A: to=<nobody@example1.jp>, status=bounced (unknown user: "
        "\"nobody\") 550 5.1.1 <nobody@example1.jp>: Recipient address rejected: User unknown "
        "in local recipient table"],
    "postfix.boot-order": [
        "postfix/master[1]: fatal: parameter inet_interfaces: no local interface found for "
        "192.168.56.101"],
    "postfix.restart-needed": [
        "postfix/master[1]: warning: service smtp: ignoring inet_interfaces change"],
    "postfix.missing-equals": [
        "postfix/postconf: fatal: /etc/postfix/main.cf, line 12: missing '=' after attribute "
        "name: \"myhostname\""],
    "postfix.unused-parameter": [
        "postfix/postconf: warning: /etc/postfix/main.cf: unused parameter: "
        "smtpd_recipient_restriction=permit_mynetworks"],
    "smtp.auth-failed": [
        "postfix/smtpd[5]: warning: unknown[192.168.56.1]: SASL LOGIN authentication failed: "
        "authentication failure, sasl_username=user1"],
    "dovecot.auth-failed": [
        "dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<user1>, "
        "method=PLAIN, rip=192.168.56.101, lip=192.168.56.101, session=<x>"],
    "postfix.not-running": [
        "postfix/sendmail[9]: fatal: unable to look up public/pickup: No such file or directory"],
    "auth.failed": ["saslauthd[4]: do_auth         : auth failure: [user=user1] [reason=PAM auth "
                    "error] authentication failed"],
    "dovecot.login-ok": [
        "dovecot: imap-login: Login: user=<user1>, method=PLAIN, rip=192.168.56.101"],
    "postfix.delivered-mailbox": [
        "postfix/local[3]: 1A: to=<user1@example1.jp>, relay=local, delay=0.1, status=sent "
        "(delivered to mailbox)"],
    "postfix.sent-relay": [
        "postfix/smtp[3]: 1A: to=<user2@example2.jp>, relay=mail.example2.jp[192.168.56.102]:25, "
        "delay=0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 3C)"],
}

ALL = [(code, line) for code, lines in LINES.items() for line in lines]


def test_every_pattern_has_a_line_here() -> None:
    assert {p.code for p in PATTERNS} == set(LINES)


@pytest.mark.parametrize(("code", "line"), ALL)
def test_the_log_pane_and_the_checks_name_a_line_alike(code: str, line: str) -> None:
    explanation = explain(line)
    assert explanation is not None and explanation.code == code
    findings = known_problems([line])
    finding = any(p.finding for p in PATTERNS if p.code == code)
    if finding:
        assert [f.code for f in findings] == [code]
    else:
        assert findings == []


def test_a_finding_carries_the_named_values() -> None:
    lines = LINES["dovecot.mail-privileged-group"][:1] + LINES["smtp.auth-failed"]
    values = {f.code: dict(f.values) for f in known_problems(lines)}
    assert values["dovecot.mail-privileged-group"]["user"] == "user1"
    assert values["smtp.auth-failed"]["user"] == "user1"
    assert known_problems(LINES["postfix.unknown-restriction"])[0].values == {
        "restriction": "reject_unauth_destinaition"}
