"""The student's path: `maillab-tui sandbox tui host1` in a real terminal, typed into as a person.

This is the README's first command as a newcomer meets it: the TUI runs inside host1 as the
learner `admin` (not root), so sudo asks for the password, the editor is the real vi through
sudoedit, and debconf shows its screens while Postfix installs. Keys go in with tmux send-keys
only after the screen shows what a person would wait for; every screen waited for is kept under
test-artifacts/student-walk/. The walk covers every kind of command block the chapter has:

- `terminal`: the apt install, with the sudo password at sudo's own prompt, `Y`, debconf;
- `edit`: main.cf changed in vi by keystrokes, first with the printed page's typo (the check
  fails and names it), then fixed (the check passes);
- plain streamed commands, with sudo's password asked in the TUI's own masked prompt;
- `password` and `dialogue`: passwd typed by the learner, s-nail composed and sent by typing,
  then the mail from host2 read (both `user=` blocks: `sudo su - user1`);
- `follow`: `sudo journalctl -f` (a stock Debian has no rsyslog) started and stopped with
  ctrl+c; the log pane itself asks for sudo's password once at the start, as the learner is
  in neither `adm` nor `systemd-journal`.

host2 is the other student's machine: it is brought along by the reference solution (the
self-test's solve path) in the background, as far as the walk needs it. The walk stops after
reading mail; the rest of the chapter stays with the self-test.
"""

from __future__ import annotations

import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from maillab_tui.chapter import load_chapter
from maillab_tui.sandbox import Lab
from maillab_tui.sandbox.image import ADMIN_PASSWORD, ADMIN_USER
from maillab_tui.selftest.engine import SelfTest
from maillab_tui.selftest.steps import StepRunner
from tests.integration.terminal import Terminal

pytestmark = pytest.mark.sandbox

HOST, PEER = "host1", "host2"
PASSWORD = "userpass"  # the chapter's password for user1, typed by the student
SUDO_PROMPT = "[sudo] admin のパスワード:"
GATE_OPEN = "次へ進めます（n）"
# The sudo password is a word of the project's name: a leak is the word on its own.
SUDO_LEAK = rf"(?<![\w/-]){ADMIN_PASSWORD}(?![\w-])"


def output_of(screen: str) -> str:
    """The text of the command-output pane only (a dialogue's script, shown on its card, says
    the same words as the program: waiting for them anywhere would not wait at all)."""
    lines = screen.splitlines()
    start = next((i for i, line in enumerate(lines) if "コマンドの出力" in line), len(lines))
    return "\n".join(part for line in lines[start + 1:]
                     for part in re.findall(r"││(.*?)││", line))


def last_line(screen: str) -> str:
    """The last line with text on it (where a program in the raw terminal is asking)."""
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


class Student:
    """A person at host1's keyboard, running the lab's TUI."""

    def __init__(self, term: Terminal) -> None:
        self.term = term

    def sudo_in_terminal(self) -> None:
        """sudo's own prompt on the real terminal (the TUI is suspended): type the password."""
        self.term.wait(lambda s: last_line(s).endswith(SUDO_PROMPT), "sudo-prompt")
        self.term.type(ADMIN_PASSWORD, enter=True)

    def sudo_in_tui(self) -> None:
        """The TUI's masked password box, opened for sudo: type the password there."""
        self.term.wait("パスワードの入力", "tui-password-box")
        self.term.type(ADMIN_PASSWORD)
        self.term.wait("•" * len(ADMIN_PASSWORD), "password-typed", timeout=10)  # dots only
        self.term.keys("Enter")

    def output(self, marker: str, label: str, timeout: float = 60) -> str:
        """Wait until the command-output pane shows `marker`."""
        return self.term.wait(lambda s: marker in output_of(s), label, timeout=timeout)

    def drive(self, marker: str | Callable[[str], bool], label: str, timeout: float = 60) -> str:
        """Driving a program in the TUI (i): sudo may ask first, in the program's own output;
        the learner types the password into the input line, then waits for `marker` there."""
        found = (lambda s: marker in s) if isinstance(marker, str) else marker
        screen = self.term.wait(lambda s: found(output_of(s)) or SUDO_PROMPT in output_of(s),
                                f"{label}-or-sudo", timeout=timeout)
        if not found(output_of(screen)):
            self.term.type(ADMIN_PASSWORD, enter=True)
            screen = self.term.wait(lambda s: found(output_of(s)), label, timeout=timeout)
        return screen

    def check_passes(self, label: str, timeout: float = 90) -> str:
        """Press c and wait for the gate to open."""
        self.term.keys("c")
        return self.term.wait(GATE_OPEN, f"{label}-passed", timeout=timeout)

    def next_step(self, title: str) -> None:
        """Press n and wait for the step's title."""
        self.term.keys("n")
        self.term.wait(title, title[:30])

    def back_in_tui(self, label: str, timeout: float = 300) -> str:
        """Wait until the TUI is back from the terminal (its footer shows again)."""
        return self.term.wait(lambda s: "^q 終了" in s and "端末から戻りました" in s,
                              f"{label}-back", timeout=timeout)

    def debconf(self) -> list[str]:
        """Answer Postfix's debconf screens as the chapter says; the questions met, in order."""
        met: list[str] = []
        for _ in range(8):  # bounded: Postfix asks two questions after one notice
            screen = self.term.wait(
                lambda s: "^q 終了" in s or "<了解>" in s or "<Ok>" in s,
                "debconf-or-back", timeout=300)
            if "^q 終了" in screen:
                return met
            # Debian's postfix templates are not translated into Japanese, only the choices.
            if "General mail configuration type" in screen:
                met.append("main_mailer_type")
                assert "インターネットサイト" in screen
                self.term.keys("Enter")  # the offered default: Internet Site
            elif "System mail name" in screen:
                met.append("mailname")
                assert "mail.example1.jp" in screen  # the host name, offered as the default
                self.term.keys("Enter")
            else:
                met.append("notice")
                self.term.keys("Enter")
            self.term.wait(lambda s, before=screen: s != before, "debconf-next", timeout=60)
        raise AssertionError(f"debconf kept asking: {met}")

    def vi(self, *ex_commands: str, append: str = "") -> None:
        """In vi (already open): run ex commands, append lines at the end, save and quit."""
        for command in ex_commands:
            self.term.type(":" + command, enter=True)
        if append:
            self.term.keys("G", "o")
            self.term.type(append)
            self.term.keys("Escape")
        self.term.snap("vi-before-saving")
        self.term.type(":wq", enter=True)

    def editor_opens(self, marker: str) -> None:
        """After r on an edit block: sudo may ask first; then the file shows in vi."""
        screen = self.term.wait(lambda s: marker in s or last_line(s).endswith(SUDO_PROMPT),
                                "editor-or-sudo")
        if marker not in screen:
            self.term.type(ADMIN_PASSWORD, enter=True)
            self.term.wait(marker, "editor")


def stage_peer(lab: Lab, until: str, start: str | None = None) -> threading.Thread:
    """Bring host2 through the chapter up to `until` (from `start`) in the background."""
    chapter = load_chapter("mail-server")
    driver = StepRunner(lab, chapter, "debian12", ADMIN_USER, ADMIN_PASSWORD)
    test = SelfTest(lab, chapter, driver, from_step=start,
                    progress=lambda line: print(f"[{PEER}] {line}", flush=True))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            test.stage({PEER: until}, hosts=[PEER])
        except BaseException as exc:  # re-raised by the test when it joins
            errors.append(exc)

    thread = threading.Thread(target=work, name=f"stage-{PEER}", daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def joined(thread: threading.Thread, timeout: float = 600) -> None:
    """Wait for a staging thread; fail with its error."""
    thread.join(timeout)
    assert not thread.is_alive(), "host2's staging did not finish"
    errors = thread.errors  # type: ignore[attr-defined]
    if errors:
        raise errors[0]


@pytest.fixture(scope="module")
def fresh_lab(lab: Lab) -> Iterator[Lab]:
    """Both hosts fresh, as a class begins; reset again afterwards."""
    for host in (HOST, PEER):
        lab.reset(host)
    try:
        yield lab
    finally:
        for host in (HOST, PEER):
            lab.reset(host)


def test_the_student_walks_the_chapter_in_a_real_terminal(fresh_lab: Lab) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    peer = stage_peer(fresh_lab, "create-user")
    cli = str(Path(sys.executable).with_name("maillab-tui"))
    term = Terminal("student-walk", [cli, "sandbox", "tui", HOST],
                    env={"TERM": "xterm-256color"})
    me = Student(term)
    try:
        # a stock Debian's first user may not read the journal: the log pane asks for sudo's
        # password once, in the lab's own masked box, and then shows the log through sudo
        term.wait(lambda s: "メールログを sudo で表示します" in s, "log-sudo-asks")
        me.sudo_in_tui()
        term.wait(lambda s: "用語とメールが届くまでの流れ" in s and "sudo journalctl" in s,
                  "start")

        # an online class goes over the DVD step (optional: its gate is soft)
        me.next_step("インターネットにつながらない教室")
        # terminal: the install, with sudo's own prompt, apt's question and debconf's screens
        me.next_step("Postfix と SASL と mail コマンドのインストール")
        term.keys("r")
        me.sudo_in_terminal()
        term.wait(lambda s: last_line(s).endswith("[Y/n]"), "apt-asks")
        term.type("Y", enter=True)
        questions = me.debconf()
        assert {"main_mailer_type", "mailname"} <= set(questions), questions
        me.back_in_tui("install")
        configured = fresh_lab.exec(HOST, ["postconf", "-h", "myhostname"])
        assert configured.stdout.strip() == "mail.example1.jp", configured  # an Internet Site
        me.check_passes("install")

        # edit: main.cf in vi, first as the printed page has it (the typo), then fixed
        me.next_step("main.cf の設定")
        term.keys("r")
        me.editor_opens("smtpd_banner")
        me.vi(r"g/^\(myhostname\|mydestination\|inet_interfaces\|mynetworks\)\s*=/d",
              append="\n".join([
                  "myhostname = mail.example1.jp",
                  "mydomain = example1.jp",
                  "inet_interfaces = localhost, 192.168.56.101",
                  "mydestination = $mydomain",
                  "mynetworks = 192.168.56.101",
                  "smtpd_sasl_auth_enable = yes",
                  "smtpd_recipient_restrictions = permit_mynetworks, "
                  "permit_sasl_authenticated, reject_unauth_destinaition",
              ]))
        me.back_in_tui("edit")
        term.keys("c")
        failed = term.wait("不合格", "typo-fails", timeout=60)
        assert "reject_unauth_destinaition" in failed and GATE_OPEN not in failed
        term.keys("r")
        me.editor_opens("smtpd_banner")
        me.vi("%s/destinaition/destination/")
        me.back_in_tui("edit-fixed")
        me.check_passes("main-cf")

        # plain streamed command; sudo asks in the TUI's masked box (another terminal)
        me.next_step("書式のチェック")
        term.keys("r")
        me.sudo_in_tui()
        term.wait("✔ 完了", "postfix-check-done", timeout=60)
        me.check_passes("postfix-check")

        me.next_step("Postfix の再起動と自動起動")
        term.keys("r")
        screen = term.wait("✔ 完了", "restart-done", timeout=120)
        assert "enabled" in screen
        me.check_passes("postfix-start")

        me.next_step("Postfix の起動順の設定（任意）")  # optional: the gate is soft
        me.next_step("ファイアウォールで SMTP を開く")
        term.keys("r")
        term.wait("✔ 完了", "firewall-done", timeout=300)
        me.check_passes("firewall-smtp")

        me.next_step("SMTP 認証（saslauthd）の設定")
        term.keys("r")
        term.wait("✔ 完了", "smtp-auth-done", timeout=120)
        me.check_passes("smtp-auth")

        # plain useradd, then passwd driven by the learner: typed at passwd's own prompts
        me.next_step("メール用アカウントの作成")
        term.keys("r")
        term.wait("✔ 完了", "useradd-done", timeout=60)
        term.keys("i")
        me.drive(re_found(r"新しい ?パスワード"), "passwd-asks")
        term.type(PASSWORD, enter=True)
        me.output("再入力", "passwd-retype")
        term.type(PASSWORD, enter=True)
        me.output("正しく更新されました", "passwd-done", timeout=30)
        me.check_passes("create-user")

        # host2 must be as far for the checks that ask it
        joined(peer)
        me.next_step("相手のサーバーと SMTP 認証を確かめる")
        term.keys("r")
        term.wait("✔ 完了", "dig-done", timeout=60)
        me.check_passes("smtp-from-peer")

        # follow: journalctl -f (the stock Debian's log) runs until ctrl+c
        me.next_step("メールログを表示する端末")
        term.keys("r")
        term.wait("^c 停止", "follow-running", timeout=30)  # the footer, while it runs
        term.wait(lambda s: re.search(r"postfix/\w+\[\d+\]", output_of(s)) is not None,
                  "follow-shows-log", timeout=30)
        term.keys("C-c")
        term.wait("■ 停止", "follow-stopped", timeout=30)
        me.check_passes("follow-log")

        # dialogue as user1: s-nail composed and sent by typing
        me.next_step("mail コマンドでメールを送る")
        term.keys("i")
        me.drive("Subject:", "mail-subject")
        term.type("Test mail from user1", enter=True)
        term.type("This is Test Mail from user1", enter=True)
        term.keys("C-d")
        me.output("Send this message", "mail-send?", timeout=30)
        term.type("yes", enter=True)
        term.wait("✔ 完了", "mail-sent", timeout=60)
        me.check_passes("send-mail", timeout=120)

        # host2 answers (its send-mail step), then user1 reads it by typing
        joined(stage_peer(fresh_lab, "send-mail", start="smtp-from-peer"))
        me.next_step("届いたメールを読む")
        term.keys("i")
        me.drive("/var/mail/user1: 1 message", "mail-list")  # the list (the pane cuts subjects)
        term.type("1", enter=True)
        me.output("This is Test Mail from user2", "mail-read", timeout=30)
        term.type("q", enter=True)
        term.wait("✔ 完了", "mail-quit", timeout=30)
        me.check_passes("read-mail", timeout=120)

        term.keys("C-q")
        term.wait(lambda s: term.exited(), "quit", timeout=30)
    finally:
        term.snap("last")
        term.close()
    assert not term.leaks(re.escape(PASSWORD)), term.leaks(re.escape(PASSWORD))
    assert not term.leaks(SUDO_LEAK), term.leaks(SUDO_LEAK)


def re_found(pattern: str) -> Callable[[str], bool]:
    """A screen test: the regex matches somewhere on the screen."""
    compiled = re.compile(pattern)
    return lambda screen: compiled.search(screen) is not None
