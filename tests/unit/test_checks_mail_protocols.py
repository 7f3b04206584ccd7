"""The SMTP, IMAP, POP3 and port checks against small real servers on loopback addresses.

Each server gives the reply texts Postfix and Dovecot really give (mail facts); each check
passes once and fails for the right reason: status, diagnosis code and the key words.
"""

from __future__ import annotations

import errno
import socket
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

from maillab_tui.checking.api import Status
from maillab_tui.mail import net as mailnet
from maillab_tui.mail.net import Unreachable
from tests.unit.mail_support import (
    CONFIG_ERROR,
    LIB,
    PRIVACY,
    SERVERBUG,
    ImapBehaviour,
    Pop3Behaviour,
    SmtpBehaviour,
    code,
    imap_server,
    make_ctx,
    pop3_server,
    run,
    smtp_server,
    text,
)


def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def module_of(name: str) -> types.ModuleType:
    """The loaded module of a library check (to replace a helper it imported)."""
    definition = LIB.get(name)
    assert definition is not None
    return sys.modules[definition.func.__module__]


def assert_polite(server: Any) -> None:
    """The probe never sent DATA and ended with RSET and QUIT."""
    commands = [c.split(" ", 1)[0].upper() for c in server.commands]
    assert "DATA" not in commands
    assert commands[-2:] == ["RSET", "QUIT"], commands


# ----------------------------------------------------------------------------- SMTP: reaching


def test_smtp_banner_passes_naming_the_fqdn() -> None:
    with smtp_server() as server:
        result = run("smtp_banner", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.PASS, text(result)
    assert any("220 mail.example1.jp ESMTP Postfix" in e for e in result.evidence)
    assert any(e.startswith("S: 250-mail.example1.jp") for e in result.evidence)
    assert_polite(server)


def test_smtp_banner_fails_when_myhostname_is_not_set() -> None:
    behaviour = SmtpBehaviour(banner="220 host1.localdomain ESMTP Postfix")
    with smtp_server(behaviour) as server:
        result = run("smtp_banner", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.FAIL
    assert code(result) == "postfix.myhostname"
    assert "host1.localdomain" in text(result) and "myhostname = mail.example1.jp" in text(result)


def test_smtp_refused_on_loopback_means_postfix_not_running() -> None:
    result = run("smtp_banner", make_ctx(), host="127.0.0.1", port=free_port())
    assert result.status is Status.FAIL
    assert code(result) == "postfix.not-running"
    assert "Connection refused" in text(result)


def test_smtp_refused_on_own_address_but_loopback_answers_means_inet_interfaces() -> None:
    # The server listens on 127.0.0.1 only (inet_interfaces = localhost); 127.0.0.2 is also
    # this machine's address, like 192.168.56.101 on host1.
    with smtp_server(host="127.0.0.1") as server:
        result = run("smtp_banner", make_ctx(), host="127.0.0.2", port=server.port)
    assert result.status is Status.FAIL
    assert code(result) == "postfix.inet-interfaces"
    assert "inet_interfaces = localhost, 127.0.0.2" in text(result)
    assert "restart" in text(result)


class _FailingSocket:
    """A socket whose connect fails with a given error (a firewall or a dead host)."""

    error: OSError = OSError(errno.EHOSTUNREACH, "No route to host")

    def __init__(self, *args: Any) -> None:
        pass

    def settimeout(self, seconds: float) -> None:
        pass

    def bind(self, address: Any) -> None:
        pass

    def connect(self, address: Any) -> None:
        raise self.error

    def close(self) -> None:
        pass


def _fake_socket_module(monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
    fake = types.SimpleNamespace(**{k: getattr(socket, k) for k in dir(socket)
                                    if not k.startswith("__")})
    failing = type("Failing", (_FailingSocket,), {"error": error})
    fake.socket = failing
    monkeypatch.setattr(mailnet, "socket", fake)


def test_no_route_to_host_means_the_firewall(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_socket_module(monkeypatch, OSError(errno.EHOSTUNREACH, "No route to host"))
    result = run("smtp_banner", make_ctx(), host="192.168.56.102", port=25)
    assert result.status is Status.FAIL
    assert code(result) == "firewall.closed"
    assert "No route to host" in text(result)
    assert "firewall-cmd --add-service=smtp --zone=public --permanent" in text(result)


def test_connect_timeout_is_reported_as_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_socket_module(monkeypatch, TimeoutError("timed out"))
    result = run("imap_login", make_ctx(), host="192.168.56.102", io_timeout=0.3)
    assert result.status is Status.FAIL
    assert code(result) == "net.timeout"
    assert "ping -c 3 192.168.56.102" in text(result)
    assert result.silent  # an earlier definite answer in the same wait says more


def test_a_rejected_connection_is_a_definite_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_socket_module(monkeypatch, OSError(errno.EHOSTUNREACH, "No route to host"))
    assert not run("imap_login", make_ctx(), host="192.168.56.102").silent


def test_network_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_socket_module(monkeypatch, OSError(errno.ENETUNREACH, "Network is unreachable"))
    result = run("port_reachable", make_ctx(), address="10.9.9.9", port=25)
    assert code(result) == "net.unreachable"


@pytest.mark.parametrize(("gai_errno", "expected"), [
    (socket.EAI_NONAME, "dns.missing-record"),
    (socket.EAI_AGAIN, "dns.unreachable"),
])
def test_a_name_that_does_not_resolve(monkeypatch: pytest.MonkeyPatch, gai_errno: int,
                                      expected: str) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(gai_errno, "Name or service not known")

    fake = types.SimpleNamespace(**{k: getattr(socket, k) for k in dir(socket)
                                    if not k.startswith("__")})
    fake.getaddrinfo = getaddrinfo
    monkeypatch.setattr(mailnet, "socket", fake)
    result = run("smtp_banner", make_ctx(), host="mail.example2.jp", port=25)
    assert result.status is Status.FAIL
    assert code(result) == expected
    assert "mail.example2.jp" in text(result)


def test_from_address_binds_the_client_and_a_foreign_one_is_an_error() -> None:
    with smtp_server() as server:
        result = run("smtp_banner", make_ctx(), host="127.0.0.1", port=server.port,
                     from_address="127.0.0.3")
        assert server.clients == ["127.0.0.3"]
    assert result.status is Status.PASS
    bad = run("smtp_banner", make_ctx(), host="127.0.0.1", port=free_port(),
              from_address="192.0.2.77")
    assert bad.status is Status.ERROR
    assert "from_address" in text(bad)


def test_a_silent_server_means_a_slow_reverse_lookup() -> None:
    with smtp_server(SmtpBehaviour(silent=True)) as server:
        started = time.monotonic()
        result = run("smtp_banner", make_ctx(), host="127.0.0.1", port=server.port,
                     io_timeout=0.4)
    assert time.monotonic() - started < 4
    assert code(result) == "smtp.slow-banner"
    assert "220" in text(result)


def test_a_server_that_hangs_up_at_once() -> None:
    with smtp_server(SmtpBehaviour(banner=None)) as server:
        result = run("smtp_banner", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.FAIL
    assert code(result) == "postfix.smtpd-closed"
    assert "fatal" in text(result)


# ----------------------------------------------------------------------------- SMTP: AUTH


def test_auth_offered_passes_with_plain_and_login() -> None:
    with smtp_server() as server:
        result = run("smtp_auth_offered", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.PASS
    assert "AUTH PLAIN LOGIN" in text(result)
    assert_polite(server)


def test_auth_not_offered_means_smtpd_sasl_auth_enable() -> None:
    behaviour = SmtpBehaviour(features=("PIPELINING", "STARTTLS", "8BITMIME"))
    with smtp_server(behaviour) as server:
        result = run("smtp_auth_offered", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.FAIL
    assert code(result) == "postfix.sasl-disabled"
    assert "smtpd_sasl_auth_enable = yes" in text(result)


def test_auth_without_plain_or_login_means_no_mechanisms() -> None:
    behaviour = SmtpBehaviour(features=("PIPELINING", "AUTH CRAM-MD5 DIGEST-MD5"))
    with smtp_server(behaviour) as server:
        result = run("smtp_auth_offered", make_ctx(platform="almalinux9"), host="127.0.0.1",
                     port=server.port)
    assert code(result) == "sasl.no-mechanisms"
    assert "cyrus-sasl-plain" in text(result)


def test_auth_succeeds_and_the_password_is_never_shown() -> None:
    with smtp_server() as server:
        result = run("smtp_auth", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.PASS, text(result)
    assert any(e.startswith("S: 235 2.7.0") for e in result.evidence)
    shown = "\n".join(result.evidence)
    assert "userpass" not in shown and "dXNlcjEAdXNlcnBhc3M" not in shown  # base64 of it
    assert_polite(server)


def test_auth_login_mechanism() -> None:
    with smtp_server() as server:
        result = run("smtp_auth", make_ctx(), host="127.0.0.1", port=server.port,
                     mechanism="LOGIN", user="user2")
    assert result.status is Status.PASS
    assert "dXNlcnBhc3M=" not in "\n".join(result.evidence)


def test_auth_with_a_wrong_password_fails_with_535() -> None:
    with smtp_server() as server:
        result = run("smtp_auth", make_ctx(), host="127.0.0.1", port=server.port,
                     password="not-the-password")
    assert result.status is Status.FAIL
    assert code(result) == "smtp.auth-failed"
    assert "535" in text(result) and "not-the-password" not in "\n".join(result.evidence)


def test_auth_454_means_saslauthd_unreachable_with_both_fixes() -> None:
    behaviour = SmtpBehaviour(auth_reply="454 4.7.0 Temporary authentication failure: "
                                         "generic failure")
    with smtp_server(behaviour) as server:
        result = run("smtp_auth", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.FAIL
    assert code(result) == "saslauthd.unreachable"
    assert "systemctl enable --now saslauthd" in text(result)
    assert "/var/spool/postfix/var/run/saslauthd" in text(result) and "chroot" in text(result)


def test_auth_expect_failure_passes_when_a_wrong_password_is_refused() -> None:
    with smtp_server() as server:
        result = run("smtp_auth", make_ctx(), host="127.0.0.1", port=server.port,
                     expect="failure")
    assert result.status is Status.PASS
    assert "535" in text(result)


def test_auth_expect_failure_fails_when_anything_is_accepted() -> None:
    behaviour = SmtpBehaviour(auth_reply="235 2.7.0 Authentication successful")
    with smtp_server(behaviour) as server:
        result = run("smtp_auth", make_ctx(), host="127.0.0.1", port=server.port,
                     expect="failure")
    assert code(result) == "smtp.auth-too-lenient"


def test_auth_when_sasl_is_off_says_smtpd_sasl_auth_enable() -> None:
    behaviour = SmtpBehaviour(features=("PIPELINING", "STARTTLS"))
    with smtp_server(behaviour) as server:
        result = run("smtp_auth", make_ctx(), host="127.0.0.1", port=server.port)
    assert code(result) == "postfix.sasl-disabled"
    assert "503 5.5.1" in text(result)


def test_auth_only_after_starttls() -> None:
    behaviour = SmtpBehaviour(features=("PIPELINING", "STARTTLS"),
                              no_auth_reply="538 5.7.11 Encryption required for requested "
                                            "authentication mechanism")
    with smtp_server(behaviour) as server:
        result = run("smtp_auth_offered", make_ctx(), host="127.0.0.1", port=server.port)
    assert code(result) == "postfix.auth-needs-tls"
    assert "smtpd_tls_auth_only" in text(result)


# ----------------------------------------------------------------------------- SMTP: relay


def _remote(monkeypatch: pytest.MonkeyPatch, check: str) -> None:
    """Make the loopback server count as another machine (the probe is not from the server)."""
    monkeypatch.setattr(module_of(check), "is_local_address", lambda address: False)


def test_relay_denied_passes_with_454(monkeypatch: pytest.MonkeyPatch) -> None:
    _remote(monkeypatch, "smtp_relay_denied")
    with smtp_server() as server:
        result = run("smtp_relay_denied", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.PASS
    assert "Relay access denied" in text(result)
    assert any("RCPT TO:<maillab-probe@example.invalid>" in c for c in server.commands)
    assert_polite(server)


def test_relay_denied_passes_with_554(monkeypatch: pytest.MonkeyPatch) -> None:
    _remote(monkeypatch, "smtp_relay_denied")
    behaviour = SmtpBehaviour(rcpt_reply="554 5.7.1 <{rcpt}>: Relay access denied")
    with smtp_server(behaviour) as server:
        result = run("smtp_relay_denied", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.PASS


def test_relay_accepted_is_an_open_relay(monkeypatch: pytest.MonkeyPatch) -> None:
    _remote(monkeypatch, "smtp_relay_denied")
    with smtp_server(SmtpBehaviour(trusted=True)) as server:
        result = run("smtp_relay_denied", make_ctx(values={"address": "192.0.2.1"}),
                     host="127.0.0.1", port=server.port, from_address="127.0.0.5")
    assert result.status is Status.FAIL
    assert code(result) == "postfix.open-relay"
    assert "127.0.0.5" in text(result)


def test_relay_accepted_from_the_other_host_is_the_printed_mynetworks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _remote(monkeypatch, "smtp_relay_denied")
    behaviour = SmtpBehaviour(trusted=True, name="mail.example2.jp",
                              banner="220 mail.example2.jp ESMTP Postfix")
    with smtp_server(behaviour, host="127.0.0.2") as server:
        result = run("smtp_relay_denied", make_ctx(), host="127.0.0.2", port=server.port,
                     from_address="127.0.0.1")
    assert code(result) == "postfix.mynetworks-peer"
    assert "192.168.56.101" in text(result) and "mynetworks = 127.0.0.2" in text(result)


def test_relay_accepted_from_the_server_itself_cannot_be_judged() -> None:
    with smtp_server(SmtpBehaviour(trusted=True)) as server:
        result = run("smtp_relay_denied", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.ERROR
    assert "mynetworks" in text(result)


def test_relay_451_is_the_misspelt_restriction(monkeypatch: pytest.MonkeyPatch) -> None:
    _remote(monkeypatch, "smtp_relay_denied")
    with smtp_server(SmtpBehaviour(rcpt_reply=CONFIG_ERROR)) as server:
        result = run("smtp_relay_denied", make_ctx(), host="127.0.0.1", port=server.port)
    assert code(result) == "postfix.unknown-restriction"
    assert "reject_unauth_destinaition" in text(result)


def test_relay_after_auth_passes() -> None:
    with smtp_server() as server:
        result = run("smtp_relay_after_auth", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.PASS, text(result)
    assert any("RCPT TO:<user2@example2.jp>" in c for c in server.commands)
    assert_polite(server)


def test_relay_after_auth_refused_means_permit_sasl_authenticated_missing() -> None:
    with smtp_server(SmtpBehaviour(rcpt_reply="554 5.7.1 <{rcpt}>: Relay access denied")) \
            as server:
        result = run("smtp_relay_after_auth", make_ctx(), host="127.0.0.1", port=server.port)
    assert code(result) == "postfix.sasl-not-permitted"
    assert "permit_sasl_authenticated" in text(result)


def test_relay_after_auth_with_failing_auth_names_the_auth_problem() -> None:
    with smtp_server() as server:
        result = run("smtp_relay_after_auth", make_ctx(), host="127.0.0.1", port=server.port,
                     password="wrong")
    assert code(result) == "smtp.auth-failed"
    assert not any(c.startswith("RCPT") for c in server.commands)


def test_relay_after_auth_aimed_at_the_peer_relays_to_this_hosts_domain() -> None:
    behaviour = SmtpBehaviour(local_domains=("example2.jp",), users=("user2",))
    with smtp_server(behaviour, host="127.0.0.2") as server:
        result = run("smtp_relay_after_auth", make_ctx(), host="127.0.0.2", port=server.port)
    assert result.status is Status.PASS
    assert any("RCPT TO:<user1@example1.jp>" in c for c in server.commands)
    assert any("MAIL FROM:<user2@example2.jp>" in c for c in server.commands)


@pytest.mark.parametrize(("behaviour", "expected", "words"), [
    (SmtpBehaviour(rcpt_reply=CONFIG_ERROR), "postfix.unknown-restriction", "451 4.3.5"),
    (SmtpBehaviour(local_domains=()), "postfix.mydestination", "mydestination"),
    (SmtpBehaviour(users=()), "mail.unknown-user", "User unknown"),
])
def test_accepts_mail_fails_for_the_right_reason(behaviour: SmtpBehaviour, expected: str,
                                                 words: str) -> None:
    with smtp_server(behaviour) as server:
        result = run("smtp_accepts_mail", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.FAIL
    assert code(result) == expected
    assert words in text(result)


def test_accepts_mail_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    _remote(monkeypatch, "smtp_accepts_mail")
    with smtp_server() as server:
        result = run("smtp_accepts_mail", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.PASS
    assert any("RCPT TO:<user1@example1.jp>" in c for c in server.commands)
    assert_polite(server)


def test_accepts_mail_from_the_server_itself_proves_nothing() -> None:
    with smtp_server() as server:
        result = run("smtp_accepts_mail", make_ctx(), host="127.0.0.1", port=server.port)
    assert result.status is Status.ERROR
    assert "permit_mynetworks" in text(result)


# ----------------------------------------------------------------------------- IMAP


def _mail_log(tmp_path: Path, *lines: str) -> None:
    """A Debian mail.log under tmp_path with lines stamped now."""
    stamp = time.strftime("%b %e %H:%M:%S")
    path = tmp_path / "var/log/mail.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{stamp} host1 {line}\n" for line in lines), encoding="utf-8")


def test_imap_login_finds_the_subject_without_changing_anything() -> None:
    behaviour = ImapBehaviour(subjects=["hello", "Test mail from user1"])
    with imap_server(behaviour) as server:
        result = run("imap_login", make_ctx(), host="127.0.0.1", port=server.port,
                     subject_pattern="Test mail from user1")
        assert not server.server.wrote  # EXAMINE and BODY.PEEK only
    assert result.status is Status.PASS, text(result)
    assert "userpass" not in "\n".join(result.evidence)


def test_imap_logindisabled_means_plaintext_refused() -> None:
    behaviour = ImapBehaviour(capabilities="IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED")
    with imap_server(behaviour) as server:
        result = run("imap_login", make_ctx(), host="127.0.0.1", port=server.port)
        assert not any("LOGIN " in c for c in server.commands)
    assert code(result) == "dovecot.plaintext-refused"
    assert "disable_plaintext_auth = no" in text(result) and "ssl = no" in text(result)


def test_imap_privacyrequired_means_plaintext_refused() -> None:
    with imap_server(ImapBehaviour(login_reply=PRIVACY)) as server:
        result = run("imap_login", make_ctx(), host="127.0.0.1", port=server.port)
    assert code(result) == "dovecot.plaintext-refused"
    assert "PRIVACYREQUIRED" in text(result)


def test_imap_wrong_password() -> None:
    with imap_server() as server:
        result = run("imap_login", make_ctx(), host="127.0.0.1", port=server.port,
                     password="nope")
    assert code(result) == "dovecot.auth-failed"
    assert "AUTHENTICATIONFAILED" in text(result) and "doveadm auth test user1" in text(result)


@pytest.mark.parametrize(("log_line", "expected", "words"), [
    ("dovecot: imap(user1)<1234><abcd>: Error: file_dotlock_create(/var/mail/user1) failed: "
     "Permission denied (euid=1001(user1) egid=1001(user1) missing +w perm: /var/mail, we're "
     "not in group 8(mail), dir owned by 0:8 mode=0775) (set mail_privileged_group=mail)",
     "dovecot.mail-privileged-group", "mail_privileged_group = mail"),
    ("dovecot: imap(user1)<1234><abcd>: Error: mail_location not set and autodetection failed: "
     "Mail storage autodetection failed with home=/home/user1",
     "dovecot.mail-location-unset", "mail_location = mbox:~/mail:INBOX=/var/mail/%u"),
    ("dovecot: imap(user1): Info: Disconnected: Logged out", "dovecot.internal-error",
     "doveadm log errors"),
])
def test_imap_inbox_error_is_explained_from_the_log(tmp_path: Path, log_line: str,
                                                    expected: str, words: str) -> None:
    _mail_log(tmp_path, log_line)
    with imap_server(ImapBehaviour(select_reply=SERVERBUG)) as server:
        result = run("imap_login", make_ctx(tmp_path, root=False), host="127.0.0.1",
                     port=server.port)
    assert result.status is Status.FAIL
    assert code(result) == expected
    assert words in text(result)


def test_imap_inbox_permission_reply() -> None:
    with imap_server(ImapBehaviour(select_reply="NO [NOPERM] Permission denied")) as server:
        result = run("imap_login", make_ctx(), host="127.0.0.1", port=server.port)
    assert code(result) == "dovecot.mail-privileged-group"


def test_imap_as_root_asks_doveadm_log_errors(tmp_path: Path) -> None:
    doveadm = ("Nov 28 18:14:06 Error: imap(user1)<5><x>: mail_location not set and "
               "autodetection failed")
    table = {("doveadm", "log", "errors"): (0, doveadm + "\n", "")}
    with imap_server(ImapBehaviour(select_reply=SERVERBUG)) as server:
        result = run("imap_login", make_ctx(tmp_path, table, root=True), host="127.0.0.1",
                     port=server.port)
    assert code(result) == "dovecot.mail-location-unset"


def test_imap_subject_missing() -> None:
    with imap_server(ImapBehaviour(subjects=["other"])) as server:
        result = run("imap_login", make_ctx(), host="127.0.0.1", port=server.port,
                     subject_pattern="Test mail from user1")
    assert code(result) == "mail.not-delivered"
    assert "Subject: other" in text(result)


def test_imap_refused_means_dovecot_not_running() -> None:
    result = run("imap_login", make_ctx(), host="127.0.0.1", port=free_port())
    assert code(result) == "dovecot.not-running"
    assert "systemctl enable --now dovecot" in text(result)


# ----------------------------------------------------------------------------- POP3


def test_pop3_login_finds_the_subject_and_deletes_nothing() -> None:
    with pop3_server(Pop3Behaviour(subjects=["a", "Test mail from user1"])) as server:
        result = run("pop3_login", make_ctx(), host="127.0.0.1", port=server.port,
                     subject_pattern="from user1")
        assert not server.server.wrote
        verbs = [c.split()[0] for c in server.commands]
    assert result.status is Status.PASS, text(result)
    assert verbs[-2:] == ["RSET", "QUIT"]
    assert "userpass" not in "\n".join(result.evidence)


def test_pop3_plaintext_refused() -> None:
    with pop3_server(Pop3Behaviour(user_reply="-ERR [AUTH] Plaintext authentication disallowed "
                                              "on non-secure (SSL/TLS) connections.")) as server:
        result = run("pop3_login", make_ctx(), host="127.0.0.1", port=server.port)
    assert code(result) == "dovecot.plaintext-refused"
    assert "Plaintext authentication disallowed" in text(result)


def test_pop3_wrong_password() -> None:
    with pop3_server() as server:
        result = run("pop3_login", make_ctx(), host="127.0.0.1", port=server.port,
                     password="bad")
    assert code(result) == "dovecot.auth-failed"


def test_pop3_internal_error_after_pass_is_explained_from_the_log(tmp_path: Path) -> None:
    _mail_log(tmp_path, "dovecot: pop3(user1): Error: mail_location not set and autodetection "
                        "failed")
    behaviour = Pop3Behaviour(pass_reply="-ERR [SYS/TEMP] Internal error occurred. Refer to "
                                         "server log for more information.")
    with pop3_server(behaviour) as server:
        result = run("pop3_login", make_ctx(tmp_path, root=False), host="127.0.0.1",
                     port=server.port)
    assert code(result) == "dovecot.mail-location-unset"


def test_pop3_subject_missing() -> None:
    with pop3_server(Pop3Behaviour(subjects=["x"])) as server:
        result = run("pop3_login", make_ctx(), host="127.0.0.1", port=server.port,
                     subject_pattern="nothing like it")
    assert code(result) == "mail.not-delivered"


# ----------------------------------------------------------------------------- port_reachable


def test_port_reachable_passes_and_names_the_client() -> None:
    with smtp_server() as server:
        result = run("port_reachable", make_ctx(), address="127.0.0.1", port=server.port,
                     from_address="127.0.0.4")
    assert result.status is Status.PASS
    assert "127.0.0.4 -> 127.0.0.1" in text(result)


def test_port_reachable_refused_on_imap_port_names_dovecot(monkeypatch: pytest.MonkeyPatch) \
        -> None:
    def refused(host: str, port: int, timeout: float, from_address: str | None = None) -> Any:
        raise Unreachable("refused", f"connect to {host}:{port}: Connection refused", host)

    monkeypatch.setattr(module_of("port_reachable"), "connect", refused)
    result = run("port_reachable", make_ctx(), address="192.168.56.102", port=143)
    assert code(result) == "dovecot.not-running"
    other = run("port_reachable", make_ctx(), address="192.168.56.102", port=8080)
    assert code(other) == "port.refused"

