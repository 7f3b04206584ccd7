"""The runner inside a real lab host (host2), as the learner `admin` with sudo.

Real sudo, passwd (C and Japanese locales), su, Postfix and s-nail. host2 is reset at the
end so that later tests find it fresh.
"""

from __future__ import annotations

import mailbox
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from maillab_tui.chapter.model import CommandBlock
from maillab_tui.run import PasswordPrompt, Runner, Target, Timing, Transcript
from maillab_tui.sandbox import Lab
from maillab_tui.sandbox.image import ADMIN_PASSWORD, ADMIN_USER
from tests.integration.conftest import quiet_install
from tests.unit.runner_support import Recorder, block, dialogue, in_thread, wait_for

pytestmark = pytest.mark.sandbox

HOST = "host2"
PASSWORD = "Mail-Lab-7f3q"  # the chapter's secret `password` in these tests


def sh(lab: Lab, script: str, timeout: float = 600) -> str:
    """A root shell script inside host2; its output, asserting success."""
    proc = lab.exec(HOST, ["sh", "-c", script], timeout=timeout)
    assert proc.returncode == 0, f"{script!r}: {proc.returncode}\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def learner_prefix(lab: Lab) -> list[str]:
    """Inside host2 as admin: the prefix the self-test uses (the command keeps the terminal)."""
    return lab.nsenter_argv(HOST, ADMIN_USER)


@pytest.fixture(scope="module")
def host2(lab: Lab) -> Iterator[Lab]:
    """host2 for this module; reset to its fresh state afterwards."""
    try:
        yield lab
    finally:
        lab.reset(HOST)


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this module's transcripts go."""
    return tmp_path_factory.mktemp("transcripts")


def make_runner(lab: Lab, records: Path, lang: str | None = None, **values: str) -> Runner:
    target = Target.through(learner_prefix(lab), ADMIN_USER, label=HOST,
                            env={"LANG": lang} if lang else None)
    return Runner(target, values={"password": PASSWORD, **values}, secrets=[PASSWORD],
                  secret_names=["password"], autopilot=True, chapter_id="live", host=HOST,
                  transcript=Transcript(records / f"live-{HOST}.jsonl"),
                  timing=Timing(expect=60))


class Learner(Recorder):
    """Types admin's password whenever sudo asks, as the learner would."""

    def on_password_prompt(self, prompt: PasswordPrompt) -> str | None:
        self.prompts.append(prompt)
        return ADMIN_PASSWORD if prompt.is_sudo else None


@pytest.mark.parametrize(("lang", "updated"), [
    ("C", "passwd: password updated successfully"),
    ("ja_JP.UTF-8", "passwd: パスワードは正しく更新されました"),
])
def test_useradd_and_passwd_with_sudo(host2: Lab, records: Path, lang: str, updated: str) -> None:
    user = f"rt{lang[:1].lower()}{random.randint(1000, 9999)}"
    runner = make_runner(host2, records, lang, user=user)
    learner = Learner()
    assert runner.run_block(block("sudo -k"), learner).ok  # sudo forgets: it will ask
    create = block("sudo useradd -m {{ user }}", once="getent passwd {{ user }}")
    assert runner.run_block(create, learner).ok
    assert [p.kind for p in learner.prompts] == ["sudo"]

    result = runner.run_block(
        block("sudo passwd {{ user }}", kind="password", secret="password"), learner)
    assert result.ok, (result.message, result.output)
    assert updated in result.output
    assert [p.kind for p in learner.prompts] == ["sudo"]  # remembered (or sudo's own ticket)

    shadow = sh(host2, f"getent shadow {user}").split(":")
    assert shadow[1].startswith("$"), shadow[:2]
    # The password works: su asks for it, as it would ask the learner.
    login = [*learner_prefix(host2), "su", "-", user, "-c", "echo LOGIN-OK"]
    child = pexpect.spawn(login[0], login[1:], encoding="utf-8", timeout=30)
    child.expect(["Password:", "パスワード:"])
    child.sendline(PASSWORD)
    child.expect("LOGIN-OK")
    child.expect(pexpect.EOF)

    again = runner.run_block(create, learner)
    assert again.status == "skipped" and again.message is not None
    assert f"getent passwd {user}" in again.message.en
    everything = learner.everything() + repr(result) + repr(again)
    assert PASSWORD not in everything and ADMIN_PASSWORD not in everything


@pytest.fixture(scope="module")
def postfix(host2: Lab) -> str:
    """Postfix delivering locally, s-nail and the user user2 on host2; the mail command's name."""
    sh(host2, quiet_install("mail.example2.jp", "postfix s-nail", "Local only"))
    sh(host2, "postconf -e 'myhostname = mail.example2.jp' 'mydomain = example2.jp'"
              " 'mydestination = $myhostname, $mydomain, localhost'"
              " 'inet_interfaces = loopback-only'"
              " 'alias_maps = hash:/etc/aliases' 'alias_database = hash:/etc/aliases'"
              " && newaliases && systemctl restart postfix"
              " && (getent passwd user2 || useradd -m -s /bin/bash user2)")
    found = host2.exec(HOST, ["sh", "-c", "command -v mail || command -v s-nail"])
    return found.stdout.split()[0].rsplit("/", 1)[-1]


def read_mbox(lab: Lab, user: str, tmp_path: Path) -> mailbox.mbox:
    """The user's mailbox in the host, copied out and opened with the mailbox module."""
    copy = tmp_path / f"{user}.mbox"
    copy.write_text(lab.exec(HOST, ["cat", f"/var/mail/{user}"]).stdout)
    return mailbox.mbox(str(copy))


def test_mail_dialogue_delivers_and_reads(host2: Lab, records: Path, postfix: str,
                                          tmp_path: Path) -> None:
    token = f"Runner test {random.randint(100000, 999999)}"
    runner = make_runner(host2, records, token=token)
    learner = Learner()
    send = dialogue(
        postfix + " user2@example2.jp",
        ("expect", "Subject:"), ("send", "{{ token }}"), ("send", "This is the body."),
        ("send", "^D"), ("expect", r"Send this message \[yes/no, empty: recompose\]\?"),
        ("send", "yes"), ("expect", "EOF"), user="user2")
    result = runner.run_block(send, learner)
    assert result.ok, (result.message, result.output)
    assert [p.kind for p in learner.prompts] in ([], ["sudo"])  # `sudo su - user2 -c mail`

    def delivered() -> bool:
        return any(m["subject"] == token for m in read_mbox(host2, "user2", tmp_path))

    wait_for(delivered, timeout=60)
    [message] = [m for m in read_mbox(host2, "user2", tmp_path) if m["subject"] == token]
    assert "This is the body." in str(message.get_payload())
    assert "user2@" in str(message["from"])

    read = dialogue(postfix, ("expect", "{{ token }}"), ("send", "1"),
                    ("expect", "This is the body"), ("send", "q"), ("expect", "EOF"),
                    user="user2")
    result = runner.run_block(read, learner)
    assert result.ok, (result.message, result.output)


def test_cancel_leaves_nothing_running_inside_the_host(host2: Lab, records: Path) -> None:
    mark = str(random.randint(100000, 999999))
    runner = make_runner(host2, records)
    runner.timing = Timing(interrupt_grace=1.0, terminate_grace=1.0)
    learner = Learner()
    for code, kind in ((f"sleep {mark}", "plain"),
                       (f"sh -c 'sleep {mark} & sleep {mark}; wait'", "plain"),
                       (f"sudo sh -c 'tail -f /etc/hostname & sleep {mark}'", "follow")):
        run = runner.start(CommandBlock(line=1, code=code, kind=kind), learner)  # type: ignore[arg-type]
        thread, out = in_thread(run)
        wait_for(lambda: host2.exec(HOST, ["pgrep", "-f", f"sleep {mark}"]).returncode == 0,
                 timeout=30)
        started = time.monotonic()
        run.cancel()
        thread.join(20)
        assert not thread.is_alive() and time.monotonic() - started < 10
        result = out["result"]
        assert result.status in ("cancelled", "stopped"), result  # type: ignore[attr-defined]
        assert not result.leftovers  # type: ignore[attr-defined]
        left = host2.exec(HOST, ["pgrep", "-af", f"sleep {mark}|tail -f /etc/hostname"])
        assert left.returncode == 1, left.stdout


def test_transcripts_never_hold_a_password(host2: Lab, records: Path) -> None:
    files = list(records.glob("*.jsonl"))
    assert files
    for path in files:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and ADMIN_PASSWORD.encode() not in data
    records_ = [r for path in files for r in Transcript(path).records()]
    passwd = [r for r in records_ if r["command"].startswith("sudo passwd")]
    assert passwd and all(r["status"] == "ok" and r["kind"] == "password" for r in passwd)
    assert {r["status"] for r in records_} >= {"ok", "skipped", "cancelled", "stopped"}
