"""The probe helpers: Postfix lists, near misses, syslog time, ss lines, reading a log tail."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from maillab_tui.checking import probes
from maillab_tui.checking.probes import (
    Argv,
    Listener,
    log_lines_since,
    mask,
    near_miss,
    parse_duration,
    parse_ss,
    parse_ss_line,
    parse_syslog_time,
    same_list,
    split_list,
)
from maillab_tui.mail import settings
from maillab_tui.mail.settings import (
    parameter_names,
    setting_names,
    unknown_parameter,
    unknown_restrictions,
    unknown_setting,
    unused_parameters,
)
from maillab_tui.platform import daemon_units

# --------------------------------------------------------------------------- lists


@pytest.mark.parametrize("value", [
    "localhost, 192.168.56.101",
    "localhost,192.168.56.101",
    "localhost 192.168.56.101",
    "  localhost ,\n\t192.168.56.101  ",
])
def test_split_list_reads_every_postfix_spelling_the_same(value: str) -> None:
    assert split_list(value) == ["localhost", "192.168.56.101"]


def test_split_list_of_an_empty_value_is_empty() -> None:
    assert split_list("") == []
    assert split_list(" ,, ") == []


def test_same_list_order_counts_only_when_ordered() -> None:
    assert same_list("a, b", "a b")
    assert not same_list("b, a", "a, b")
    assert same_list("b, a", "a, b", ordered=False)
    assert not same_list("a, b", "a, b, c", ordered=False)


# --------------------------------------------------------------------------- near misses


@pytest.mark.parametrize(("typo", "real"), [
    ("reject_unauth_destinaition", "reject_unauth_destination"),  # the textbook's own typo
    ("permit_my_networks", "permit_mynetworks"),
    ("reject_anouth_destination", "reject_unauth_destination"),
])
def test_near_miss_restrictions(typo: str, real: str) -> None:
    assert near_miss(typo, settings.POSTFIX_RESTRICTIONS) == real


@pytest.mark.parametrize(("typo", "real"), [
    ("my_networks", "mynetworks"),
    ("smtpd_recipient_restritions", "smtpd_recipient_restrictions"),
    ("smptd_relay_restrictions", "smtpd_relay_restrictions"),
])
def test_near_miss_parameters(typo: str, real: str) -> None:
    assert near_miss(typo, settings.POSTFIX_COMMON_PARAMETERS) == real


def test_near_miss_none_for_a_real_name_or_something_unrelated() -> None:
    assert near_miss("mynetworks", settings.POSTFIX_COMMON_PARAMETERS) is None
    assert near_miss("banana", settings.POSTFIX_COMMON_PARAMETERS) is None
    assert near_miss("x", []) is None


def test_near_miss_catches_a_case_difference() -> None:
    assert near_miss("MYNETWORKS", ["mynetworks"]) == "mynetworks"


def test_unknown_restrictions_skips_tables_arguments_and_classes() -> None:
    value = ("permit_mynetworks, permit_sasl_authenticated, reject_unauth_destinaition, "
             "check_client_access hash:/etc/postfix/access, reject_rbl_client zen.spamhaus.org, "
             "check_policy_service unix:private/policy, my_class, $extra_restrictions")
    assert unknown_restrictions(value, ["my_class"]) == ["reject_unauth_destinaition"]
    assert unknown_restrictions(value) == ["reject_unauth_destinaition", "my_class"]
    assert unknown_restrictions("permit_mynetworks reject_unauth_destination") == []


# --------------------------------------------------------------------------- postconf / doveconf


POSTCONF_STDERR = (
    "postconf: warning: /etc/postfix/main.cf: unused parameter: my_networks=192.168.56.101\n"
    "postconf: warning: /etc/postfix/main.cf: unused parameter: "
    "smtpd_recipient_restritions=permit_mynetworks\n"
)


def test_unused_parameters_from_real_warnings() -> None:
    found = unused_parameters(POSTCONF_STDERR)
    assert [(u.file, u.name, u.value) for u in found] == [
        ("/etc/postfix/main.cf", "my_networks", "192.168.56.101"),
        ("/etc/postfix/main.cf", "smtpd_recipient_restritions", "permit_mynetworks"),
    ]
    assert found[0].line == "my_networks=192.168.56.101"


def test_unknown_parameter_warning() -> None:
    assert unknown_parameter("postconf: warning: my_networks: unknown parameter\n") == "my_networks"
    assert unknown_parameter(POSTCONF_STDERR) is None


def test_parameter_and_setting_names() -> None:
    assert parameter_names("2bounce_notice_recipient = postmaster\nmynetworks = \n") == [
        "2bounce_notice_recipient", "mynetworks"]
    doveconf_d = ("# 2.3.19.1 (9b53102964): /etc/dovecot/dovecot.conf\nssl = yes\n"
                  "service imap {\n  process_limit = 1024\n}\nmail_location = \n")
    assert setting_names(doveconf_d) == ["ssl", "mail_location"]


def test_unknown_setting_from_a_fatal_error() -> None:
    text = ("doveconf: Fatal: Error in configuration file /etc/dovecot/conf.d/10-mail.conf "
            "line 30: Unknown setting: mail_locaton")
    assert unknown_setting(text) == "mail_locaton"
    assert unknown_setting("doveconf: Fatal: Unknown setting: foo") == "foo"
    assert unknown_setting("ssl = yes") is None


# --------------------------------------------------------------------------- syslog time


def _local(*args: int) -> float:
    return datetime(*args).timestamp()  # type: ignore[arg-type]


def test_traditional_timestamp_is_read_as_local_time_this_year() -> None:
    now = _local(2026, 11, 28, 19, 0, 0)
    line = "Nov 28 18:14:06 mail postfix/smtpd[1234]: connect from unknown[192.168.56.102]"
    assert parse_syslog_time(line, now) == _local(2026, 11, 28, 18, 14, 6)


def test_traditional_timestamp_with_a_padded_day() -> None:
    now = _local(2026, 12, 1, 0, 0, 0)
    assert parse_syslog_time("Nov  8 07:01:02 mail dovecot: ok", now) == \
        _local(2026, 11, 8, 7, 1, 2)


def test_traditional_timestamp_from_last_year_at_new_year() -> None:
    now = _local(2027, 1, 1, 0, 0, 30)
    assert parse_syslog_time("Dec 31 23:59:50 mail x: y", now) == _local(2026, 12, 31, 23, 59, 50)


def test_rfc3339_timestamps() -> None:
    line = "2026-11-28T18:14:06.123456+09:00 mail postfix/smtpd[1234]: connect"
    assert parse_syslog_time(line) == pytest.approx(
        datetime.fromisoformat("2026-11-28T09:14:06.123456+00:00").timestamp())
    assert parse_syslog_time("2026-11-28T09:14:06+0000 mail x: y") == \
        datetime.fromisoformat("2026-11-28T09:14:06+00:00").timestamp()
    assert parse_syslog_time("2026-11-28T09:14:06Z mail x: y") == \
        datetime.fromisoformat("2026-11-28T09:14:06+00:00").timestamp()


def test_no_timestamp() -> None:
    assert parse_syslog_time("  continuation of a long line") is None
    assert parse_syslog_time("") is None
    assert parse_syslog_time("Foo 28 18:14:06 mail x: y") is None


@pytest.mark.parametrize(("text", "seconds"), [
    ("10m", 600), ("1h", 3600), ("30s", 30), ("2d", 172800), ("90", 90), ("5 min", 300),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_parse_duration_rejects_other_text() -> None:
    assert parse_duration("yesterday") is None
    assert parse_duration("10x") is None


# --------------------------------------------------------------------------- reading a log


def _stamp(ts: float) -> str:
    return time.strftime("%b %e %H:%M:%S", time.localtime(ts))


def test_log_lines_since_keeps_lines_at_or_after_since(tmp_path: Path) -> None:
    now = time.time()
    log = tmp_path / "mail.log"
    log.write_text(
        f"{_stamp(now - 3600)} mail postfix/smtpd[1]: old line\n"
        f"{_stamp(now - 10)} mail postfix/smtpd[2]: new line\n"
        "   a continuation of the new line\n"
        f"{_stamp(now - 5)} mail postfix/smtpd[3]: newer line\n"
    )
    lines = list(log_lines_since(log, now - 60))
    assert [line.split(": ", 1)[-1] for line in lines] == [
        "new line", "   a continuation of the new line", "newer line"]
    assert len(list(log_lines_since(log, None))) == 4


def test_log_lines_since_reads_only_the_tail_of_a_big_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    log = tmp_path / "mail.log"
    with log.open("w") as handle:
        # A misordered line in the future at the top: a reader starting at byte 0 would keep it.
        handle.write(f"{_stamp(now + 120)} mail early: SENTINEL\n")
        for i in range(60000):
            handle.write(f"{_stamp(now - 7200)} mail postfix/smtpd[{i}]: filler line {i}\n")
        handle.write(f"{_stamp(now - 1)} mail postfix/local[9]: status=sent\n")
    assert log.stat().st_size > 1_000_000
    lines = list(log_lines_since(log, now - 60))
    assert len(lines) == 1 and "status=sent" in lines[0]
    # Proof that the head was skipped: reading from byte 0 would have kept the sentinel.
    monkeypatch.setattr(probes, "_CHUNK", 10**9)
    assert "SENTINEL" in next(iter(log_lines_since(log, now - 60)))


def test_log_lines_since_a_file_of_rfc3339_lines(tmp_path: Path) -> None:
    now = time.time()
    log = tmp_path / "mail.log"
    iso = lambda ts: datetime.fromtimestamp(ts).astimezone().isoformat(timespec="microseconds")  # noqa: E731
    log.write_text(f"{iso(now - 600)} mail a: before\n{iso(now - 2)} mail a: after\n")
    assert [x.rsplit(" ", 1)[-1] for x in log_lines_since(log, now - 60)] == ["after"]


# --------------------------------------------------------------------------- ss


SS = """\
LISTEN 0      100          0.0.0.0:25        0.0.0.0:*    users:(("master",pid=812,fd=13))
LISTEN 0      100             [::]:25           [::]:*    users:(("master",pid=812,fd=14))
LISTEN 0      100        127.0.0.1:587       0.0.0.0:*
LISTEN 0      100            [::1]:587          [::]:*
LISTEN 0      100   192.168.56.101:110       0.0.0.0:*
LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*    users:(("systemd-resolve",pid=400,fd=14))
LISTEN 0      100                *:143             *:*    users:(("dovecot",pid=700,fd=37),\
("dovecot",pid=700,fd=38))
"""


def test_parse_ss_lines() -> None:
    found = parse_ss(SS)
    assert [(x.address, x.port) for x in found] == [
        ("0.0.0.0", 25), ("::", 25), ("127.0.0.1", 587), ("::1", 587), ("192.168.56.101", 110),
        ("127.0.0.53", 53), ("*", 143)]
    assert found[0].processes == ("master",)
    assert found[-1].processes == ("dovecot",)
    assert found[2].processes == ()
    assert parse_ss_line("garbage") is None


def test_listener_accepts() -> None:
    assert Listener("0.0.0.0", 25).accepts("192.168.56.101")
    assert not Listener("0.0.0.0", 25).accepts("::1")
    assert Listener("*", 25).accepts("::1")
    assert Listener("::", 25).accepts("127.0.0.1")
    assert Listener("192.168.56.101", 25).accepts("192.168.56.101")
    assert not Listener("127.0.0.1", 25).accepts("192.168.56.101")
    assert Listener("127.0.0.1", 25).loopback and Listener("::1", 25).loopback
    assert not Listener("0.0.0.0", 25).loopback


# --------------------------------------------------------------------------- misc


def test_argv_from_text_or_list() -> None:
    assert Argv("postqueue -p") == ("postqueue", "-p")
    assert Argv("grep -q 'a b' /etc/x") == ("grep", "-q", "a b", "/etc/x")
    assert Argv(["testsaslauthd", "-u", "user1"]) == ("testsaslauthd", "-u", "user1")
    with pytest.raises(ValueError):
        Argv("")
    with pytest.raises(ValueError):
        Argv([{"a": 1}])  # type: ignore[list-item]


def test_mask_hides_secrets() -> None:
    assert mask("testsaslauthd -u user1 -p userpass", ["userpass"]) == \
        "testsaslauthd -u user1 -p ********"
    assert mask("nothing", [""]) == "nothing"


def test_daemon_units_knows_debians_postfix_wrapper() -> None:
    assert daemon_units("debian12", "postfix") == ("postfix@-.service",)
    assert daemon_units("debian12", "postfix.service") == ("postfix@-.service",)
    assert daemon_units("almalinux9", "postfix") == ()
    assert daemon_units("debian12", "dovecot") == ()


def test_probes_find_the_servers_tools_outside_a_users_path() -> None:
    from maillab_tui.system import probe_path

    # a stock Debian 12 gives a user other than root no sbin in PATH: postconf lives there
    assert probe_path("/usr/local/bin:/usr/bin:/bin:/usr/games").split(":") == [
        "/usr/local/bin", "/usr/bin", "/bin", "/usr/games", "/usr/local/sbin", "/usr/sbin",
        "/sbin"]
    assert probe_path("/usr/sbin:/usr/bin") == "/usr/sbin:/usr/bin:/usr/local/sbin:/sbin"
    assert "/usr/sbin" in probe_path(None)
