"""One program under a pseudo-terminal (pexpect): read, write, resize, and stop its whole family."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import termios
import threading
import time
from collections.abc import Mapping, Sequence

import pexpect

from maillab_tui.run import proctree
from maillab_tui.run.proctree import ProcKey

TRACK_INTERVAL = 1.0


class SpawnError(Exception):
    """The program could not be started (not found, not executable)."""


class _Spawn(pexpect.spawn):
    """pexpect.spawn that lets the child inherit some descriptors (ptyprocess can)."""

    pass_fds: tuple[int, ...] = ()

    def _spawnpty(self, args: list[str], **kwargs: object) -> object:
        import ptyprocess

        return ptyprocess.PtyProcess.spawn(args, pass_fds=self.pass_fds, **kwargs)


class PtySession:
    """A child process on a pty of its own, in a session of its own."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], rows: int, cols: int,
                 pass_fds: Sequence[int] = ()) -> None:
        self.pass_fds = tuple(pass_fds)
        self.argv = list(argv)
        self.env = dict(env)
        self.rows, self.cols = rows, cols
        self._child: pexpect.spawn | None = None
        self._write_lock = threading.Lock()
        self._known: set[ProcKey] = set()
        self._tracked_at = 0.0
        self.exit_code: int | None = None
        self.signal: int | None = None

    # -- life --------------------------------------------------------------------------

    def start(self) -> None:
        """Spawn the program; raise SpawnError when it cannot run."""
        try:
            spawn = type("Spawn", (_Spawn,), {"pass_fds": self.pass_fds})
            child = spawn(
                self.argv[0], self.argv[1:], env=self.env, encoding="utf-8",
                codec_errors="replace", dimensions=(self.rows, self.cols), use_poll=True,
                echo=True, timeout=None,
            )
        except pexpect.ExceptionPexpect as exc:
            raise SpawnError(str(exc)) from None
        except OSError as exc:
            raise SpawnError(f"{self.argv[0]}: {exc.strerror or exc}") from None
        child.delayafterclose = 0
        child.delayafterterminate = 0
        child.ptyproc.delayafterclose = 0
        child.ptyproc.delayafterterminate = 0
        self._child = child
        self.track(force=True)

    @property
    def pid(self) -> int:
        """The child's pid, which is also its session and process group id."""
        assert self._child is not None
        return int(self._child.pid)

    @property
    def fd(self) -> int:
        """The pty master."""
        assert self._child is not None
        return int(self._child.child_fd)

    def alive(self) -> bool:
        """Whether the child itself still runs (reaps it when it has exited)."""
        if self._child is None:
            return False
        try:
            alive = bool(self._child.isalive())
        except pexpect.ExceptionPexpect:
            alive = False
        if not alive and self.exit_code is None:
            status, sig = self._child.exitstatus, self._child.signalstatus
            self.signal = sig
            self.exit_code = 128 + int(sig) if sig is not None else int(status or 0)
        return alive

    # -- input and output ----------------------------------------------------------------

    def read(self, timeout: float) -> str | None:
        """Output available within `timeout` seconds ('' if none); None at end of output."""
        assert self._child is not None
        try:
            return str(self._child.read_nonblocking(65536, timeout))
        except pexpect.TIMEOUT:
            return ""
        except (pexpect.EOF, ValueError, OSError):
            return None

    def write(self, data: str, timeout: float = 5.0) -> None:
        """Type `data` into the terminal; bounded, so a program that never reads cannot hang us."""
        payload = data.encode("utf-8")
        deadline = time.monotonic() + timeout
        with self._write_lock:
            while payload:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the program is not reading its input")
                _, ready, _ = select.select([], [self.fd], [], min(remaining, 0.2))
                if ready:
                    try:
                        written = os.write(self.fd, payload[:1024])
                    except BlockingIOError:
                        continue
                    payload = payload[written:]

    def resize(self, rows: int, cols: int) -> None:
        """Tell the program the terminal's new size (it gets SIGWINCH)."""
        self.rows, self.cols = rows, cols
        if self._child is not None and not self._child.closed:
            self._child.setwinsize(rows, cols)

    def _lflag(self) -> int | None:
        try:
            return int(termios.tcgetattr(self.fd)[3])
        except (termios.error, OSError, AssertionError):
            return None

    def echo_off(self) -> bool:
        """True when the terminal does not echo input (a password is being read, or raw mode)."""
        lflag = self._lflag()
        return lflag is not None and not lflag & termios.ECHO

    # -- stopping ------------------------------------------------------------------------

    def track(self, force: bool = False) -> None:
        """Remember the family's members now and then, to find them even after re-parenting."""
        now = time.monotonic()
        if self._child is None or (not force and now - self._tracked_at < TRACK_INTERVAL):
            return
        self._tracked_at = now
        self._known |= set(proctree.family(self.pid, self._known))

    def interrupt(self) -> None:
        """Ctrl-C: typed into the terminal; SIGINT to its foreground group too in raw mode."""
        lflag = self._lflag()
        # The foreground group is read before the ^C: once the program exits on it, the
        # terminal has none, tcgetpgrp says 0, and killpg(0) would signal our own group (the
        # TUI quit on Ctrl-C now and then at the follow step).
        try:
            group = os.tcgetpgrp(self.fd)
        except OSError:
            group = self.pid
        with contextlib.suppress(TimeoutError, OSError):
            self.write("\x03", timeout=0.5)
        if lflag is not None and lflag & termios.ISIG:
            return  # the terminal turned the ^C into SIGINT itself
        own = os.getpgrp()
        for target in {group, self.pid}:
            if target <= 0 or target == own:
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
                os.killpg(target, signal.SIGINT)

    def family(self) -> dict[ProcKey, proctree.ProcInfo]:
        """The living members of the child's family (including the child)."""
        if self._child is None:
            return {}
        self.alive()  # reap the child if it has exited, so it does not count
        return proctree.family(self.pid, self._known)

    def signal_family(self, sig: signal.Signals) -> None:
        """Send `sig` to every member of the family."""
        members = self.family()
        self._known |= set(members)
        proctree.signal_family(members.values(), sig)

    def wait_gone(self, timeout: float) -> list[int]:
        """Wait until no member is left (bounded); the pids still alive."""
        self.alive()
        left = proctree.wait_gone(self.pid, self._known, timeout) if self._child else {}
        return sorted(p.pid for p in left.values())

    def close(self) -> None:
        """Close the pty (the child must have been reaped or stopped by then)."""
        if self._child is not None and not self._child.closed:
            with contextlib.suppress(pexpect.ExceptionPexpect, OSError):
                self._child.close(force=True)
            self.alive()
