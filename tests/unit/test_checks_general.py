"""The general check library (checks/*.py) against recorded real outputs and real files.

Every check passes once, fails once for the right reason (status, diagnosis code and the key
words of message or evidence), and errors when its tool is missing or it needs root.
"""

from __future__ import annotations

import grp
import os
import pwd
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from maillab_tui.checking.api import CheckDef, Context, Result, Status, load_library, run_check
from maillab_tui.system import Proc
from maillab_tui.text import render
from tests.unit.mail_support import FakeRunner, Reply

LIB = load_library()
OURS = ("file_exists", "file_contains", "file_mode", "command", "package_installed",
        "service_active", "port_listening", "user_exists", "password_set", "postconf",
        "doveconf", "log_contains")

FakeSystem = FakeRunner  # answers from a table of recorded outputs (tests/unit/mail_support)


def make_ctx(tmp_path: Path, table: Mapping[tuple[str, ...], Reply] | None = None, *,
             platform: str = "debian12", root: bool = False, since: float | None = None,
             missing: Sequence[str] = (), timed_out: Sequence[str] = (),
             secrets: tuple[str, ...] = ()) -> Context:
    """A context on host1 whose commands come from `table` and files from tmp_path."""
    return Context(host="host1", platform=platform, runner=FakeSystem(table, missing, timed_out),
                   files_root=str(tmp_path), root=root, since=since, secrets=secrets)


def run(check_name: str, ctx: Context, /, **params: Any) -> Result:
    """Run library check `check_name` the way grading does."""
    definition = LIB.get(check_name)
    assert definition is not None, check_name
    return run_check(definition, ctx, params)


def ja(result: Result) -> str:
    """The result's message in Japanese."""
    return render(result.message, "ja")


def en(result: Result) -> str:
    """The result's message in English."""
    return render(result.message, "en")


def code(result: Result) -> str | None:
    """The diagnosis code, if any."""
    return result.diagnosis.code if result.diagnosis else None


def calls(ctx: Context) -> list[tuple[str, ...]]:
    """The commands the check ran."""
    assert isinstance(ctx.runner, FakeSystem)
    return ctx.runner.calls


# --------------------------------------------------------------------------- the library


def test_every_module_loads_without_problems() -> None:
    assert LIB.problems == []
    for name in OURS:
        assert name in LIB.checks, name


@pytest.mark.parametrize("name", OURS)
def test_each_check_is_documented(name: str) -> None:
    definition: CheckDef = LIB.checks[name]
    assert definition.description.strip()
    assert definition.func.__doc__
    assert definition.source.endswith(".py") and "/checks/" in definition.source
    for param_name, param in definition.params.items():
        assert param.doc, f"{name}.{param_name} has no doc"


def test_parameters_are_validated_like_a_chapter_gives_them() -> None:
    command = LIB.checks["command"]
    assert command.problems_with({"argv": "postqueue -p"}) == []
    assert command.problems_with({"argv": ["postqueue", "-p"], "expect_status": 1}) == []
    assert command.problems_with({"argv": ""})
    assert LIB.checks["port_listening"].problems_with({"port": "twenty-five"})
    assert LIB.checks["postconf"].problems_with({"param": "mynetworks", "expand": "maybe"})


# --------------------------------------------------------------------------- files


def test_file_exists_passes_with_an_ls_line(tmp_path: Path) -> None:
    (tmp_path / "etc/postfix").mkdir(parents=True)
    (tmp_path / "etc/postfix/main.cf").write_text("myhostname = mail.example1.jp\n")
    result = run("file_exists", make_ctx(tmp_path), path="/etc/postfix/main.cf")
    assert result.status is Status.PASS
    assert result.evidence[0].startswith("-rw")
    assert result.evidence[0].endswith("/etc/postfix/main.cf")


def test_file_exists_fails_for_a_missing_file(tmp_path: Path) -> None:
    result = run("file_exists", make_ctx(tmp_path), path="/etc/postfix/main.cf")
    assert result.status is Status.FAIL
    assert code(result) == "file.missing"
    assert "/etc/postfix/main.cf がありません" in ja(result)


def test_file_exists_permission_denied_is_an_error(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: Path, **_: Any) -> os.stat_result:
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(Path, "stat", denied)
    result = run("file_exists", make_ctx(tmp_path), path="/etc/shadow")
    assert result.status is Status.ERROR
    assert "sudo" in ja(result)


MAIN_CF = """\
# See /usr/share/postfix/main.cf.dist for a commented, more complete version
myhostname = mail.example1.jp
#mynetworks = 168.100.189.0/28, 127.0.0.0/8
inet_interfaces = localhost, 192.168.56.101
"""


def _main_cf(tmp_path: Path) -> None:
    (tmp_path / "etc/postfix").mkdir(parents=True, exist_ok=True)
    (tmp_path / "etc/postfix/main.cf").write_text(MAIN_CF)


def test_file_contains_passes_with_the_numbered_line(tmp_path: Path) -> None:
    _main_cf(tmp_path)
    result = run("file_contains", make_ctx(tmp_path), path="/etc/postfix/main.cf",
                 pattern=r"^inet_interfaces\s*=.*192\.168\.56\.101")
    assert result.status is Status.PASS
    assert result.evidence == ("4: inet_interfaces = localhost, 192.168.56.101",)


def test_file_contains_fails_when_no_line_matches(tmp_path: Path) -> None:
    _main_cf(tmp_path)
    result = run("file_contains", make_ctx(tmp_path), path="/etc/postfix/main.cf",
                 pattern=r"^home_mailbox")
    assert result.status is Status.FAIL
    assert code(result) == "file.no-match"
    assert "^home_mailbox" in ja(result)


def test_file_contains_sees_a_line_left_commented_out(tmp_path: Path) -> None:
    _main_cf(tmp_path)
    result = run("file_contains", make_ctx(tmp_path), path="/etc/postfix/main.cf",
                 pattern=r"^mynetworks\s*=")
    assert result.status is Status.FAIL
    assert code(result) == "file.commented-out"
    assert result.evidence[0].startswith("3: #mynetworks")
    assert result.diagnosis is not None and "#" in render(result.diagnosis.message, "ja")


def test_file_contains_absent(tmp_path: Path) -> None:
    _main_cf(tmp_path)
    ctx = make_ctx(tmp_path)
    ok = run("file_contains", ctx, path="/etc/postfix/main.cf", pattern="^relayhost", absent=True)
    assert ok.status is Status.PASS
    bad = run("file_contains", ctx, path="/etc/postfix/main.cf", pattern="^myhostname",
              absent="yes")
    assert bad.status is Status.FAIL
    assert code(bad) == "file.unexpected-match"
    assert bad.evidence == ("2: myhostname = mail.example1.jp",)


def test_file_contains_missing_file_and_bad_regex(tmp_path: Path) -> None:
    missing = run("file_contains", make_ctx(tmp_path), path="/etc/nothing", pattern="x")
    assert missing.status is Status.FAIL and code(missing) == "file.missing"
    _main_cf(tmp_path)
    bad = run("file_contains", make_ctx(tmp_path), path="/etc/postfix/main.cf", pattern="(")
    assert bad.status is Status.ERROR
    assert "正規表現" in ja(bad)


def test_file_contains_permission_denied_is_an_error(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: Path, *_: Any, **__: Any) -> Any:
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(Path, "open", denied)
    result = run("file_contains", make_ctx(tmp_path), path="/etc/sasl2/smtpd.conf", pattern="x")
    assert result.status is Status.ERROR
    assert "sudo" in ja(result)


def _me() -> tuple[str, str]:
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def test_file_mode_passes(tmp_path: Path) -> None:
    _main_cf(tmp_path)
    (tmp_path / "etc/postfix/main.cf").chmod(0o644)
    user, group = _me()
    result = run("file_mode", make_ctx(tmp_path), path="/etc/postfix/main.cf", mode="0644",
                 owner=user, group=group)
    assert result.status is Status.PASS
    assert result.evidence[0].startswith(f"-rw-r--r-- {user} {group} ")
    numeric = run("file_mode", make_ctx(tmp_path), path="/etc/postfix/main.cf", mode="644",
                  owner=str(os.getuid()))
    assert numeric.status is Status.PASS


def test_file_mode_fails_on_the_mode(tmp_path: Path) -> None:
    _main_cf(tmp_path)
    (tmp_path / "etc/postfix/main.cf").chmod(0o600)
    result = run("file_mode", make_ctx(tmp_path), path="/etc/postfix/main.cf", mode="0644")
    assert result.status is Status.FAIL
    assert code(result) == "file.mode-differs"
    assert "0600" in ja(result) and "0644" in ja(result)
    assert result.diagnosis is not None and result.diagnosis.suggestion == \
        "sudo chmod 0644 /etc/postfix/main.cf"


def test_file_mode_fails_on_owner_and_group(tmp_path: Path) -> None:
    _main_cf(tmp_path)
    owner = run("file_mode", make_ctx(tmp_path), path="/etc/postfix/main.cf",
                owner="postfix-nobody")
    assert owner.status is Status.FAIL and code(owner) == "file.owner-differs"
    assert "postfix-nobody" in ja(owner)
    group = run("file_mode", make_ctx(tmp_path), path="/etc/postfix/main.cf", group="99999")
    assert group.status is Status.FAIL and code(group) == "file.group-differs"


def test_file_mode_missing_file_and_bad_mode(tmp_path: Path) -> None:
    assert code(run("file_mode", make_ctx(tmp_path), path="/x", mode="0644")) == "file.missing"
    _main_cf(tmp_path)
    bad = run("file_mode", make_ctx(tmp_path), path="/etc/postfix/main.cf", mode="rw-r--r--")
    assert bad.status is Status.ERROR


# --------------------------------------------------------------------------- command


def test_command_passes_on_status_and_output(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("postqueue", "-p"): (0, "Mail queue is empty\n", "")})
    result = run("command", ctx, argv="postqueue -p", expect_output="queue is empty")
    assert result.status is Status.PASS
    assert calls(ctx) == [("postqueue", "-p")]
    assert "Mail queue is empty" in result.evidence


def test_command_fails_on_the_status(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("testsaslauthd", "-u", "user1", "-p", "userpass", "-s", "smtp"):
                              (255, "connect() : No such file or directory\n", "")},
                   secrets=("userpass",))
    result = run("command", ctx, argv=["testsaslauthd", "-u", "user1", "-p", "userpass",
                                       "-s", "smtp"], expect_output="0: OK")
    assert result.status is Status.FAIL
    assert code(result) == "command.status-differs"
    assert "255" in ja(result)
    assert "connect() : No such file or directory" in result.evidence
    assert not any("userpass" in line for line in result.evidence)


def test_command_fails_on_the_output(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("postqueue", "-p"): (0, "-Queue ID-  --Size--\n4F2A1 312\n", "")})
    result = run("command", ctx, argv="postqueue -p", expect_output="Mail queue is empty")
    assert result.status is Status.FAIL
    assert code(result) == "command.output-differs"


def test_command_expecting_a_failure_status(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("grep", "-q", "my_networks", "/etc/postfix/main.cf"): (1, "", "")})
    result = run("command", ctx, argv="grep -q my_networks /etc/postfix/main.cf", expect_status=1)
    assert result.status is Status.PASS


def test_command_missing_program_or_timeout_is_an_error(tmp_path: Path) -> None:
    missing = run("command", make_ctx(tmp_path, missing=["doveadm"]), argv="doveadm who")
    assert missing.status is Status.ERROR
    assert "doveadm" in ja(missing)
    slow = run("command", make_ctx(tmp_path, timed_out=["sleep"]), argv="sleep 100")
    assert slow.status is Status.ERROR


# --------------------------------------------------------------------------- packages


DPKG = ("dpkg-query", "-W", "-f=${Status} ${Version}")


def test_package_installed_on_debian(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {(*DPKG, "postfix"): (0, "install ok installed 3.7.11-0+deb12u1", "")})
    result = run("package_installed", ctx, name="postfix")
    assert result.status is Status.PASS
    assert "3.7.11-0+deb12u1" in ja(result)


def test_package_not_installed_on_debian(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {(*DPKG, "dovecot-imapd"):
                              (1, "", "dpkg-query: no packages found matching dovecot-imapd\n")})
    result = run("package_installed", ctx, name="dovecot-imapd")
    assert result.status is Status.FAIL
    assert code(result) == "package.not-installed"
    assert "dovecot-imapd" in ja(result)
    assert "no packages found" in result.evidence[0]
    assert result.diagnosis is not None and result.diagnosis.suggestion == \
        "sudo apt install dovecot-imapd"


def test_package_removed_with_config_files_left_is_not_installed(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {(*DPKG, "postfix"): (0, "deinstall ok config-files 3.7.11-0+deb12u1",
                                                   "")})
    assert code(run("package_installed", ctx, name="postfix")) == "package.not-installed"


def test_package_half_configured(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {(*DPKG, "postfix"): (0, "install ok half-configured 3.7.11-0+deb12u1",
                                                   "")})
    result = run("package_installed", ctx, name="postfix")
    assert result.status is Status.FAIL and code(result) == "package.half-installed"


def test_package_name_per_platform(tmp_path: Path) -> None:
    deb = make_ctx(tmp_path, {(*DPKG, "sasl2-bin"): (0, "install ok installed 2.1.28+dfsg-10", "")})
    assert run("package_installed", deb, name="cyrus-sasl", deb="sasl2-bin").status is Status.PASS
    alma = make_ctx(tmp_path, {("rpm", "-q", "cyrus-sasl"): (0, "cyrus-sasl-2.1.27-21.el9.x86_64\n",
                                                             "")}, platform="almalinux9")
    result = run("package_installed", alma, name="cyrus-sasl", deb="sasl2-bin")
    assert result.status is Status.PASS
    assert result.evidence == ("cyrus-sasl-2.1.27-21.el9.x86_64",)


def test_package_not_installed_on_almalinux(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("rpm", "-q", "s-nail"): (1, "package s-nail is not installed\n",
                                                        "")}, platform="almalinux9")
    result = run("package_installed", ctx, name="s-nail")
    assert result.status is Status.FAIL
    assert code(result) == "package.not-installed"
    assert result.evidence == ("package s-nail is not installed",)
    assert result.diagnosis is not None and "dnf install s-nail" in result.diagnosis.suggestion


def test_package_tool_missing_or_unknown_platform_is_an_error(tmp_path: Path) -> None:
    assert run("package_installed", make_ctx(tmp_path, missing=["dpkg-query"]),
               name="postfix").status is Status.ERROR
    assert run("package_installed", make_ctx(tmp_path, platform="plan9"),
               name="postfix").status is Status.ERROR


# --------------------------------------------------------------------------- services


def _systemctl(**states: str) -> dict[tuple[str, ...], Reply]:
    """is-active answers for units: 'active' exits 0, anything else 3."""
    return {("systemctl", "is-active", unit): (0 if state == "active" else 3, f"{state}\n", "")
            for unit, state in states.items()}


def test_service_active_on_almalinux(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, _systemctl(**{"postfix.service": "active"}), platform="almalinux9")
    result = run("service_active", ctx, unit="postfix")
    assert result.status is Status.PASS
    assert calls(ctx) == [("systemctl", "is-active", "postfix.service")]


def test_service_active_on_debian_looks_at_the_postfix_instance(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, _systemctl(**{"postfix.service": "active",
                                           "postfix@-.service": "active"}))
    result = run("service_active", ctx, unit="postfix")
    assert result.status is Status.PASS
    assert ("systemctl", "is-active", "postfix@-.service") in calls(ctx)
    assert "systemctl is-active postfix@-.service: active" in result.evidence


JOURNAL_FAILED = """\
Nov 28 18:14:06 mail postfix/postfix-script[1234]: starting the Postfix mail system
Nov 28 18:14:06 mail postfix/master[1236]: fatal: parameter inet_interfaces: no local interface found for 192.168.56.101
Nov 28 18:14:07 mail systemd[1]: postfix@-.service: Control process exited, code=exited, status=1/FAILURE
Nov 28 18:14:07 mail systemd[1]: postfix@-.service: Failed with result 'exit-code'.
Nov 28 18:14:07 mail systemd[1]: Failed to start postfix@-.service - Postfix Mail Transport Agent (instance -).
"""  # noqa: E501


def test_service_failed_daemon_behind_an_active_debian_wrapper(tmp_path: Path) -> None:
    table = _systemctl(**{"postfix.service": "active", "postfix@-.service": "failed"})
    table[("systemctl", "status", "--no-pager", "--lines=0", "postfix@-.service")] = (
        3, "× postfix@-.service - Postfix Mail Transport Agent (instance -)\n", "")
    table[("journalctl", "-u", "postfix@-.service", "-n", "5", "--no-pager")] = (
        0, JOURNAL_FAILED, "")
    result = run("service_active", make_ctx(tmp_path, table, root=True), unit="postfix")
    assert result.status is Status.FAIL
    assert code(result) == "service.failed"
    assert "postfix@-.service" in ja(result)
    assert "postfix.service は active" in ja(result)
    assert result.evidence[0] == "systemctl is-active postfix.service: active"
    assert any("no local interface found" in line for line in result.evidence)


def test_service_failed_without_a_readable_journal_says_so(tmp_path: Path) -> None:
    table = _systemctl(**{"dovecot.service": "failed"})
    table[("systemctl", "status", "--no-pager", "--lines=0", "dovecot.service")] = (3, "", "")
    table[("journalctl", "-u", "dovecot.service", "-n", "5", "--no-pager")] = (
        0, "-- No entries --\n",
        "Hint: You are currently not seeing messages from other users and the system.\n"
        "      Users in groups 'adm', 'systemd-journal' can see all messages.\n")
    result = run("service_active", make_ctx(tmp_path, table), unit="dovecot")
    assert result.status is Status.FAIL and code(result) == "service.failed"
    assert "sudo" in ja(result)


def test_service_inactive(tmp_path: Path) -> None:
    table = _systemctl(**{"dovecot.service": "inactive"})
    table[("systemctl", "status", "--no-pager", "--lines=0", "dovecot.service")] = (
        3, "○ dovecot.service - Dovecot IMAP/POP3 email server\n", "")
    result = run("service_active", make_ctx(tmp_path, table), unit="dovecot")
    assert result.status is Status.FAIL
    assert code(result) == "service.inactive"
    assert result.diagnosis is not None and \
        result.diagnosis.suggestion == "sudo systemctl start dovecot.service"


def test_service_not_found(tmp_path: Path) -> None:
    table = _systemctl(**{"saslauth.service": "inactive"})
    table[("systemctl", "status", "--no-pager", "--lines=0", "saslauth.service")] = (
        4, "", "Unit saslauth.service could not be found.\n")
    result = run("service_active", make_ctx(tmp_path, table), unit="saslauth")
    assert result.status is Status.FAIL
    assert code(result) == "service.not-found"
    assert "パッケージ" in render(result.diagnosis.message, "ja")  # type: ignore[union-attr]
    assert "could not be found" in result.evidence[0]


def test_service_enabled(tmp_path: Path) -> None:
    table = _systemctl(**{"postfix.service": "active"})
    table[("systemctl", "is-enabled", "postfix.service")] = (0, "enabled\n", "")
    result = run("service_active", make_ctx(tmp_path, table, platform="almalinux9"),
                 unit="postfix", enabled=True)
    assert result.status is Status.PASS
    assert "systemctl is-enabled postfix.service: enabled" in result.evidence


def test_service_running_but_disabled(tmp_path: Path) -> None:
    table = _systemctl(**{"saslauthd.service": "active"})
    table[("systemctl", "is-enabled", "saslauthd.service")] = (1, "disabled\n", "")
    result = run("service_active", make_ctx(tmp_path, table, platform="almalinux9"),
                 unit="saslauthd.service", enabled="yes")
    assert result.status is Status.FAIL
    assert code(result) == "service.disabled"
    assert result.diagnosis is not None and \
        result.diagnosis.suggestion == "sudo systemctl enable saslauthd.service"


def test_service_without_systemd_or_systemctl_is_an_error(tmp_path: Path) -> None:
    table: dict[tuple[str, ...], Reply] = {("systemctl", "is-active", "postfix.service"): (
        1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
        "Failed to connect to bus: Host is down\n")}
    result = run("service_active", make_ctx(tmp_path, table, platform="almalinux9"), unit="postfix")
    assert result.status is Status.ERROR
    assert run("service_active", make_ctx(tmp_path, missing=["systemctl"]),
               unit="postfix").status is Status.ERROR


# --------------------------------------------------------------------------- ports


SS_GOOD = """\
LISTEN 0      100          0.0.0.0:25        0.0.0.0:*    users:(("master",pid=812,fd=13))
LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=501,fd=3))
LISTEN 0      100             [::]:25           [::]:*    users:(("master",pid=812,fd=14))
"""
SS_NO_USERS = """\
LISTEN 0      100          0.0.0.0:25        0.0.0.0:*
LISTEN 0      100   192.168.56.101:143       0.0.0.0:*
"""
SS_LOOPBACK = """\
LISTEN 0      100        127.0.0.1:25        0.0.0.0:*    users:(("master",pid=812,fd=13))
LISTEN 0      100            [::1]:25           [::]:*    users:(("master",pid=812,fd=14))
LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=501,fd=3))
"""
SS_CMD = ("ss", "-H", "-ltnp")


def test_port_listening_any_address_as_root_names_the_process(tmp_path: Path) -> None:
    result = run("port_listening", make_ctx(tmp_path, {SS_CMD: (0, SS_GOOD, "")}, root=True),
                 port=25)
    assert result.status is Status.PASS
    assert "master" in ja(result)
    assert len(result.evidence) == 2 and "0.0.0.0:25" in result.evidence[0]


def test_port_listening_on_an_address_through_the_wildcard(tmp_path: Path) -> None:
    result = run("port_listening", make_ctx(tmp_path, {SS_CMD: (0, SS_GOOD, "")}),
                 port=25, address="192.168.56.101")
    assert result.status is Status.PASS


def test_port_listening_without_root_says_process_names_need_root(tmp_path: Path) -> None:
    result = run("port_listening", make_ctx(tmp_path, {SS_CMD: (0, SS_NO_USERS, "")}, root=False),
                 port=143, address="192.168.56.101")
    assert result.status is Status.PASS
    assert "root" in ja(result) and "process names need root" in en(result)


def test_port_not_listening(tmp_path: Path) -> None:
    result = run("port_listening", make_ctx(tmp_path, {SS_CMD: (0, SS_GOOD, "")}), port=143)
    assert result.status is Status.FAIL
    assert code(result) == "port.not-listening"
    assert "143" in ja(result)


def test_port_listening_only_on_loopback(tmp_path: Path) -> None:
    result = run("port_listening", make_ctx(tmp_path, {SS_CMD: (0, SS_LOOPBACK, "")}),
                 port=25, address="192.168.56.101")
    assert result.status is Status.FAIL
    assert code(result) == "port.loopback-only"
    assert "127.0.0.1:25" in ja(result)
    assert "inet_interfaces" in render(result.diagnosis.message, "ja")  # type: ignore[union-attr]


def test_port_listening_on_another_address(tmp_path: Path) -> None:
    result = run("port_listening", make_ctx(tmp_path, {SS_CMD: (0, SS_NO_USERS, "")}),
                 port=143, address="127.0.0.1")
    assert result.status is Status.FAIL
    assert code(result) == "port.other-address"
    assert "192.168.56.101:143" in ja(result)


def test_port_listening_without_ss_is_an_error(tmp_path: Path) -> None:
    result = run("port_listening", make_ctx(tmp_path, missing=["ss"]), port=25)
    assert result.status is Status.ERROR
    assert "iproute2" in ja(result)


# --------------------------------------------------------------------------- users


def test_user_exists(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("getent", "passwd", "user1"):
                              (0, "user1:x:1001:1001::/home/user1:/bin/bash\n", "")})
    result = run("user_exists", ctx, user="user1")
    assert result.status is Status.PASS
    assert result.evidence == ("user1:x:1001:1001::/home/user1:/bin/bash",)


def test_user_missing(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("getent", "passwd", "user2"): (2, "", "")})
    result = run("user_exists", ctx, user="user2")
    assert result.status is Status.FAIL
    assert code(result) == "user.missing"
    assert "user2" in ja(result)


def test_user_exists_without_getent_is_an_error(tmp_path: Path) -> None:
    assert run("user_exists", make_ctx(tmp_path, missing=["getent"]),
               user="user1").status is Status.ERROR


SHADOW = """\
root:*:19700:0:99999:7:::
user1:$y$j9T$WvJ0n0pp1E9Z9HHQhK1dW.$abcdefghijklmnopqrstuvwxyz0123456789ABCDEF:20055:0:99999:7:::
user2:!:20055:0:99999:7:::
user3:!$6$saltsalt$hashhashhash:20055:0:99999:7:::
user4::20055:0:99999:7:::
"""


def _shadow(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir(exist_ok=True)
    (tmp_path / "etc/shadow").write_text(SHADOW)


def test_password_set_hides_the_hash(tmp_path: Path) -> None:
    _shadow(tmp_path)
    result = run("password_set", make_ctx(tmp_path, root=True), user="user1")
    assert result.status is Status.PASS
    assert result.evidence[0].startswith("user1:$y$…")
    assert "abcdefghij" not in " ".join(result.evidence)


@pytest.mark.parametrize("user", ["user2", "user4"])
def test_password_not_set(tmp_path: Path, user: str) -> None:
    _shadow(tmp_path)
    result = run("password_set", make_ctx(tmp_path, root=True), user=user)
    assert result.status is Status.FAIL
    assert code(result) == "user.no-password"
    assert f"passwd {user}" in render(result.diagnosis.message, "ja")  # type: ignore[union-attr]


def test_password_locked_and_user_missing(tmp_path: Path) -> None:
    _shadow(tmp_path)
    locked = run("password_set", make_ctx(tmp_path, root=True), user="user3")
    assert locked.status is Status.FAIL and code(locked) == "user.password-locked"
    assert "hashhash" not in " ".join(locked.evidence)
    nobody = run("password_set", make_ctx(tmp_path, root=True), user="user9")
    assert nobody.status is Status.FAIL and code(nobody) == "user.missing"


def test_password_set_needs_root(tmp_path: Path) -> None:
    _shadow(tmp_path)
    result = run("password_set", make_ctx(tmp_path, root=False), user="user1")
    assert result.status is Status.ERROR
    assert "root" in ja(result)


# --------------------------------------------------------------------------- postconf


POSTCONF_D = """\
2bounce_notice_recipient = postmaster
inet_interfaces = all
mydestination = $myhostname, localhost.$mydomain, localhost
mydomain = localdomain
myhostname = localhost.localdomain
mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128
smtpd_recipient_restrictions =
smtpd_relay_restrictions = ${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination}}
smtpd_restriction_classes =
"""  # noqa: E501
UNUSED = ("postconf: warning: /etc/postfix/main.cf: unused parameter: my_networks=192.168.56.101\n"
          "postconf: warning: /etc/postfix/main.cf: unused parameter: "
          "smtpd_recipient_restritions=permit_mynetworks\n")


def _postconf(*argv: str) -> tuple[str, ...]:
    return ("postconf", *argv)


def test_postconf_passes_for_any_list_spelling(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {_postconf("-h", "inet_interfaces"): (0, "localhost,192.168.56.101\n",
                                                                    "")})
    result = run("postconf", ctx, param="inet_interfaces", expect="localhost, 192.168.56.101")
    assert result.status is Status.PASS
    assert result.evidence == ("inet_interfaces = localhost,192.168.56.101",)
    swapped = run("postconf", ctx, param="inet_interfaces", expect="192.168.56.101 localhost")
    assert swapped.status is Status.PASS  # order does not count outside *_restrictions


@pytest.mark.parametrize(("param", "actual", "explicit", "expect", "default"), [
    ("mynetworks", "192.168.56.101", "mynetworks = 192.168.56.101\n", "192.168.56.102", False),
    ("smtpd_sasl_auth_enable", "no", "", "yes", True),   # never set: the default is in force
])
def test_postconf_value_differs(tmp_path: Path, param: str, actual: str, explicit: str,
                                expect: str, default: bool) -> None:
    ctx = make_ctx(tmp_path, {
        _postconf("-h", param): (0, actual + "\n", ""),
        _postconf("-n", param): (0, explicit, ""),
    })
    result = run("postconf", ctx, param=param, expect=expect)
    assert result.status is Status.FAIL
    assert code(result) == "postconf.value-differs"
    assert f"{param} = {actual}" in result.evidence
    assert expect in render(result.diagnosis.message, "ja")  # type: ignore[union-attr]
    assert ("既定値" in ja(result)) is default


def test_postconf_sees_the_misspelt_name_behind_a_default(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "mynetworks"): (0, "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n",
                                        UNUSED),
        _postconf("-d"): (0, POSTCONF_D, ""),
    })
    result = run("postconf", ctx, param="mynetworks", expect="192.168.56.101")
    assert result.status is Status.FAIL
    assert code(result) == "postfix.unknown-parameter"
    assert "my_networks" in ja(result) and "mynetworks" in ja(result)
    assert result.diagnosis is not None
    assert result.diagnosis.suggestion == "my_networks → mynetworks"


def test_postconf_an_unrelated_misspelt_name_is_not_blamed(tmp_path: Path) -> None:
    # smtpd_recipient_restritions is a typo of smtpd_recipient_restrictions, not of the relay one.
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "smtpd_relay_restrictions"): (0, "permit_mynetworks, reject\n", UNUSED),
        _postconf("-h", "smtpd_restriction_classes"): (0, "\n", ""),
        _postconf("-n", "smtpd_relay_restrictions"): (0, "smtpd_relay_restrictions = x\n", ""),
        _postconf("-d"): (0, POSTCONF_D, ""),
    })
    result = run("postconf", ctx, param="smtpd_relay_restrictions",
                 expect="permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination")
    assert code(result) == "postconf.value-differs"


def test_postconf_compares_a_conditional_default_expanded(tmp_path: Path) -> None:
    default = ("${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, "
               "permit_sasl_authenticated, defer_unauth_destination}}\n")
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "smtpd_relay_restrictions"): (0, default, ""),
        _postconf("-x", "-h", "smtpd_relay_restrictions"): (
            0, "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination\n", ""),
    })
    result = run("postconf", ctx, param="smtpd_relay_restrictions",
                 expect="permit_mynetworks permit_sasl_authenticated defer_unauth_destination")
    assert result.status is Status.PASS


def test_postconf_unknown_restriction_even_without_expect(tmp_path: Path) -> None:
    value = "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destinaition\n"
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "smtpd_recipient_restrictions"): (0, value, ""),
        _postconf("-h", "smtpd_restriction_classes"): (0, "\n", ""),
    })
    result = run("postconf", ctx, param="smtpd_recipient_restrictions")
    assert result.status is Status.FAIL
    assert code(result) == "postfix.unknown-restriction"
    assert "reject_unauth_destinaition" in ja(result)
    assert "reject_unauth_destination" in ja(result)
    assert result.diagnosis is not None
    assert result.diagnosis.suggestion == "reject_unauth_destinaition → reject_unauth_destination"
    assert "451 4.3.5" in render(result.diagnosis.message, "ja")


@pytest.mark.parametrize(("typo", "real"), [
    ("permit_my_networks", "permit_mynetworks"),
    ("reject_anouth_destination", "reject_unauth_destination"),
])
def test_postconf_student_restriction_typos(tmp_path: Path, typo: str, real: str) -> None:
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "smtpd_relay_restrictions"): (0, f"permit_sasl_authenticated {typo}\n", ""),
        _postconf("-h", "smtpd_restriction_classes"): (0, "\n", ""),
    })
    result = run("postconf", ctx, param="smtpd_relay_restrictions",
                 expect=f"permit_sasl_authenticated {real}")
    assert code(result) == "postfix.unknown-restriction"
    assert real in ja(result)


def test_postconf_restriction_classes_are_not_typos(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "smtpd_recipient_restrictions"): (0, "permit_mynetworks, trusted_only\n",
                                                          ""),
        _postconf("-h", "smtpd_restriction_classes"): (0, "trusted_only\n", ""),
    })
    assert run("postconf", ctx, param="smtpd_recipient_restrictions").status is Status.PASS


def test_postconf_restriction_order_counts(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "smtpd_recipient_restrictions"): (
            0, "reject_unauth_destination, permit_mynetworks, permit_sasl_authenticated\n", ""),
        _postconf("-n", "smtpd_recipient_restrictions"): (0, "smtpd_recipient_restrictions = x\n",
                                                          ""),
    })
    result = run("postconf", ctx, param="smtpd_recipient_restrictions",
                 expect="permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination")
    assert result.status is Status.FAIL and code(result) == "postconf.value-differs"


def test_postconf_unknown_parameter_asked_with_a_suggestion(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "my_networks"): (
            0, "", "postconf: warning: my_networks: unknown parameter\n"),
        _postconf("-d"): (0, POSTCONF_D, ""),
    })
    result = run("postconf", ctx, param="my_networks", expect="192.168.56.101")
    assert result.status is Status.FAIL
    assert code(result) == "postconf.unknown-parameter"
    assert "mynetworks" in ja(result)
    assert result.diagnosis is not None and result.diagnosis.suggestion == "mynetworks"


def test_postconf_expand(tmp_path: Path) -> None:
    table = {
        _postconf("-h", "mydestination"): (0, "$myhostname, localhost.$mydomain, localhost\n", ""),
        _postconf("-n", "mydestination"): (0, "mydestination = $myhostname, ...\n", ""),
        _postconf("-x", "-h", "mydestination"): (
            0, "mail.example1.jp, localhost.example1.jp, localhost\n", ""),
    }
    literal = run("postconf", make_ctx(tmp_path, table), param="mydestination",
                  expect="mail.example1.jp, localhost.example1.jp, localhost")
    assert literal.status is Status.FAIL and code(literal) == "postconf.value-differs"
    expanded = run("postconf", make_ctx(tmp_path, table), param="mydestination",
                   expect="mail.example1.jp, localhost.example1.jp, localhost", expand=True)
    assert expanded.status is Status.PASS
    assert "→ mail.example1.jp" in expanded.evidence[0]


def test_postconf_expand_the_expectation_too(tmp_path: Path) -> None:
    table = {
        _postconf("-h", "mydestination"): (0, "example1.jp\n", ""),
        _postconf("-n", "mydestination"): (0, "mydestination = example1.jp\n", ""),
        _postconf("-x", "-h", "mydestination"): (0, "example1.jp\n", ""),
        _postconf("-x", "-h", "mydomain"): (0, "example1.jp\n", ""),
    }
    assert run("postconf", make_ctx(tmp_path, table), param="mydestination",
               expect="$mydomain").status is Status.FAIL
    assert run("postconf", make_ctx(tmp_path, table), param="mydestination",
               expect="$mydomain", expand=True).status is Status.PASS


def test_postconf_contains_and_absent(tmp_path: Path) -> None:
    table = {_postconf("-h", "mynetworks"): (0, "127.0.0.0/8, 192.168.56.101\n", "")}
    ok = run("postconf", make_ctx(tmp_path, table), param="mynetworks",
             contains=["192.168.56.101"], absent=["192.168.56.0/24"])
    assert ok.status is Status.PASS
    missing = run("postconf", make_ctx(tmp_path, table), param="mynetworks",
                  contains=["192.168.56.102"])
    assert missing.status is Status.FAIL and code(missing) == "postconf.item-missing"
    assert "192.168.56.102" in ja(missing)
    present = run("postconf", make_ctx(tmp_path, table), param="mynetworks", absent="127.0.0.0/8")
    assert present.status is Status.FAIL and code(present) == "postconf.item-present"


def test_postconf_check_unused_names_every_unknown_name(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        _postconf("-h", "myhostname"): (0, "mail.example1.jp\n", UNUSED),
        _postconf("-n"): (0, "myhostname = mail.example1.jp\n", UNUSED),
        _postconf("-d"): (0, POSTCONF_D, ""),
    })
    plain = run("postconf", ctx, param="myhostname", expect="mail.example1.jp")
    assert plain.status is Status.PASS
    result = run("postconf", ctx, param="myhostname", expect="mail.example1.jp", check_unused=True)
    assert result.status is Status.FAIL
    assert code(result) == "postfix.unknown-parameter"
    assert any("my_networks=192.168.56.101" in line and "(mynetworks?)" in line
               for line in result.evidence)
    assert any("smtpd_recipient_restritions" in line for line in result.evidence)


def test_postconf_config_dir(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("postconf", "-c", "/etc/postfix-out", "-h", "myhostname"):
                              (0, "mail.example1.jp\n", "")})
    result = run("postconf", ctx, param="myhostname", expect="mail.example1.jp",
                 config_dir="/etc/postfix-out")
    assert result.status is Status.PASS


def test_postconf_missing_or_fatal_is_an_error(tmp_path: Path) -> None:
    missing = run("postconf", make_ctx(tmp_path, missing=["postconf"]), param="myhostname")
    assert missing.status is Status.ERROR
    assert "postfix" in ja(missing)
    fatal = run("postconf", make_ctx(tmp_path, {_postconf("-h", "myhostname"): (
        1, "", "postconf: fatal: open /etc/postfix/main.cf: No such file or directory\n")}),
        param="myhostname")
    assert fatal.status is Status.ERROR
    assert "No such file" in fatal.evidence[0]


# --------------------------------------------------------------------------- doveconf


DOVECONF_D = """\
# 2.3.19.1 (9b53102964): /etc/dovecot/dovecot.conf
# OS: Linux 6.1.0-28-amd64 x86_64 Debian 12.8
auth_mechanisms = plain
disable_plaintext_auth = yes
mail_location =
protocols = imap pop3 lmtp
ssl = yes
service imap-login {
  inet_listener imap {
    port = 143
  }
}
"""


def test_doveconf_passes(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("doveconf", "-h", "mail_location"):
                              (0, "mbox:~/mail:INBOX=/var/mail/%u\n", "")})
    result = run("doveconf", ctx, param="mail_location", expect="mbox:~/mail:INBOX=/var/mail/%u")
    assert result.status is Status.PASS
    assert result.evidence == ("mail_location = mbox:~/mail:INBOX=/var/mail/%u",)


def test_doveconf_value_differs(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("doveconf", "-h", "disable_plaintext_auth"): (0, "yes\n", "")})
    result = run("doveconf", ctx, param="disable_plaintext_auth", expect="no")
    assert result.status is Status.FAIL
    assert code(result) == "doveconf.value-differs"
    assert "disable_plaintext_auth = yes" in result.evidence


def test_doveconf_lists_compare_in_any_order(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("doveconf", "-h", "protocols"): (0, "imap pop3 lmtp\n", "")})
    assert run("doveconf", ctx, param="protocols", expect="lmtp imap pop3").status is Status.PASS


def test_doveconf_contains_and_absent(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("doveconf", "-h", "protocols"): (0, "imap lmtp\n", "")})
    assert run("doveconf", ctx, param="protocols", contains=["imap"],
               absent=["pop3"]).status is Status.PASS
    missing = run("doveconf", ctx, param="protocols", contains=["imap", "pop3"])
    assert missing.status is Status.FAIL and code(missing) == "doveconf.item-missing"
    assert "pop3" in ja(missing)
    present = run("doveconf", ctx, param="protocols", absent="lmtp")
    assert present.status is Status.FAIL and code(present) == "doveconf.item-present"


def test_doveconf_unknown_setting_in_the_configuration(tmp_path: Path) -> None:
    fatal = ("doveconf: Fatal: Error in configuration file /etc/dovecot/conf.d/10-mail.conf "
             "line 30: Unknown setting: mail_locaton\n")
    ctx = make_ctx(tmp_path, {
        ("doveconf", "-h", "mail_location"): (89, "", fatal),
        ("doveconf", "-d"): (89, "", fatal),
    })
    result = run("doveconf", ctx, param="mail_location", expect="mbox:~/mail:INBOX=/var/mail/%u")
    assert result.status is Status.FAIL
    assert code(result) == "dovecot.unknown-setting"
    assert "mail_locaton" in ja(result) and "mail_location" in ja(result)
    assert "10-mail.conf line 30" in result.evidence[0]


def test_doveconf_unknown_setting_asked_prints_nothing_on_2_3_19(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        ("doveconf", "-h", "disable_plaintext_auht"): (0, "", ""),
        ("doveconf", "-d"): (0, DOVECONF_D, ""),
    })
    result = run("doveconf", ctx, param="disable_plaintext_auht", expect="no")
    assert result.status is Status.FAIL
    assert code(result) == "doveconf.unknown-setting"
    assert result.diagnosis is not None and result.diagnosis.suggestion == "disable_plaintext_auth"


def test_doveconf_unknown_setting_asked_on_an_older_dovecot(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        ("doveconf", "-h", "protocol"): (89, "", "doveconf: Fatal: Unknown setting: protocol\n"),
        ("doveconf", "-d"): (0, DOVECONF_D, ""),
    })
    result = run("doveconf", ctx, param="protocol")
    assert result.status is Status.FAIL and code(result) == "doveconf.unknown-setting"
    assert "protocols" in ja(result)


def test_doveconf_empty_value_of_a_known_setting(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        ("doveconf", "-h", "mail_location"): (0, "\n", ""),
        ("doveconf", "-d"): (0, DOVECONF_D, ""),
    })
    result = run("doveconf", ctx, param="mail_location", expect="mbox:~/mail:INBOX=/var/mail/%u")
    assert result.status is Status.FAIL and code(result) == "doveconf.value-differs"


def test_doveconf_broken_configuration(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {("doveconf", "-c", "/etc/dovecot/x.conf", "-h", "ssl"): (
        89, "", "doveconf: Fatal: open(/etc/dovecot/x.conf) failed: No such file or directory\n")})
    result = run("doveconf", ctx, param="ssl", config_file="/etc/dovecot/x.conf")
    assert result.status is Status.FAIL and code(result) == "dovecot.config-error"


def test_doveconf_permission_denied_or_missing_is_an_error(tmp_path: Path) -> None:
    denied = ("doveconf: Fatal: Error in configuration file /etc/dovecot/conf.d/10-ssl.conf "
              "line 12: ssl_cert: Can't open file /etc/dovecot/private/dovecot.pem: "
              "Permission denied\n")
    ctx = make_ctx(tmp_path, {("doveconf", "-h", "ssl"): (89, "", denied)})
    result = run("doveconf", ctx, param="ssl")
    assert result.status is Status.ERROR and "sudo" in ja(result)
    assert run("doveconf", make_ctx(tmp_path, missing=["doveconf"]),
               param="ssl").status is Status.ERROR


# --------------------------------------------------------------------------- logs


def _trad(ts: float) -> str:
    return time.strftime("%b %e %H:%M:%S", time.localtime(ts))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="microseconds")


def _mail_log(tmp_path: Path, now: float, name: str = "var/log/mail.log",
              iso: bool = False) -> None:
    stamp = _iso if iso else _trad
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"{stamp(now - 3600)} mail postfix/smtpd[801]: NOQUEUE: reject: RCPT from "
        "mail.example2.jp[192.168.56.102]: 451 4.3.5 Server configuration error\n"
        f"{stamp(now - 3600)} mail postfix/smtpd[801]: warning: unknown smtpd restriction: "
        '"reject_unauth_destinaition"\n'
        f"{stamp(now - 20)} mail postfix/pickup[900]: 4F2A1: uid=1001 from=<user1>\n"
        f"{stamp(now - 19)} mail postfix/local[903]: 4F2A1: to=<user1@mail.example1.jp>, "
        "relay=local, delay=0.1, status=sent (delivered to mailbox)\n"
    )


def test_log_contains_passes_after_the_step_started(tmp_path: Path) -> None:
    now = time.time()
    _mail_log(tmp_path, now)
    result = run("log_contains", make_ctx(tmp_path, since=now - 60),
                 pattern=r"status=sent \(delivered to mailbox\)")
    assert result.status is Status.PASS
    assert result.evidence[0] == "/var/log/mail.log:"
    assert "status=sent" in result.evidence[-1]


def test_log_contains_ignores_lines_before_the_step(tmp_path: Path) -> None:
    now = time.time()
    _mail_log(tmp_path, now)
    result = run("log_contains", make_ctx(tmp_path, since=now - 60), pattern="451 4.3.5")
    assert result.status is Status.FAIL
    assert code(result) == "log.no-match"
    assert "2 lines" in result.evidence[0]
    assert any("status=sent" in line for line in result.evidence)
    assert run("log_contains", make_ctx(tmp_path, since=now - 60), pattern="451 4.3.5",
               since="all").status is Status.PASS
    assert run("log_contains", make_ctx(tmp_path, since=now - 60), pattern="451 4.3.5",
               since="2h").status is Status.PASS


def test_log_contains_absent(tmp_path: Path) -> None:
    now = time.time()
    _mail_log(tmp_path, now)
    ctx = make_ctx(tmp_path, since=now - 60)
    assert run("log_contains", ctx, pattern="unknown smtpd restriction",
               absent=True).status is Status.PASS
    result = run("log_contains", ctx, pattern="unknown smtpd restriction", absent=True,
                 since="all")
    assert result.status is Status.FAIL
    assert code(result) == "log.unexpected-match"
    assert any("reject_unauth_destinaition" in line for line in result.evidence)


def test_log_contains_reads_rfc3339_on_almalinux(tmp_path: Path) -> None:
    now = time.time()
    _mail_log(tmp_path, now, "var/log/maillog", iso=True)
    ctx = make_ctx(tmp_path, platform="almalinux9", since=now - 60)
    assert run("log_contains", ctx, pattern="status=sent").status is Status.PASS
    assert run("log_contains", ctx, pattern="451 4.3.5").status is Status.FAIL


def test_log_contains_nothing_logged_since_the_step(tmp_path: Path) -> None:
    now = time.time()
    _mail_log(tmp_path, now)
    result = run("log_contains", make_ctx(tmp_path, since=now + 5), pattern="status=sent")
    assert result.status is Status.FAIL
    assert code(result) == "log.empty"


def test_log_contains_named_file_missing(tmp_path: Path) -> None:
    result = run("log_contains", make_ctx(tmp_path), pattern="x", path="/var/log/postfix.log")
    assert result.status is Status.FAIL
    assert code(result) == "log.no-file"


def test_log_contains_permission_denied_says_how_to_fix(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    _mail_log(tmp_path, now)

    def denied(self: Path, *_: Any, **__: Any) -> Any:
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(Path, "open", denied)
    result = run("log_contains", make_ctx(tmp_path, since=now - 60), pattern="x")
    assert result.status is Status.ERROR
    assert "adm" in ja(result) and "sudo" in ja(result)


def test_log_contains_falls_back_to_the_journal(tmp_path: Path) -> None:
    since = time.time() - 60
    journal = (
        "Nov 28 18:14:06 mail postfix/smtp[1234]: 4F2A1: to=<user2@example2.jp>, "
        "relay=mail.example2.jp[192.168.56.102]:25, delay=0.2, status=sent (250 2.0.0 Ok)\n")
    ctx = make_ctx(tmp_path, {
        ("journalctl", "--no-pager", "-o", "short", "--since", f"@{int(since)}",
         "SYSLOG_FACILITY=2"): (0, journal, ""),
    }, since=since)
    result = run("log_contains", ctx, pattern=r"relay=mail\.example2\.jp.*status=sent")
    assert result.status is Status.PASS
    assert result.evidence[0].startswith("journalctl")


def test_log_contains_journal_for_units(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        ("journalctl", "--no-pager", "-o", "short", "-u", "dovecot.service"): (
            0, "-- No entries --\n", ""),
    })
    result = run("log_contains", ctx, pattern="imap-login: Login", units=["dovecot.service"],
                 since="all")
    assert result.status is Status.FAIL and code(result) == "log.empty"


def test_log_contains_journal_denied_or_missing_is_an_error(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {
        ("journalctl", "--no-pager", "-o", "short", "SYSLOG_FACILITY=2"): (
            0, "-- No entries --\n",
            "Hint: You are currently not seeing messages from other users and the system.\n"),
    })
    denied = run("log_contains", ctx, pattern="x", since="all")
    assert denied.status is Status.ERROR and "adm" in ja(denied)
    missing = run("log_contains", make_ctx(tmp_path, missing=["journalctl"]), pattern="x",
                  since="all")
    assert missing.status is Status.ERROR


def test_log_contains_bad_since_or_pattern_is_an_error(tmp_path: Path) -> None:
    assert run("log_contains", make_ctx(tmp_path), pattern="x",
               since="yesterday").status is Status.ERROR
    assert run("log_contains", make_ctx(tmp_path), pattern="(").status is Status.ERROR


def _fake_proc(root, names):
    """A /proc with one process per name under `root`."""
    for pid, name in enumerate(names, start=100):
        d = root / "proc" / str(pid)
        d.mkdir(parents=True)
        (d / "comm").write_text(name + "\n")
        (d / "cmdline").write_bytes(f"/usr/sbin/{name}\0-a\0".encode())


def test_service_active_with_process_fails_for_an_exited_lsb_unit(tmp_path) -> None:
    from maillab_tui.checking.api import Context, Status, load_library, run_check

    _fake_proc(tmp_path, ["systemd", "rsyslogd"])

    def fake(argv, timeout=10.0, input=None, env=None):
        return Proc(tuple(argv), 0, "active\n")

    ctx = Context("host1", "debian12", runner=fake, files_root=str(tmp_path))
    result = run_check(load_library().get("service_active"), ctx,
                       {"unit": "saslauthd", "process": "saslauthd"})
    assert result.status == Status.FAIL
    assert result.diagnosis is not None and result.diagnosis.code == "service.no-process"
    _fake_proc(tmp_path / "x", ["saslauthd"])
    ctx.files_root = str(tmp_path / "x")
    assert run_check(load_library().get("service_active"), ctx,
                     {"unit": "saslauthd", "process": "saslauthd"}).status == Status.PASS
