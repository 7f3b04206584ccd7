"""Follow the mail log: a polling file follower (rotation, truncation, late files) or the journal.

Like Toolong it polls, because selectors never signal regular files on Linux: 64 KiB reads,
every 50 ms while data flows, backing off to 250 ms when idle. Unlike Toolong it notices
rotation (the inode changes: finish the old file, then read the new one from the start, and
keep reading the old one for a few seconds while its writer is still on it), truncation (the
size shrinks, or the bytes just before the offset changed: copytruncate followed by a longer
write, or a rewrite of the same size: start again at 0), and a file that appears late (read
all of it, not its last lines). Only regular files are opened (a FIFO would block); the rest
of an over-long line is skipped in large reads. Lines reach the caller in batches through a
callback, from the follower's own thread; memory is bounded by a maximum line length, a
maximum batch size and, on the receiving side, `LineBuffer`.

No Textual here: the log pane turns the callbacks into messages.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import stat as stat_module
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from maillab_tui import system
from maillab_tui.platform import PLATFORMS, find_mail_log, journal_denied, mail_log_candidates
from maillab_tui.text import Localized, t

CHUNK = 64 * 1024
BUSY_INTERVAL = 0.05
IDLE_INTERVAL = 0.25
HISTORY = 200
MAX_LINE = 4096
MAX_BATCH_BYTES = 1024 * 1024
TRUNCATED_MARK = " …"
SKIP_CHUNK = 4 * 1024 * 1024  # reads while skipping the rest of an over-long line
MARK = 64  # bytes before the offset compared to notice a rewrite in place
OLD_GRACE = 5.0  # seconds a file rotated away is still read while its writer is on it

FollowState = Literal["following", "waiting", "denied", "rotated", "truncated", "error", "stopped"]
LinesCallback = Callable[[list[str]], None]
StatusCallback = Callable[["FollowStatus"], None]


@dataclass(frozen=True)
class FollowStatus:
    """What the follower is doing now, for the pane's title and notices."""

    state: FollowState
    source: str
    message: Localized


class Follower(Protocol):
    """A log source that delivers lines from its own thread until stopped."""

    source: str

    def start(self) -> None:
        """Begin following in the background."""

    def stop(self) -> None:
        """Stop following and release the file or child process."""


def permission_message(source: str, platform: str | None) -> Localized:
    """How to get permission to read the mail log on this platform."""
    if platform == "almalinux9":
        return t(f"{source} は root だけが読めます。sudo maillab-tui で起動し直してください。",
                 f"{source} is readable by root only: start the lab with sudo maillab-tui.")
    if platform == "debian12":
        return t(f"{source} を読む権限がありません。sudo maillab-tui で起動するか、"
                 "sudo adduser $USER adm でグループ adm に入ってから、ログインし直してください。",
                 f"no permission to read {source}: start the lab with sudo maillab-tui, or join "
                 "group adm (sudo adduser $USER adm) and log in again.")
    return t(f"{source} を読む権限がありません。sudo maillab-tui で起動してください"
             "（Debian ではグループ adm に入る方法もあります。"
             "AlmaLinux では root だけが読めます）。",
             f"no permission to read {source}: start the lab with sudo maillab-tui (on Debian, "
             "joining group adm also works; on AlmaLinux the file is root-only).")


def tail_offset(handle: BinaryIO, lines: int, chunk: int = CHUNK) -> int:
    """The offset where the last `lines` complete lines of an open file begin, read from the end."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    if lines <= 0:
        return end
    position = end
    newlines = 0
    # A final newline ends the last line; it does not start another one.
    skip_last = True
    while position > 0:
        step = min(chunk, position)
        position -= step
        handle.seek(position)
        data = handle.read(step)
        index = len(data)
        while True:
            index = data.rfind(b"\n", 0, index)
            if index < 0:
                break
            if skip_last and position + index == end - 1:
                skip_last = False
                continue
            skip_last = False
            newlines += 1
            if newlines == lines:
                return position + index + 1
        skip_last = False
    return 0


class LineSplitter:
    """Bytes in, complete lines out; a partial line waits, bounded by `max_line` bytes."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._partial = bytearray()
        self._discarding = False

    def reset(self) -> None:
        """Forget a partial line (the file was truncated or replaced)."""
        self._partial.clear()
        self._discarding = False

    @property
    def discarding(self) -> bool:
        """Skipping the rest of an over-long line (reading on costs nothing shown)."""
        return self._discarding

    def feed(self, data: bytes) -> list[str]:
        """The complete lines in `data` plus what was left over before."""
        out: list[str] = []
        start = 0
        while True:
            index = data.find(b"\n", start)
            piece = data[start:] if index < 0 else data[start:index]
            if self._discarding:
                if index >= 0:
                    self._discarding = False
            else:
                room = self.max_line - len(self._partial)
                if len(piece) > room:
                    self._partial += piece[:room]
                    out.append(self._decode(self._partial) + TRUNCATED_MARK)
                    self._partial.clear()
                    self._discarding = index < 0
                elif index >= 0:
                    self._partial += piece
                    out.append(self._decode(self._partial))
                    self._partial.clear()
                else:
                    self._partial += piece
            if index < 0:
                return out
            start = index + 1

    def flush(self) -> list[str]:
        """The partial line as a line of its own (the file ended without a newline)."""
        if not self._partial:
            return []
        line = self._decode(self._partial)
        self._partial.clear()
        return [line]

    @staticmethod
    def _decode(data: bytes | bytearray) -> str:
        """One line as text: UTF-8 (bad bytes replaced), without a carriage return."""
        return bytes(data).decode("utf-8", errors="replace").rstrip("\r")


class FileFollower:
    """Follow one log file by polling: history first, then new lines, across rotation."""

    def __init__(
        self,
        path: str | Path,
        on_lines: LinesCallback,
        on_status: StatusCallback | None = None,
        *,
        platform: str | None = None,
        history: int = HISTORY,
        max_line: int = MAX_LINE,
        chunk: int = CHUNK,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        busy_interval: float = BUSY_INTERVAL,
        idle_interval: float = IDLE_INTERVAL,
    ) -> None:
        self.path = Path(path)
        self.source = str(self.path)
        self.on_lines = on_lines
        self.on_status = on_status
        self.platform = platform
        self.history = history
        self.chunk = chunk
        self.max_batch_bytes = max_batch_bytes
        self.busy_interval = busy_interval
        self.idle_interval = idle_interval
        self._splitter = LineSplitter(max_line)
        self._handle: BinaryIO | None = None
        self._identity: tuple[int, int] | None = None
        self._opened_before = False
        self._waited = False  # the file was missing at first: when it comes, read all of it
        self._mark = b""  # the bytes just before the offset: a rewrite in place changes them
        self._old: tuple[BinaryIO, LineSplitter, float] | None = None  # the file rotated away
        self._state: FollowState | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ status

    def _report(self, state: FollowState, message: Localized) -> None:
        """Tell the caller about a change of state (once per change)."""
        if state == self._state and state not in ("rotated", "truncated"):
            return
        self._state = state
        if self.on_status is not None:
            self.on_status(FollowStatus(state, self.source, message))

    @property
    def state(self) -> FollowState | None:
        """The last state reported."""
        return self._state

    # ------------------------------------------------------------------ reading

    def _open(self) -> bool:
        """Open the file; start at its last `history` lines the first time, else at its start."""
        try:
            info = os.stat(self.path)  # follows the link: a loop is an OSError
            if not stat_module.S_ISREG(info.st_mode):
                self._report("error", t(f"{self.source} は通常のファイルではありません（ログとして"
                                        "読みません）",
                                        f"{self.source} is not a regular file; not read as a log"))
                return False
            handle = open(self.path, "rb")  # noqa: SIM115 - kept open while following
        except FileNotFoundError:
            self._waited = not self._opened_before or self._waited
            self._report("waiting", t(f"{self.source} はまだありません。できるまで待っています。",
                                      f"{self.source} does not exist yet; waiting for it."))
            return False
        except PermissionError:
            self._report("denied", permission_message(self.source, self.platform))
            return False
        except OSError as exc:
            self._report("error", t(f"{self.source} を開けません: {exc.strerror or exc}",
                                    f"cannot open {self.source}: {exc.strerror or exc}"))
            return False
        opened = os.fstat(handle.fileno())
        self._identity = (opened.st_dev, opened.st_ino)
        if self._opened_before or self._waited:
            handle.seek(0)  # a new file (rotated, or one that came late): all of it is new
        else:
            handle.seek(tail_offset(handle, self.history, self.chunk))
        self._opened_before = True
        self._handle = handle
        self._splitter.reset()
        self._remember_mark()
        self._report("following", t(f"{self.source} を表示しています", f"following {self.source}"))
        return True

    def _remember_mark(self) -> None:
        """Keep the bytes just before the read offset, to notice a rewrite in place."""
        assert self._handle is not None
        offset = self._handle.tell()
        try:
            self._mark = os.pread(self._handle.fileno(), min(offset, MARK), max(0, offset - MARK))
        except OSError:
            self._mark = b""

    def _rewritten(self) -> bool:
        """The bytes before the offset are no longer those read (copytruncate, then a write
        as long as the old file or longer; a same-size rewrite)."""
        assert self._handle is not None
        if not self._mark:
            return False
        offset = self._handle.tell()
        try:
            now = os.pread(self._handle.fileno(), len(self._mark), offset - len(self._mark))
        except OSError:
            return False
        return now != self._mark

    def _read_available(self) -> tuple[list[str], int]:
        """Read up to `max_batch_bytes` from the open file; the lines and the bytes read. The
        rest of an over-long line is skipped in large reads, not counted against the batch."""
        assert self._handle is not None
        lines: list[str] = []
        total = 0
        while total < self.max_batch_bytes:
            skipping = self._splitter.discarding
            try:
                data = self._handle.read(SKIP_CHUNK if skipping else self.chunk)
            except OSError as exc:
                self._report("error", t(f"{self.source} を読めません: {exc}",
                                        f"cannot read {self.source}: {exc}"))
                break
            if not data:
                break
            total += 0 if skipping else len(data)
            lines += self._splitter.feed(data)
            if len(data) < (SKIP_CHUNK if skipping else self.chunk):
                break
        if total or lines:
            self._remember_mark()
        return lines, total

    def _close(self) -> None:
        """Close the current file (and the one rotated away)."""
        self._drop_old()
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
        self._handle = None

    def _check_replaced(self) -> list[str]:
        """Notice rotation (another inode at the path) or truncation; the lines read after it."""
        assert self._handle is not None
        try:
            info = os.stat(self.path)
        except OSError:
            return []  # rotated away and not re-created yet: keep the old file open
        if (info.st_dev, info.st_ino) != self._identity:
            rest, _ = self._read_available()  # what was written to the old file before the switch
            # A writer may go on writing to the old file for a while (until it reopens its
            # log): keep reading it beside the new one until it has been quiet for OLD_GRACE.
            old = (self._handle, self._splitter, time.monotonic() + OLD_GRACE)
            self._drop_old()
            self._old = old
            self._handle = None
            self._splitter = LineSplitter(old[1].max_line)
            if not self._open():
                return rest
            self._report("rotated", t(f"{self.source} がローテーションされました。"
                                      "新しいファイルを表示します。",
                                      f"{self.source} was rotated; following the new file."))
            new, _ = self._read_available()
            return rest + new
        if info.st_size < self._handle.tell() or self._rewritten():
            self._handle.seek(0)
            self._splitter.reset()
            self._report("truncated", t(f"{self.source} が切り詰められました。"
                                        "先頭から読み直します。",
                                        f"{self.source} was truncated; reading it from the start."))
            lines, _ = self._read_available()
            return lines
        return []

    def _read_old(self) -> list[str]:
        """What the writer still adds to the file rotated away, until it is quiet."""
        if self._old is None:
            return []
        handle, splitter, until = self._old
        try:
            data = handle.read(self.max_batch_bytes)
        except OSError:
            data = b""
        if data:
            self._old = (handle, splitter, time.monotonic() + OLD_GRACE)
            return splitter.feed(data)
        if time.monotonic() >= until:
            rest = splitter.flush()
            self._drop_old()
            return rest
        return []

    def _drop_old(self) -> None:
        if self._old is not None:
            with contextlib.suppress(OSError):
                self._old[0].close()
            self._old = None

    def poll(self) -> list[str]:
        """One round: open the file if needed, read what is new, notice rotation; the lines."""
        if self._handle is None and not self._open():
            return []
        lines = self._read_old()
        if self._rewritten():  # before reading on: what follows the offset may be all new
            return lines + self._check_replaced()
        new, count = self._read_available()
        lines += new
        if count == 0 and not new:
            lines += self._check_replaced()
        return lines

    def prime(self) -> list[str]:
        """The history, read now in the caller's thread (before `start`), so that it comes first."""
        if self._thread is not None:
            return []
        return self.poll()

    # ------------------------------------------------------------------ thread

    def run(self) -> None:
        """Poll until stopped: quickly while lines flow, backing off when idle."""
        interval = self.busy_interval
        while not self._stop.is_set():
            try:
                lines = self.poll()
            except Exception as exc:  # a follower must never take the lab down
                self._report("error", t(f"ログを読めません: {exc}", f"cannot read the log: {exc}"))
                lines = []
            if lines:
                self.on_lines(lines)
                interval = self.busy_interval
            else:
                interval = min(self.idle_interval, interval * 2)
            if self._stop.wait(interval):
                break
        self._close()

    def start(self) -> None:
        """Follow in a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=f"follow {self.source}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and close the file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._close()


SUDO_REFUSED = ("incorrect password", "sorry, try again", "is not in the sudoers",
                "a password is required", "may not run sudo")


def journal_argv(units: Sequence[str], history: int = HISTORY) -> list[str]:
    """The journalctl command that follows the mail services."""
    argv = ["journalctl", "--no-pager", "-f", "-n", str(history), "-o", "short-iso"]
    for unit in units:
        argv += ["-u", unit]
    return argv


def journal_units(platform: str | None) -> list[str]:
    """The units whose journal is the mail log: postfix (and Debian's postfix@-) and dovecot."""
    names = ["postfix@-", "postfix", "dovecot"]
    info = PLATFORMS.get(platform or "")
    if info is not None:
        names += [u.removesuffix(".service") for u in info.mail_units]
    return list(dict.fromkeys(names))


class JournalFollower:
    """Follow the systemd journal of the mail services through a journalctl child we own."""

    def __init__(
        self,
        on_lines: LinesCallback,
        on_status: StatusCallback | None = None,
        *,
        platform: str | None = None,
        history: int = HISTORY,
        argv: Sequence[str] | None = None,
        max_line: int = MAX_LINE,
        busy_interval: float = BUSY_INTERVAL,
        max_batch_lines: int = 5000,
        secret: str | None = None,
        source: str = "journalctl",
    ) -> None:
        self.argv = list(argv) if argv is not None else journal_argv(journal_units(platform),
                                                                     history)
        self.source = source
        self.secret = secret  # sudo's password, written once on stdin (never on a command line)
        self.on_lines = on_lines
        self.on_status = on_status
        self.platform = platform
        self.busy_interval = busy_interval
        self.max_batch_lines = max_batch_lines
        self._splitter = LineSplitter(max_line)
        self._errors = LineSplitter(max_line)
        self._child: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.state: FollowState | None = None

    def prime(self) -> list[str]:
        """Nothing: the journal's history arrives from the child like any other line."""
        return []

    @property
    def pid(self) -> int | None:
        """The journalctl child's process id while it runs."""
        return self._child.pid if self._child is not None else None

    def _report(self, state: FollowState, message: Localized) -> None:
        """Tell the caller about a change of state."""
        if state == self.state:
            return
        self.state = state
        if self.on_status is not None:
            self.on_status(FollowStatus(state, self.source, message))

    def start(self) -> None:
        """Start journalctl in its own session (so it never reads our terminal) and a reader."""
        if self._thread is not None:
            return
        env = {**os.environ, "SYSTEMD_PAGER": "cat", "SYSTEMD_COLORS": "0", "LC_ALL": "C.UTF-8"}
        stdin = subprocess.PIPE if self.secret is not None else subprocess.DEVNULL
        try:
            self._child = system.spawn(self.argv, stdin=stdin, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=env)
        except OSError as exc:
            self._report("error", t(f"{self.argv[0]} を起動できません: {exc}",
                                    f"cannot start {self.argv[0]}: {exc}"))
            return
        if self.secret is not None and self._child.stdin is not None:
            with contextlib.suppress(OSError):
                self._child.stdin.write(self.secret.encode() + b"\n")
            with contextlib.suppress(OSError):
                self._child.stdin.close()
        if self.source == "journalctl":
            self._report("following", t("systemd のジャーナル（postfix, dovecot）を表示しています",
                                        "following the systemd journal (postfix, dovecot)"))
        else:
            self._report("following", t(f"{self.source} を表示しています",
                                        f"following {self.source}"))
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="follow journal", daemon=True)
        self._thread.start()

    def run(self) -> None:
        """Read the child's output, delivering lines in batches, until it exits or we stop."""
        child = self._child
        assert child is not None and child.stdout is not None and child.stderr is not None
        out_fd, err_fd = child.stdout.fileno(), child.stderr.fileno()
        open_fds = {out_fd, err_fd}
        pending: list[str] = []
        while open_fds and not self._stop.is_set():
            ready, _, _ = select.select(list(open_fds), [], [], self.busy_interval)
            if not ready:
                if pending:
                    self.on_lines(pending)
                    pending = []
                continue
            for fd in ready:
                data = os.read(fd, CHUNK)
                if not data:
                    open_fds.discard(fd)
                    continue
                if fd == out_fd:
                    pending += self._splitter.feed(data)
                else:
                    self._stderr(self._errors.feed(data))
            if len(pending) >= self.max_batch_lines:
                self.on_lines(pending)
                pending = []
        pending += self._splitter.flush()
        if pending:
            self.on_lines(pending)
        if not self._stop.is_set():
            code = child.wait()
            self._report("error", t(f"journalctl が終了しました（終了コード {code}）",
                                    f"journalctl exited (status {code})"))

    def _stderr(self, lines: list[str]) -> None:
        """journalctl's (or sudo's) complaints: permission problems become the how-to-fix."""
        text = " ".join(lines).lower()
        if any(s in text for s in SUDO_REFUSED):
            self._report("denied", t("sudo のパスワードが違うか、sudo を使えないため、"
                                     "メールログを表示できません。",
                                     "the sudo password was wrong, or sudo may not be used: "
                                     "the mail log cannot be shown."))
        elif journal_denied(text):
            self._report("denied", permission_message("the journal", self.platform))

    def stop(self, timeout: float = 2.0) -> None:
        """End the journalctl child by its process id (its own process group) and the reader."""
        self._stop.set()
        child = self._child
        if child is not None:
            for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 2.0)):
                try:
                    os.killpg(child.pid, sig)
                except ProcessLookupError:
                    break
                except PermissionError:  # sudo's child runs as root: sudo passes SIGTERM on
                    with contextlib.suppress(OSError):
                        os.kill(child.pid, sig)
                try:
                    child.wait(grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if child is not None:
            for stream in (child.stdout, child.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        self._child = None
        self.state = "stopped"


def follow_mail_log(
    platform: str | None,
    on_lines: LinesCallback,
    on_status: StatusCallback | None = None,
    *,
    path: str | Path | None = None,
    history: int = HISTORY,
    root: str = "/",
) -> FileFollower | JournalFollower:
    """The right follower for this machine: the given file, the mail log file, or the journal.

    With no mail log file and no journalctl, the platform's usual file is followed and shows
    up once syslog creates it.
    """
    if path is not None:
        return FileFollower(path, on_lines, on_status, platform=platform, history=history)
    found = find_mail_log(platform, root)
    if found is not None:
        return FileFollower(found, on_lines, on_status, platform=platform, history=history)
    if shutil.which("journalctl"):
        return JournalFollower(on_lines, on_status, platform=platform, history=history)
    first = Path(root) / mail_log_candidates(platform)[0].lstrip("/")
    return FileFollower(first, on_lines, on_status, platform=platform, history=history)


def follow_as_root(
    platform: str | None,
    on_lines: LinesCallback,
    on_status: StatusCallback | None,
    password: str,
    *,
    path: str | Path | None = None,
    history: int = HISTORY,
    root: str = "/",
) -> JournalFollower:
    """Follow the mail log through sudo, as the textbook's `sudo tail -f` does.

    For a learner outside `adm` and `systemd-journal` (a stock machine's first user), or
    with AlmaLinux's root-only /var/log/maillog: `sudo -S` reads the learner's password from
    the child's stdin once; `-k` makes it ask every time, so that a wrong one is noticed.
    """
    target = Path(path) if path is not None else find_mail_log(platform, root)
    if target is not None:
        argv = system.sudo_argv(["tail", "-n", str(history), "-F", str(target)])
        source = f"sudo tail -F {target}"
    else:
        argv = system.sudo_argv(journal_argv(journal_units(platform), history))
        source = "sudo journalctl"
    return JournalFollower(on_lines, on_status, platform=platform, argv=argv, secret=password,
                           source=source)


class LineBuffer:
    """A bounded, thread-safe mailbox of lines between a follower thread and the screen.

    When the screen falls behind, the oldest waiting lines are dropped and counted, so memory
    stays bounded whatever the log's rate.
    """

    def __init__(self, max_lines: int = 20000) -> None:
        self.max_lines = max_lines
        self._lines: deque[str] = deque()
        self._lock = threading.Lock()
        self._dropped = 0
        self.total_dropped = 0
        self.total_in = 0

    def push(self, lines: Sequence[str]) -> bool:
        """Add lines; True when the buffer was empty before (the reader should be woken)."""
        with self._lock:
            was_empty = not self._lines
            self._lines.extend(lines)
            self.total_in += len(lines)
            excess = len(self._lines) - self.max_lines
            if excess > 0:
                for _ in range(excess):
                    self._lines.popleft()
                self._dropped += excess
                self.total_dropped += excess
            return was_empty

    def drain(self, limit: int | None = None) -> tuple[list[str], int]:
        """Take up to `limit` waiting lines, and how many were dropped since the last drain."""
        with self._lock:
            count = len(self._lines) if limit is None else min(limit, len(self._lines))
            out = [self._lines.popleft() for _ in range(count)]
            dropped, self._dropped = self._dropped, 0
            return out, dropped

    def __len__(self) -> int:
        with self._lock:
            return len(self._lines)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    """Poll `condition` until it is true or `timeout` passes (for tests and benchmarks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
