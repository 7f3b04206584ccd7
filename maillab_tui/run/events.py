"""What a run tells its listener, and what it returns: events, requests and the block's result.

Every text here is already masked: secrets never reach a listener.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from maillab_tui.run.secrets import PasswordPrompt
from maillab_tui.text import Localized

Status = Literal["ok", "failed", "timeout", "cancelled", "skipped", "stopped", "error"]
Mode = Literal["stream", "autopilot", "interactive", "terminal"]

OK_STATUSES = frozenset({"ok", "skipped", "stopped"})


def _frozen() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class TerminalRequest:
    """A block that needs the real terminal (an editor, a full-screen program), and how to run it.

    `argv` is complete (target prefix, `sudo -e`, the editor): run it in the foreground with
    `run_foreground(request.argv)` while the UI is suspended, and return its exit code.
    """

    argv: tuple[str, ...]
    reason: Literal["edit", "terminal"]
    command: str
    file: str | None = None
    editor: str | None = None


@dataclass(frozen=True)
class DialogueFailure:
    """Where a scripted dialogue went wrong: the chapter line, the expectation, and the screen."""

    line: int
    expected: str
    reason: Literal["silent", "different", "exited", "timeout"]
    waited: float
    screen: tuple[str, ...]
    exit_code: int | None = None


@dataclass(frozen=True)
class BlockResult:
    """How a block ended. `output` and `command` are masked; `captured` holds real values."""

    status: Status
    command: str
    exit_code: int | None = None
    duration: float = 0.0
    output: tuple[str, ...] = ()
    omitted: int = 0
    captured: Mapping[str, str] = field(default_factory=_frozen)
    message: Localized | None = None
    failure: DialogueFailure | None = None
    leftovers: tuple[int, ...] = ()
    terminal: TerminalRequest | None = None
    mode: Mode = "stream"

    @property
    def ok(self) -> bool:
        """True when the block ran fine, had already been done, or was stopped on purpose."""
        return self.status in OK_STATUSES


@dataclass(frozen=True)
class BlockStarted:
    """A block starts: the expanded command (masked), who runs it, how."""

    command: str
    kind: str
    user: str | None
    where: str
    mode: Mode
    line: int


@dataclass(frozen=True)
class BlockSkipped:
    """A block was not run: it had already been done (`once`)."""

    message: Localized


@dataclass(frozen=True)
class PasswordTyped:
    """The runner typed a password by itself (autopilot, a remembered sudo password, a retype)."""

    prompt: PasswordPrompt
    source: Literal["autopilot", "remembered", "retype"]


@dataclass(frozen=True)
class DialogueProgress:
    """A dialogue turn was done: an expectation matched, or text was typed (masked)."""

    line: int
    expect: str | None = None
    sent: str | None = None


@dataclass(frozen=True)
class ValueCaptured:
    """A value was taken from the output for later blocks (masked if it is a secret)."""

    name: str
    value: str


@dataclass(frozen=True)
class Stopping:
    """Stopping the program: `interrupt` (Ctrl-C), `terminate` (SIGTERM), `kill` (SIGKILL).

    `why`: cancelled, out of time, or failed (a dialogue that went wrong is stopped too).
    """

    stage: Literal["interrupt", "terminate", "kill"]
    why: Literal["cancel", "timeout", "failed"]


@dataclass(frozen=True)
class BlockFinished:
    """The block's result, also returned by `execute()`."""

    result: BlockResult


RunEvent = (
    BlockStarted | BlockSkipped | PasswordTyped | DialogueProgress | ValueCaptured | Stopping
    | BlockFinished
)


class Listener:
    """Receives a run's output and questions; subclass and override what you need.

    Called in the thread that runs the block (a Textual thread worker): post messages to the
    UI from here (`app.call_from_thread`), never touch widgets directly.
    """

    def on_event(self, event: RunEvent) -> None:
        """Progress notices: started, skipped, dialogue turns, captures, stopping, finished."""

    def on_output(self, lines: list[str]) -> None:
        """A batch of complete output lines (stdout and stderr together, cleaned, masked)."""

    def on_waiting(self, partial: str) -> None:
        """The program printed this unterminated line and went quiet: it may want input.

        Offer an input line; send the answer with `Run.write(text + "\\r")`.
        """

    def on_chunk(self, data: str) -> None:
        """Raw terminal output (escape sequences kept), for interactive runs only."""

    def on_password_prompt(self, prompt: PasswordPrompt) -> str | None:
        """The program asks for a password: return it (typed, never recorded), None to cancel."""
        return None

    def on_needs_terminal(self, request: TerminalRequest) -> int | None:
        """Run `request.argv` in the real terminal and return its exit code; None to decline."""
        return None
