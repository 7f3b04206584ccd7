"""The installed `maillab-tui` in a real terminal (tmux) inside lab host host1.

tmux runs the program inside host1 (as root, as an instructor would with `sudo maillab-tui`),
keys go in with `send-keys`, and `capture-pane` shows what the learner sees: the chapter's
first steps, a passed check, a command's output and new mail log lines from the journal
(Debian 12 has no /var/log/mail.log). Postfix is installed beforehand the way the install
step's solution does it, because the real install step opens debconf's full-screen dialog.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from maillab_tui.sandbox import Lab

pytestmark = pytest.mark.sandbox

HOST = "host1"


@pytest.fixture(scope="module")
def host1(lab: Lab) -> Iterator[Lab]:
    """host1 for this module; reset to its fresh state afterwards."""
    try:
        yield lab
    finally:
        lab.reset(HOST)


def tmux(*args: str) -> str:
    """Run a tmux command; its output."""
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def wait_screen(session: str, condition: Callable[[str], bool], timeout: float = 60) -> str:
    """The pane's text once `condition` holds (fails with the screen otherwise)."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if condition(screen):
            return screen
        time.sleep(0.3)
    raise AssertionError(f"timed out; the screen was:\n{screen}")


def test_first_steps_in_a_real_terminal(host1: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    setup = host1.exec(HOST, ["sh", "-c",
        "echo 'postfix postfix/main_mailer_type select Internet Site' | debconf-set-selections;"
        " echo 'postfix postfix/mailname string mail.example1.jp' | debconf-set-selections;"
        " DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix sasl2-bin"
        " libsasl2-modules s-nail"], timeout=900)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    monkeypatch.setenv("TERM", "xterm-256color")
    argv = [*host1.nsenter_argv(HOST), "MAILLAB_LANG=ja", "XDG_STATE_HOME=/tmp/maillab-tmux",
            "maillab-tui", "--host", HOST, "--free"]
    session = f"maillab-tui-test-{os.getpid()}"
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "48", shlex.join(argv))
    try:
        # The header's title is filled in a moment after the first step is drawn.
        screen = wait_screen(session, lambda s: "用語とメールが届くまでの流れ" in s
                             and "メールサーバーの構築" in s)
        assert "メールサーバーの構築" in screen and "host1" in screen
        tmux("send-keys", "-t", session, "n")                       # the DVD (optional)
        wait_screen(session, lambda s: "インターネットにつながらない教室" in s)
        tmux("send-keys", "-t", session, "n")                       # install-postfix
        wait_screen(session, lambda s: "Postfix と SASL と mail コマンドのインストール" in s)
        tmux("send-keys", "-t", session, "c")
        wait_screen(session, lambda s: s.count("✔ 合格") >= 3)       # the packages are there
        for _ in range(3):                                           # main.cf, check, start
            tmux("send-keys", "-t", session, "n")
            time.sleep(0.5)
        wait_screen(session, lambda s: "Postfix の再起動と自動起動" in s)
        tmux("send-keys", "-t", session, "r")                        # restart, enable, is-enabled
        screen = wait_screen(session, lambda s: "✔ 完了" in s, timeout=120)
        assert "enabled" in screen                                   # the command's output
        # new mail log lines from the journal: the restart's own (install only started Postfix)
        wait_screen(session, lambda s: "terminating on signal 15" in s, timeout=30)
        tmux("send-keys", "-t", session, "c")
        wait_screen(session, lambda s: s.count("✔ 合格") >= 3 and "✘ 不合格" not in s,
                    timeout=60)
        tmux("send-keys", "-t", session, "C-c")                      # never quits the lab
        time.sleep(0.5)
        assert "終了するには ctrl+q" in tmux("capture-pane", "-p", "-t", session)
        tmux("send-keys", "-t", session, "C-q")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if subprocess.run(["tmux", "has-session", "-t", session],
                              capture_output=True).returncode != 0:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("maillab-tui did not quit on ctrl+q")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
