"""A sandbox host is as stock as a student's Debian 12: no rsyslog, the learner outside `adm`
and `systemd-journal`, the journal read through sudo; a real reboot proves Postfix's start."""

from __future__ import annotations

import json
import subprocess

import pytest

from maillab_tui.sandbox import Lab
from maillab_tui.sandbox.image import ADMIN_PASSWORD, ADMIN_USER
from tests.integration.conftest import quiet_install

pytestmark = pytest.mark.sandbox


def sh(lab: Lab, host: str, script: str, user: str | None = None, timeout: float = 120,
       ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = lab.exec(host, ["sh", "-c", script], user=user, timeout=timeout)
    if ok:
        assert proc.returncode == 0, f"{script!r}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_a_fresh_host_is_a_stock_debian(lab: Lab) -> None:
    for package in ("rsyslog", "debconf-utils", "postfix", "mutt"):
        assert sh(lab, "host2", f"dpkg -s {package}", ok=False).returncode != 0, package
    assert sh(lab, "host2", "test -e /var/log/mail.log", ok=False).returncode != 0
    groups = sh(lab, "host2", f"id -nG {ADMIN_USER}").stdout.split()
    assert "sudo" in groups
    assert "adm" not in groups and "systemd-journal" not in groups


@pytest.fixture(scope="module")
def postfix_host1(lab: Lab):
    """host1 with Postfix installed after boot (as a learner does); reset afterwards."""
    lab.reset("host1")
    sh(lab, "host1", "{ " + quiet_install("mail.example1.jp", "postfix") + "; } >/tmp/apt.log 2>&1"
       " || { tail -20 /tmp/apt.log; exit 1; }", timeout=600)
    yield lab
    lab.reset("host1")


def test_the_learner_reads_the_mail_log_only_through_sudo(postfix_host1: Lab) -> None:
    lab = postfix_host1
    plain = sh(lab, "host1", "journalctl --no-pager -u postfix@- -n 5 2>&1", user=ADMIN_USER,
               ok=False)
    assert "postfix" not in plain.stdout.replace("postfix@-", "")  # nothing of Postfix's lines
    # the log pane's follower, as the learner, with the password on sudo's stdin
    script = (
        "import time\n"
        "from maillab_tui.mail.logfollow import follow_as_root\n"
        "lines, states = [], []\n"
        f"f = follow_as_root('debian12', lines.extend, states.append, {ADMIN_PASSWORD!r})\n"
        "f.start()\n"
        "for _ in range(100):\n"
        "    if any('postfix' in x for x in lines): break\n"
        "    time.sleep(0.1)\n"
        "f.stop()\n"
        "print(f.source)\n"
        "print([s.state for s in states])\n"
        "print('\\n'.join(lines[-5:]))\n"
    )
    proc = lab.exec("host1", ["env", "SHIV_INTERPRETER=1", "maillab-tui", "-c", script],
                    user=ADMIN_USER, timeout=60)   # Python inside the one file
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "sudo journalctl"
    assert "'denied'" not in proc.stdout
    assert "postfix" in proc.stdout.split("\n", 2)[2]
    assert ADMIN_PASSWORD not in proc.stdout + proc.stderr
    wrong = script.replace(repr(ADMIN_PASSWORD), repr("not-the-password"))
    proc = lab.exec("host1", ["env", "SHIV_INTERPRETER=1", "maillab-tui", "-c", wrong],
                    user=ADMIN_USER, timeout=60)
    assert "'denied'" in proc.stdout, proc.stdout + proc.stderr


def boot_order(lab: Lab) -> dict[str, dict[str, object]]:
    proc = lab.exec("host1", ["maillab-tui", "--check-only", "--host", "host1", "--platform",
                              "debian12", "--format", "json", "--lang", "en", "--step",
                              "postfix-boot-order"], timeout=120)
    return {c["check"] + ":" + c["check_id"]: c for c in json.loads(proc.stdout)["checks"]}


def test_postfix_proven_by_a_real_reboot(postfix_host1: Lab) -> None:
    lab = postfix_host1
    before = boot_order(lab)
    started = next(c for k, c in before.items() if k.startswith("service_started_at_boot"))
    assert started["status"] == "fail" and started["diagnosis"] == "boot.started-by-hand", started
    sh(lab, "host1", "echo kept > /root/marker")
    lab.reboot("host1")
    assert sh(lab, "host1", "cat /root/marker").stdout.strip() == "kept"
    after = boot_order(lab)
    assert all(c["status"] == "pass" for c in after.values()), after
    # and stopped at boot (what the textbook's race does) it is not running
    sh(lab, "host1", "systemctl disable postfix@-.service postfix.service 2>&1")
    lab.reboot("host1")
    failed = next(c for k, c in boot_order(lab).items()
                  if k.startswith("service_started_at_boot"))
    assert failed["status"] == "fail" and failed["diagnosis"] == "boot.not-started", failed
