"""Carrying out a step's command blocks: streamed, scripted, interactive, cancellable, masked.

`Runner` holds what lasts across blocks (target, variables and captured values, secrets, the
transcript, a remembered sudo password); `Run` is one execution of one block, blocking in the
calling thread, controllable (`cancel`, `write`, `resize`) from any other thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from maillab_tui.chapter.model import Chapter, CommandBlock
from maillab_tui.chapter.variables import (
    host_values,
)
from maillab_tui.run.block import NO_TTY, Run, block_key
from maillab_tui.run.events import (
    BlockResult,
    Listener,
)
from maillab_tui.run.secrets import Secrets
from maillab_tui.run.target import Target
from maillab_tui.run.transcript import Transcript


@dataclass(frozen=True)
class Timing:
    """Timeouts and grace periods in seconds; timeouts scale with MAILLAB_TIME_FACTOR."""

    plain: float = 600.0
    expect: float = 120.0
    once_test: float = 60.0
    batch_interval: float = 0.05
    batch_lines: int = 100
    settle: float = 0.05
    waiting_idle: float = 0.3
    mismatch_idle: float = 15.0
    echo_wait: float = 1.0
    drain: float = 0.5
    interrupt_grace: float = 2.0
    terminate_grace: float = 2.0
    kill_wait: float = 3.0



class Runner:
    """Runs command blocks for one learner, chapter and host; keeps values, secrets, transcript."""

    def __init__(
        self,
        target: Target | None = None,
        *,
        values: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        secret_names: Iterable[str] = (),
        transcript: Transcript | None = None,
        chapter_id: str = "",
        host: str = "",
        source: str = "",
        autopilot: bool = False,
        timing: Timing | None = None,
        rows: int = 40,
        cols: int = 120,
        term: str = "dumb",
        interactive_term: str = "xterm-256color",
        sudo_remember: float = 900.0,
        editor_env: Mapping[str, str] | None = None,
        ran_before: Callable[[CommandBlock], bool] | None = None,
    ) -> None:
        """`values` fill `{{ name }}`; captured values are added as blocks run."""
        self.target = target or Target()
        self.values: dict[str, str] = dict(values or {})
        self.secret_names = tuple(secret_names)
        self.secrets = Secrets(secrets)
        for name in self.secret_names:
            self.secrets.add(self.values.get(name))
        self.transcript = transcript
        self.chapter_id, self.host, self.source = chapter_id, host, source
        self.autopilot = autopilot
        self.timing = timing or Timing()
        self.rows, self.cols = rows, cols
        self.term, self.interactive_term = term, interactive_term
        self.sudo_remember = sudo_remember
        self.editor_env = editor_env
        self.ran_before = ran_before
        self._lock = threading.Lock()
        self._active: set[Run] = set()
        self._sudo: tuple[str, float] | None = None

    @classmethod
    def for_chapter(cls, chapter: Chapter, host: str, platform: str = "",
                    target: Target | None = None, *, record: bool = True,
                    **settings: Any) -> Runner:
        """A runner with the chapter's values for `host` and its secrets, recording a transcript."""
        names = [n for n, v in chapter.variables.items() if v.secret]
        return cls(
            target, values=host_values(chapter, host, platform), secrets=chapter.secrets(),
            secret_names=names,
            transcript=Transcript.for_chapter(chapter.id, host) if record else None,
            chapter_id=chapter.id, host=host, source=chapter.path.name, **settings,
        )

    # -- running ---------------------------------------------------------------------------

    def start(self, block: CommandBlock, listener: Listener | None = None, *,
              step: str | None = None, interactive: bool | None = None) -> Run:
        """A run of `block`, not started yet: call `execute()` in a worker thread."""
        return Run(self, block, listener or Listener(), step=step, interactive=interactive)

    def run_block(self, block: CommandBlock, listener: Listener | None = None, *,
                  step: str | None = None, interactive: bool | None = None) -> BlockResult:
        """Run `block` to the end (blocking) and return how it went."""
        return self.start(block, listener, step=step, interactive=interactive).execute()

    def run_command(self, command: str, listener: Listener | None = None, *,
                    user: str | None = None, kind: str = "plain",
                    timeout: float | None = None) -> BlockResult:
        """Run a command that is not in the chapter (typed by the learner), like a block."""
        block = CommandBlock(line=0, code=command, kind=kind, user=user,  # type: ignore[arg-type]
                             timeout=timeout)
        return self.run_block(block, listener)

    def cancel(self) -> None:
        """Cancel every run in progress (callable from any thread)."""
        with self._lock:
            runs = list(self._active)
        for run in runs:
            run.cancel()

    @property
    def busy(self) -> bool:
        """Whether a run is in progress."""
        with self._lock:
            return bool(self._active)

    def sudo_password(self) -> str | None:
        """The learner's sudo password while it is remembered (checks that need root use it)."""
        return self._remembered_sudo()

    def remember_sudo_password(self, password: str | None) -> None:
        """Remember a sudo password the learner typed elsewhere (for a check), as a run would."""
        self._remember_sudo(password)
        if password:
            self.secrets.add(password)

    def forget_sudo_password(self) -> None:
        """Ask again next time sudo wants a password."""
        with self._lock:
            self._sudo = None

    # -- for runs ---------------------------------------------------------------------------

    def _register(self, run: Run, active: bool) -> None:
        with self._lock:
            (self._active.add if active else self._active.discard)(run)

    def _remembered_sudo(self) -> str | None:
        with self._lock:
            if self._sudo and time.monotonic() - self._sudo[1] < self.sudo_remember:
                return self._sudo[0]
            self._sudo = None
            return None

    def _remember_sudo(self, password: str | None) -> None:
        with self._lock:
            keep = bool(password) and self.sudo_remember > 0
            self._sudo = (password, time.monotonic()) if password and keep else None

    def _secret_for(self, block: CommandBlock) -> str | None:
        """A password block's chapter value: `secret=NAME`, else the only secret variable."""
        name = block.secret or (self.secret_names[0] if len(self.secret_names) == 1 else None)
        return self.values.get(name) if name else None

    def _capture(self, name: str, value: str) -> None:
        with self._lock:
            self.values[name] = value
        if name in self.secret_names:
            self.secrets.add(value)


__all__ = ["NO_TTY", "Run", "Runner", "Timing", "block_key"]
