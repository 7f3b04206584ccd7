"""The log follower: history, appends, rotation, truncation, late files, permissions, journal."""

from __future__ import annotations

import io
import os
import sys
import threading
from pathlib import Path

import pytest

from maillab_tui.mail.logfollow import (
    TRUNCATED_MARK,
    FileFollower,
    FollowStatus,
    JournalFollower,
    LineBuffer,
    LineSplitter,
    follow_mail_log,
    journal_argv,
    journal_units,
    permission_message,
    tail_offset,
    wait_until,
)


class Collector:
    """Collects lines and statuses the way the UI receives them (from another thread)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.batches = 0
        self.statuses: list[FollowStatus] = []
        self.lock = threading.Lock()

    def on_lines(self, lines: list[str]) -> None:
        with self.lock:
            self.lines += lines
            self.batches += 1

    def on_status(self, status: FollowStatus) -> None:
        self.statuses.append(status)

    @property
    def states(self) -> list[str]:
        return [s.state for s in self.statuses]


def follower(path: Path, collector: Collector, **kwargs: object) -> FileFollower:
    return FileFollower(path, collector.on_lines, collector.on_status, **kwargs)  # type: ignore[arg-type]


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


@pytest.mark.parametrize(("data", "n", "expected"), [
    (b"a\nb\nc\n", 2, b"b\nc\n"),
    (b"a\nb\nc\n", 5, b"a\nb\nc\n"),
    (b"a\nb\nc", 2, b"b\nc"),
    (b"", 3, b""),
    (b"a\nb\nc\n", 0, b""),
])
def test_tail_offset(data: bytes, n: int, expected: bytes) -> None:
    handle = io.BytesIO(data)
    assert data[tail_offset(handle, n, chunk=2):] == expected  # type: ignore[arg-type]


def test_tail_offset_reads_only_the_end_of_a_big_file(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(200_000)))
    with open(path, "rb") as handle:
        offset = tail_offset(handle, 3)
        handle.seek(offset)
        assert handle.read() == b"line 199997\nline 199998\nline 199999\n"


def test_splitter_bounds_long_lines_and_keeps_partial_ones() -> None:
    splitter = LineSplitter(max_line=10)
    assert splitter.feed(b"short\nabc") == ["short"]
    assert splitter.feed(b"def\n") == ["abcdef"]
    out = splitter.feed(b"x" * 25)
    assert out == ["x" * 10 + TRUNCATED_MARK]
    assert splitter.feed(b"yyy\nnext\n") == ["next"]  # the rest of the long line is dropped
    assert splitter.feed("日本語\r\n".encode()) == ["日本語"]
    assert splitter.feed(b"\xff\xfe\n") == ["\ufffd\ufffd"]


def test_history_then_appends(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    path.write_text("".join(f"old {i}\n" for i in range(500)))
    c = Collector()
    f = follower(path, c, history=3)
    assert f.poll() == ["old 497", "old 498", "old 499"]
    assert f.poll() == []
    append(path, "new 1\nnew 2\npart")
    assert f.poll() == ["new 1", "new 2"]
    append(path, "ial\n")
    assert f.poll() == ["partial"]
    assert c.states == ["following"]


def test_rotation_reads_the_rest_of_the_old_file_then_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    path.write_text("a\n")
    c = Collector()
    f = follower(path, c)
    assert f.poll() == ["a"]
    append(path, "b\n")
    os.rename(path, tmp_path / "maillog.1")       # logrotate's create mode
    append(tmp_path / "maillog.1", "c\n")         # the daemon writes on until told to reopen
    assert f.poll() == ["b", "c"]                 # the old file, still open
    path.write_text("d\ne\n")
    assert f.poll() == ["d", "e"]
    assert "rotated" in c.states
    append(path, "f\n")
    assert f.poll() == ["f"]


def test_truncation_starts_again_at_the_beginning(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    path.write_text("one\ntwo\nthree\n")
    c = Collector()
    f = follower(path, c)
    assert f.poll() == ["one", "two", "three"]
    with open(path, "w") as handle:               # copytruncate
        handle.write("x\n")
    assert f.poll() == ["x"]
    assert c.states[-1] == "truncated"


def test_file_appearing_later(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    c = Collector()
    f = follower(path, c)
    assert f.poll() == [] and f.poll() == []
    assert c.states == ["waiting"]                # reported once, not at every poll
    assert "まだありません" in c.statuses[0].message.ja
    path.write_text("hello\n")
    assert f.poll() == ["hello"]
    assert c.states == ["waiting", "following"]


def test_permission_denied_says_how_to_fix_it(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "maillog"
    path.write_text("secret\n")
    real_open = open

    def denied(name: object, *args: object, **kwargs: object) -> object:
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, *args, **kwargs)  # type: ignore[call-overload]

    # Root reads every file, so the denial is simulated (the tests run as root in CI).
    monkeypatch.setattr("maillab_tui.mail.logfollow.open", denied, raising=False)
    c = Collector()
    f = follower(path, c, platform="debian12")
    assert f.poll() == [] and f.poll() == []
    assert c.states == ["denied"]
    assert "adm" in c.statuses[0].message.ja and "sudo" in c.statuses[0].message.en
    monkeypatch.undo()
    assert f.poll() == ["secret"]


def test_permission_messages_differ_by_platform() -> None:
    assert "adm" in permission_message("/var/log/mail.log", "debian12").ja
    assert "root" in permission_message("/var/log/maillog", "almalinux9").ja
    generic = permission_message("/var/log/maillog", None).en
    assert "adm" in generic and "root" in generic


def test_thread_delivers_batches_and_idles(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    path.write_text("")
    c = Collector()
    f = follower(path, c, busy_interval=0.01, idle_interval=0.05)
    f.start()
    try:
        assert wait_until(lambda: f.state == "following", 5)
        with open(path, "a") as handle:
            for i in range(5000):
                handle.write(f"line {i}\n")
                if i % 1000 == 0:
                    handle.flush()
        assert wait_until(lambda: len(c.lines) == 5000, 5)
        assert c.batches < 5000 / 10              # batched, not one callback a line
        assert c.lines[0] == "line 0" and c.lines[-1] == "line 4999"
    finally:
        f.stop()


def test_batches_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    path.write_text("")
    c = Collector()
    f = follower(path, c, max_batch_bytes=1000, chunk=100)
    f.poll()
    append(path, "".join(f"{i:09d}\n" for i in range(1000)))   # 10,000 bytes
    first = f.poll()
    assert 90 <= len(first) <= 110
    rest: list[str] = []
    while more := f.poll():
        rest += more
    assert len(first) + len(rest) == 1000


def test_line_buffer_drops_the_oldest_and_counts() -> None:
    buffer = LineBuffer(max_lines=5)
    assert buffer.push(["1", "2"]) is True
    assert buffer.push(["3"]) is False
    buffer.push([str(i) for i in range(4, 10)])
    lines, dropped = buffer.drain()
    assert lines == ["5", "6", "7", "8", "9"] and dropped == 4
    assert buffer.drain() == ([], 0)
    assert buffer.total_in == 9 and buffer.total_dropped == 4


def test_journal_units_and_argv() -> None:
    assert journal_units("debian12")[:3] == ["postfix@-", "postfix", "dovecot"]
    argv = journal_argv(["postfix@-", "postfix", "dovecot"], 200)
    assert argv[:7] == ["journalctl", "--no-pager", "-f", "-n", "200", "-o", "short-iso"]
    assert argv[7:] == ["-u", "postfix@-", "-u", "postfix", "-u", "dovecot"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


def test_journal_follower_reads_a_child_and_ends_it_by_pid() -> None:
    script = ("import sys, time\n"
              "print('2024-11-28T18:14:06+0900 mail postfix/smtpd[1]: connect', flush=True)\n"
              "print('Hint: You are currently not seeing messages from other users and the "
              "system.', file=sys.stderr, flush=True)\n"
              "time.sleep(1000)\n")
    c = Collector()
    f = JournalFollower(c.on_lines, c.on_status, platform="debian12",
                        argv=[sys.executable, "-c", script], busy_interval=0.02)
    f.start()
    pid = f.pid
    assert pid is not None
    try:
        assert wait_until(lambda: c.lines == ["2024-11-28T18:14:06+0900 mail postfix/smtpd[1]: "
                                              "connect"], 5)
        assert wait_until(lambda: "denied" in c.states, 5)
    finally:
        f.stop()
    assert not _alive(pid)


def test_follow_mail_log_picks_the_file_or_the_journal(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/maillog").write_text("x\n")
    chosen = follow_mail_log("almalinux9", lambda lines: None, root=str(tmp_path))
    assert isinstance(chosen, FileFollower) and chosen.path == tmp_path / "var/log/maillog"
    (tmp_path / "var/log/maillog").unlink()
    monkeypatch.setattr("maillab_tui.mail.logfollow.shutil.which",
                        lambda name: "/usr/bin/journalctl")
    assert isinstance(follow_mail_log("debian12", lambda lines: None, root=str(tmp_path)),
                      JournalFollower)
    monkeypatch.setattr("maillab_tui.mail.logfollow.shutil.which", lambda name: None)
    waiting = follow_mail_log("debian12", lambda lines: None, root=str(tmp_path))
    assert isinstance(waiting, FileFollower)
    assert waiting.path == tmp_path / "var/log/mail.log"
    explicit = follow_mail_log(None, lambda lines: None, path=tmp_path / "x.log")
    assert isinstance(explicit, FileFollower) and explicit.path == tmp_path / "x.log"


def test_prime_reads_the_history_in_the_callers_thread(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    path.write_text("a\nb\n")
    c = Collector()
    f = follower(path, c)
    assert f.prime() == ["a", "b"]
    f.start()
    try:
        assert f.prime() == []                        # once the thread runs, it owns the file
        append(path, "c\n")
        assert wait_until(lambda: c.lines == ["c"], 5)
    finally:
        f.stop()
    assert JournalFollower(c.on_lines, argv=["true"]).prime() == []
