"""The general check library against real Postfix, Dovecot and systemd inside host1.

Installs the mail packages from the lab's offline repository for this module only and
purges them afterwards, so the sandbox's own tests still find hosts without mail software.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from maillab_tui.checking.api import Context, Result, Status, load_library, run_check
from maillab_tui.sandbox import Lab
from maillab_tui.system import Proc
from maillab_tui.text import render
from tests.integration.conftest import quiet_install

pytestmark = pytest.mark.sandbox

HOST = "host1"
PACKAGES = ("postfix", "dovecot-core", "dovecot-imapd", "dovecot-pop3d")
LIB = load_library()


def sh(lab: Lab, script: str, ok: bool = True, timeout: float = 300) -> str:
    """Run a shell script as root in host1; its stdout (asserting success unless ok=False)."""
    proc = lab.exec(HOST, ["sh", "-c", script], timeout=timeout)
    if ok:
        assert proc.returncode == 0, f"{script!r}: {proc.returncode}\n{proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def mail_lab(lab: Lab) -> Iterator[Lab]:
    """host1 with Postfix and Dovecot installed (and purged again at the end)."""
    sh(lab, quiet_install("mail.example1.jp", " ".join(PACKAGES)), timeout=600)
    try:
        yield lab
    finally:
        sh(lab, "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q " + " ".join(PACKAGES)
           + " && apt-get autoremove --purge -y -q; rm -rf /etc/postfix /etc/dovecot; "
           "userdel -r livecheck 2>/dev/null; true", ok=False, timeout=600)
        assert lab.exec(HOST, ["dpkg", "-s", "postfix"]).returncode != 0


def make_ctx(lab: Lab, since: float | None = None) -> Context:
    """A root context whose commands run in host1 and whose files are host1's."""

    def runner(argv: Sequence[str], timeout: float = 10.0, input: str | None = None,
               env: Mapping[str, str] | None = None) -> Proc:
        full = ["env", "LC_ALL=C", *argv]
        started = time.monotonic()
        done = lab.exec(HOST, full, input=input, timeout=timeout)
        return Proc(tuple(argv), done.returncode, done.stdout, done.stderr,
                    time.monotonic() - started, timed_out=done.returncode == 124,
                    missing=done.returncode == 127)

    pid = lab.init_pid(HOST)
    assert pid is not None
    return Context(host=HOST, platform="debian12", runner=runner, root=True, since=since,
                   files_root=f"/proc/{pid}/root")


def run(check_name: str, ctx: Context, /, **params: Any) -> Result:
    """Run a library check as grading does."""
    definition = LIB.get(check_name)
    assert definition is not None
    return run_check(definition, ctx, params)


def explain(result: Result) -> str:
    """A result as text for assertion messages."""
    code = result.diagnosis.code if result.diagnosis else ""
    return f"{result.status} {code} {render(result.message, 'en')} {list(result.evidence)}"


def code(result: Result) -> str | None:
    """The diagnosis code."""
    return result.diagnosis.code if result.diagnosis else None


def test_packages(mail_lab: Lab) -> None:
    ctx = make_ctx(mail_lab)
    ok = run("package_installed", ctx, name="postfix")
    assert ok.status is Status.PASS, explain(ok)
    missing = run("package_installed", ctx, name="s-nail-not-a-package")
    assert code(missing) == "package.not-installed", explain(missing)


def test_services_and_the_debian_postfix_instance(mail_lab: Lab) -> None:
    ctx = make_ctx(mail_lab)
    sh(mail_lab, "systemctl enable --now postfix dovecot")
    ok = run("service_active", ctx, unit="postfix", enabled=True)
    assert ok.status is Status.PASS, explain(ok)
    assert any("postfix@-.service" in e for e in ok.evidence)
    sh(mail_lab, "systemctl stop postfix@-.service")
    try:
        down = run("service_active", ctx, unit="postfix")
        assert down.status is Status.FAIL, explain(down)
        assert "postfix@-.service" in render(down.message, "en")
    finally:
        sh(mail_lab, "systemctl start postfix@-.service")
    nothing = run("service_active", ctx, unit="no-such-daemon")
    assert code(nothing) == "service.not-found", explain(nothing)
    sh(mail_lab, "systemctl disable dovecot")
    disabled = run("service_active", ctx, unit="dovecot", enabled=True)
    assert code(disabled) == "service.disabled", explain(disabled)


def test_postconf_values_typos_and_restrictions(mail_lab: Lab) -> None:
    ctx = make_ctx(mail_lab)
    sh(mail_lab, "postconf -e 'mynetworks = 127.0.0.0/8, 192.168.56.101' "
                 "'mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain' "
                 "'mydomain = example1.jp'")
    ok = run("postconf", ctx, param="mynetworks", expect="192.168.56.101 127.0.0.0/8")
    assert ok.status is Status.PASS, explain(ok)
    expanded = run("postconf", ctx, param="mydestination", contains=["example1.jp"], expand=True)
    assert expanded.status is Status.PASS, explain(expanded)
    relay = run("postconf", ctx, param="smtpd_relay_restrictions",
                expect="permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination")
    assert relay.status is Status.PASS, explain(relay)

    sh(mail_lab, "postconf -X mynetworks && echo 'my_networks = 192.168.56.101' "
                 ">> /etc/postfix/main.cf")
    typo = run("postconf", ctx, param="mynetworks", expect="192.168.56.101")
    assert code(typo) == "postfix.unknown-parameter", explain(typo)
    assert "my_networks" in render(typo.message, "en")

    sh(mail_lab, "postconf -e 'smtpd_recipient_restrictions = permit_mynetworks, "
                 "permit_sasl_authenticated, reject_unauth_destinaition'")
    bad = run("postconf", ctx, param="smtpd_recipient_restrictions")
    assert code(bad) == "postfix.unknown-restriction", explain(bad)
    assert bad.diagnosis is not None and bad.diagnosis.suggestion.endswith(
        "reject_unauth_destination")
    unknown = run("postconf", ctx, param="smtpd_recipient_restritions")
    assert code(unknown) == "postconf.unknown-parameter", explain(unknown)


def test_ports(mail_lab: Lab) -> None:
    ctx = make_ctx(mail_lab)
    sh(mail_lab, "postconf -e 'inet_interfaces = all' && systemctl restart postfix")
    time.sleep(1)
    ok = run("port_listening", ctx, port=25, address="192.168.56.101")
    assert ok.status is Status.PASS, explain(ok)
    assert "master" in render(ok.message, "en")
    sh(mail_lab, "postconf -e 'inet_interfaces = loopback-only' && systemctl restart postfix")
    time.sleep(1)
    try:
        loop = run("port_listening", ctx, port=25, address="192.168.56.101")
        assert code(loop) == "port.loopback-only", explain(loop)
    finally:
        sh(mail_lab, "postconf -e 'inet_interfaces = all' && systemctl restart postfix")
    none = run("port_listening", ctx, port=2525)
    assert code(none) == "port.not-listening", explain(none)


def test_doveconf(mail_lab: Lab) -> None:
    ctx = make_ctx(mail_lab)
    ok = run("doveconf", ctx, param="protocols", contains=["imap", "pop3"])
    assert ok.status is Status.PASS, explain(ok)
    asked = run("doveconf", ctx, param="mail_locaton")
    assert code(asked) == "doveconf.unknown-setting", explain(asked)
    sh(mail_lab, "echo 'mail_locaton = mbox:~/mail:INBOX=/var/mail/%u' "
                 "> /etc/dovecot/conf.d/99-live.conf")
    try:
        broken = run("doveconf", ctx, param="mail_location")
        assert code(broken) == "dovecot.unknown-setting", explain(broken)
        assert broken.diagnosis is not None and "mail_location" in broken.diagnosis.suggestion
    finally:
        sh(mail_lab, "rm -f /etc/dovecot/conf.d/99-live.conf")


def test_files_users_and_command(mail_lab: Lab) -> None:
    ctx = make_ctx(mail_lab)
    assert run("file_exists", ctx, path="/etc/postfix/main.cf").status is Status.PASS
    found = run("file_contains", ctx, path="/etc/postfix/main.cf", pattern=r"^myhostname\s*=")
    assert found.status is Status.PASS, explain(found)
    mode = run("file_mode", ctx, path="/etc/shadow", mode="0640", owner="root", group="shadow")
    assert mode.status is Status.PASS, explain(mode)
    assert run("user_exists", ctx, user="root").status is Status.PASS
    sh(mail_lab, "useradd -m livecheck")
    nopass = run("password_set", ctx, user="livecheck")
    assert code(nopass) == "user.no-password", explain(nopass)
    sh(mail_lab, "echo 'livecheck:Live-pass-1' | chpasswd")
    assert run("password_set", ctx, user="livecheck").status is Status.PASS
    queue = run("command", ctx, argv="postqueue -p", expect_output="Mail queue is empty")
    assert queue.status is Status.PASS, explain(queue)


def test_log_contains_reads_the_journal_since_the_step(mail_lab: Lab) -> None:
    since = time.time()
    ctx = make_ctx(mail_lab, since=since)
    token = f"maillab-live-{int(since)}"
    before = run("log_contains", ctx, pattern=token)
    assert before.status is Status.FAIL, explain(before)
    sh(mail_lab, f"logger -p mail.info -t postfix/live '{token}'")
    after = None
    for _ in range(20):  # journald writes asynchronously
        after = run("log_contains", ctx, pattern=token)
        if after.status is Status.PASS:
            break
        time.sleep(0.5)
    assert after is not None and after.status is Status.PASS, explain(after)
    assert any(token in e for e in after.evidence)
