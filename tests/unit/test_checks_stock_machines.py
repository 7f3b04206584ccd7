"""The checks that prove what a stock machine's learner really did (issue: the chapter on the
machines students have): the mail was read, Postfix came up by itself after a real reboot,
an equivalent mydestination is accepted. Each fails for the right reason and passes.
"""

from __future__ import annotations

import json
import mailbox
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from maillab_tui.chapter import load_chapter
from maillab_tui.checking.api import Status
from tests.unit.mail_support import code, make_ctx, run, text


def chapter_spec(step_id: str, name: str, **match: Any) -> dict[str, Any]:
    """The parameters the bundled chapter gives check `name` in step `step_id`, for host1."""
    step = load_chapter("mail-server").step(step_id)
    values = {"fqdn": "mail.example1.jp", "domain": "example1.jp", "address": "192.168.56.101",
              "user": "user1", "peer_user": "user2", "peer_domain": "example2.jp",
              "peer_fqdn": "mail.example2.jp", "password": "userpass"}
    for spec in step.checks:
        if spec.name == name and all(spec.params.get(k) == v for k, v in match.items()):
            params = {k: v for k, v in spec.params.items() if k not in ("timeout", "interval")}
            return {k: (v.replace("{{ user }}", values["user"])
                        .replace("{{ peer_user }}", values["peer_user"])
                        if isinstance(v, str) else v) for k, v in params.items()}
    raise AssertionError(f"{step_id} has no {name} {match}")


# ----------------------------------------------------------------------------- reading mail

def write_mbox(path: Path, status: str | None) -> None:
    """user1's mbox with user2's test mail; `status` is the Status header a reader wrote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(str(path), create=True)
    message = EmailMessage()
    message["From"] = "user2@mail.example2.jp"
    message["To"] = "user1@example1.jp"
    message["Subject"] = "Test mail from user2"
    if status is not None:
        message["Status"] = status
    message.set_content("This is Test Mail from user2\n")
    entry = mailbox.mboxMessage(message)
    entry.set_from("user2@mail.example2.jp", time.gmtime())
    box.add(entry)
    box.flush()
    box.close()


def test_the_read_mail_step_fails_while_the_mail_is_unread(tmp_path: Path) -> None:
    params = chapter_spec("read-mail", "mail_delivered")
    assert params["read"] is True
    write_mbox(tmp_path / "var/mail/user1", None)  # delivered by Postfix, never opened
    result = run("mail_delivered", make_ctx(tmp_path), **params)
    assert result.status is Status.FAIL
    assert code(result) == "mail.unread", text(result)
    assert "s-nail" in result.diagnosis.suggestion  # Debian's command for reading mail


def test_the_read_mail_step_passes_once_s_nail_marked_it_read(tmp_path: Path) -> None:
    write_mbox(tmp_path / "var/mail/user1", "RO")  # as s-nail (or Dovecot's \\Seen) leaves it
    result = run("mail_delivered", make_ctx(tmp_path), **chapter_spec("read-mail",
                                                                      "mail_delivered"))
    assert result.status is Status.PASS, text(result)
    assert "(read)" in result.evidence[-1]


def test_mail_delivered_without_read_does_not_care(tmp_path: Path) -> None:
    write_mbox(tmp_path / "var/mail/user1", None)
    result = run("mail_delivered", make_ctx(tmp_path), user="user1",
                 subject_pattern="Test mail from user2")
    assert result.status is Status.PASS


# ----------------------------------------------------------------------------- mydestination

def _postconf(value: str) -> dict[tuple[str, ...], tuple[int, str, str]]:
    return {
        ("postconf", "-h", "mydestination"): (0, value + "\n", ""),
        ("postconf", "-n", "mydestination"): (0, f"mydestination = {value}\n", ""),
        ("postconf", "-x", "-h", "mydestination"): (0, value.replace("$mydomain",
                                                                     "example1.jp") + "\n", ""),
        ("postconf", "-x", "-h", "mydomain"): (0, "example1.jp\n", ""),
    }


def test_mydestination_written_out_is_accepted_and_the_form_is_named(tmp_path: Path) -> None:
    params = chapter_spec("postfix-main-cf", "postconf", param="mydestination")
    result = run("postconf", make_ctx(tmp_path, _postconf("example1.jp")), **params)
    assert result.status is Status.PASS, text(result)
    assert "書き方" in text(result) or "written differently" in text(result)
    assert "$mydomain" in text(result)


def test_mydestination_as_the_textbook_writes_it_passes_plainly(tmp_path: Path) -> None:
    params = chapter_spec("postfix-main-cf", "postconf", param="mydestination")
    result = run("postconf", make_ctx(tmp_path, _postconf("$mydomain")), **params)
    assert result.status is Status.PASS
    assert "written differently" not in text(result)


def test_mydestination_of_the_other_domain_fails(tmp_path: Path) -> None:
    params = chapter_spec("postfix-main-cf", "postconf", param="mydestination")
    result = run("postconf", make_ctx(tmp_path, _postconf("example2.jp")), **params)
    assert result.status is Status.FAIL
    assert code(result) == "postconf.value-differs"


# ----------------------------------------------------------------------------- boot

STARTED = "39f53479d3a045ac8e11786248231fbf"
UNIT = "postfix@-.service"  # Debian's daemon behind postfix.service


def _boot(finished: int, first_start: int | None, active: str = "active",
          online: int = 2_000_000, journal: str | None = None,
          tail: str = "") -> dict[tuple[str, ...], tuple[int, str, str]]:
    """What systemctl and journalctl say about this boot (monotonic microseconds)."""
    entries = "" if first_start is None else json.dumps(
        {"MESSAGE_ID": STARTED, "__MONOTONIC_TIMESTAMP": str(first_start),
         "MESSAGE": "Started postfix@-.service - Postfix Mail Transport Agent (instance -)."})
    return {
        ("systemctl", "show", "-p", "FinishTimestampMonotonic"):
            (0, f"FinishTimestampMonotonic={finished}\n", ""),
        ("systemctl", "show", "-p", "ActiveState", "-p", "ActiveEnterTimestampMonotonic", UNIT):
            (0, f"ActiveState={active}\nActiveEnterTimestampMonotonic={first_start or 0}\n", ""),
        ("systemctl", "show", "-p", "ActiveEnterTimestampMonotonic", "network-online.target"):
            (0, f"ActiveEnterTimestampMonotonic={online}\n", ""),
        ("journalctl", "-b", "-u", UNIT, "-o", "json", "--no-pager", f"MESSAGE_ID={STARTED}"):
            (0, journal if journal is not None else entries + "\n", ""),
        ("journalctl", "-b", "-u", UNIT, "-n", "8", "--no-pager", "-o", "cat"): (0, tail, ""),
    }


def boot_check(tmp_path: Path, table: dict[tuple[str, ...], tuple[int, str, str]]) -> Any:
    params = chapter_spec("postfix-boot-order", "service_started_at_boot")
    return run("service_started_at_boot", make_ctx(tmp_path, table, root=True), **params)


def test_postfix_that_came_up_at_boot_after_the_network_passes(tmp_path: Path) -> None:
    result = boot_check(tmp_path, _boot(finished=9_000_000, first_start=3_000_000))
    assert result.status is Status.PASS, text(result)


def test_postfix_restarted_later_still_came_up_at_boot(tmp_path: Path) -> None:
    # a later step restarts Postfix: its state is newer, the journal's first start is not
    table = _boot(finished=9_000_000, first_start=3_000_000)
    table[("systemctl", "show", "-p", "ActiveState", "-p", "ActiveEnterTimestampMonotonic",
           UNIT)] = (0, "ActiveState=active\nActiveEnterTimestampMonotonic=50000000\n", "")
    assert boot_check(tmp_path, table).status is Status.PASS


def test_postfix_that_failed_at_boot_is_not_running(tmp_path: Path) -> None:
    tail = ("postfix/postfix-script[201]: fatal: parameter inet_interfaces: no local interface "
            "found for 192.168.56.101\n")
    result = boot_check(tmp_path, _boot(finished=9_000_000, first_start=None, active="failed",
                                        tail=tail))
    assert result.status is Status.FAIL
    assert code(result) == "boot.not-started"
    assert any("no local interface found" in e for e in result.evidence)


def test_postfix_started_after_boot_was_not_proven_by_a_reboot(tmp_path: Path) -> None:
    # installed or started by hand after the machine had booted: nobody rebooted since
    result = boot_check(tmp_path, _boot(finished=9_000_000, first_start=60_000_000))
    assert result.status is Status.FAIL
    assert code(result) == "boot.started-by-hand"
    assert result.diagnosis.suggestion == "sudo reboot"


def test_postfix_before_the_network_is_named(tmp_path: Path) -> None:
    result = boot_check(tmp_path, _boot(finished=9_000_000, first_start=1_000_000,
                                        online=2_000_000))
    assert result.status is Status.FAIL
    assert code(result) == "boot.before-network"


def test_a_journal_the_learner_may_not_read_asks_for_root(tmp_path: Path) -> None:
    table = _boot(finished=9_000_000, first_start=3_000_000,
                  journal="No journal files were opened due to insufficient permissions.\n")
    result = boot_check(tmp_path, table)
    assert result.status is Status.ERROR and result.needs_root
