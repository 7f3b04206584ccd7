"""postfix_config_loaded: a fake /proc and real files, passing and failing for the right reason."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from maillab_tui.checking.api import Context, Status, load_library, run_check

CLK = os.sysconf("SC_CLK_TCK")


def lay_out(
    root: Path, started: float, *, main_cf_mtime: float, log: list[str] = (), running: bool = True
) -> Context:
    """A fake system under `root`: a master process started at `started`, main.cf, a mail log."""
    boot = int(started) - 1000
    proc = root / "proc"
    proc.mkdir(parents=True)
    (proc / "stat").write_text(f"cpu  1 2 3\nbtime {boot}\nprocesses 9\n")
    (proc / "1").mkdir()
    (proc / "1" / "cmdline").write_bytes(b"/sbin/init\0")
    if running:
        master = proc / "4242"
        master.mkdir()
        master.joinpath("cmdline").write_bytes(b"/usr/lib/postfix/sbin/master\0-w\0")
        ticks = int((started - boot) * CLK)
        fields = ["S", *["0"] * 18, str(ticks), "0"]
        master.joinpath("stat").write_text(f"4242 (master) {' '.join(fields)}\n")
    conf = root / "etc" / "postfix"
    conf.mkdir(parents=True)
    for name in ("main.cf", "master.cf"):
        (conf / name).write_text("# test\n")
        os.utime(conf / name, (started - 500, started - 500))
    os.utime(conf / "main.cf", (main_cf_mtime, main_cf_mtime))
    logdir = root / "var" / "log"
    logdir.mkdir(parents=True)
    (logdir / "mail.log").write_text("".join(line + "\n" for line in log))
    return Context("host1", "debian12", files_root=str(root), root=True)


RELOAD = "mail postfix/master[4242]: reload -- version 3.7.11, configuration /etc/postfix"
IGNORED = "mail postfix/master[4242]: warning: service smtp: ignoring inet_interfaces change"


def stamp(epoch: float) -> str:
    """A local-time RFC 3339 stamp as Debian's rsyslog writes it (without the zone)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch))


@pytest.fixture
def check():
    definition = load_library().get("postfix_config_loaded")
    assert definition is not None
    return definition


def test_passes_when_main_cf_is_older_than_the_start(tmp_path, check) -> None:
    now = time.time()
    ctx = lay_out(tmp_path, now - 60, main_cf_mtime=now - 120)
    result = run_check(check, ctx, {})
    assert result.status == Status.PASS
    assert "master pid 4242" in result.evidence[0]


def test_fails_when_main_cf_changed_after_the_start(tmp_path, check) -> None:
    now = time.time()
    ctx = lay_out(tmp_path, now - 120, main_cf_mtime=now - 10)
    result = run_check(check, ctx, {})
    assert result.status == Status.FAIL
    assert result.diagnosis is not None and result.diagnosis.code == "postfix.not-reloaded"
    assert "main.cf" in str(result.message)
    assert any("main.cf: modified" in e for e in result.evidence)


def test_a_reload_after_the_change_counts(tmp_path, check) -> None:
    now = time.time()
    log = [f"{stamp(now - 5)} {RELOAD}"]
    ctx = lay_out(tmp_path, now - 120, main_cf_mtime=now - 10, log=log)
    assert run_check(check, ctx, {}).status == Status.PASS


def test_inet_interfaces_change_needs_a_restart(tmp_path, check) -> None:
    now = time.time()
    log = [f"{stamp(now - 5)} {RELOAD}", f"{stamp(now - 5)} {IGNORED}"]
    ctx = lay_out(tmp_path, now - 120, main_cf_mtime=now - 10, log=log)
    result = run_check(check, ctx, {})
    assert result.status == Status.FAIL
    assert result.diagnosis is not None and result.diagnosis.code == "postfix.restart-needed"


def test_not_running(tmp_path, check) -> None:
    now = time.time()
    ctx = lay_out(tmp_path, now - 60, main_cf_mtime=now - 120, running=False)
    result = run_check(check, ctx, {})
    assert result.status == Status.FAIL
    assert result.diagnosis is not None and result.diagnosis.code == "postfix.not-running"


def lay_out_dovecot(root: Path, started: float, conf_mtime: float) -> Context:
    """A fake system with a Dovecot master started at `started` and one changed conf.d file."""
    boot = int(started) - 1000
    proc = root / "proc"
    proc.mkdir(parents=True)
    (proc / "stat").write_text(f"btime {boot}\n")
    master = proc / "777"
    master.mkdir()
    master.joinpath("cmdline").write_bytes(b"/usr/sbin/dovecot\0-F\0")
    fields = ["S", *["0"] * 18, str(int((started - boot) * CLK)), "0"]
    master.joinpath("stat").write_text(f"777 (dovecot) {' '.join(fields)}\n")
    conf = root / "etc" / "dovecot"
    (conf / "conf.d").mkdir(parents=True)
    (conf / "dovecot.conf").write_text("!include conf.d/*.conf\n")
    os.utime(conf / "dovecot.conf", (started - 500, started - 500))
    (conf / "conf.d" / "10-auth.conf").write_text("disable_plaintext_auth = no\n")
    os.utime(conf / "conf.d" / "10-auth.conf", (conf_mtime, conf_mtime))
    (root / "var" / "log").mkdir(parents=True)
    (root / "var" / "log" / "mail.log").write_text("")
    return Context("host1", "debian12", files_root=str(root), root=True)


def test_dovecot_not_restarted_after_a_change(tmp_path) -> None:
    definition = load_library().get("dovecot_config_loaded")
    now = time.time()
    stale = run_check(definition, lay_out_dovecot(tmp_path / "a", now - 120, now - 10), {})
    assert stale.status == Status.FAIL
    assert stale.diagnosis is not None and stale.diagnosis.code == "dovecot.not-reloaded"
    assert "10-auth.conf" in str(stale.message)
    fresh = run_check(definition, lay_out_dovecot(tmp_path / "b", now - 60, now - 120), {})
    assert fresh.status == Status.PASS
