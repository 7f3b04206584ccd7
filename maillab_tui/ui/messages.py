"""Messages from workers and engine threads to the UI: plain data, one module (as in Toolong)."""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from textual.message import Message

from maillab_tui.checking.grading import Outcome
from maillab_tui.mail.logfollow import FollowStatus

if TYPE_CHECKING:  # the runner's types, without importing the runner at start-up
    from maillab_tui.run import BlockResult, PasswordPrompt, RunEvent, TerminalRequest
    from maillab_tui.run.events import Status

RunResult: TypeAlias = "BlockResult | Exception | None"
"""How a block ended: its result, the exception that stopped the runner, or None (the end
of a sequence)."""
BlockStatus: TypeAlias = "Status"


@dataclass
class LogLinesReady(Message):
    """New mail log lines wait in the app's line buffer (one such message in flight at a time)."""


@dataclass
class LogStatusChanged(Message):
    """The follower opened, lost, or cannot read the log."""

    status: FollowStatus


@dataclass
class RunOutput(Message):
    """A batch of output lines of the running command (already masked by the runner)."""

    run_id: int
    lines: list[str]


@dataclass
class RunEventPosted(Message):
    """A runner event: started, skipped, dialogue progress, captured value, stopping, finished."""

    run_id: int
    event: RunEvent


@dataclass
class RunWaiting(Message):
    """The program printed an unfinished line and went quiet: it may want typed input."""

    run_id: int
    partial: str


@dataclass
class RunDone(Message):
    """A command block ended (its `BlockResult`), or a run failed before it began."""

    run_id: int
    block_index: int
    result: RunResult


@dataclass
class PasswordWanted(Message):
    """The program asks for a password; put the answer (or None) in `reply`."""

    run_id: int
    prompt: PasswordPrompt
    reply: queue.Queue[str | None]


@dataclass
class CheckPasswordWanted(Message):
    """A check needs root: ask for the learner's sudo password; the answer (or None) in `reply`."""

    wrong: bool
    reply: queue.Queue[str | None]
    prompt: str = "check.sudo"  # the strings key saying what the password is for


@dataclass
class TerminalWanted(Message):
    """A block needs the real terminal; put the exit code (or None) in `reply`."""

    run_id: int
    request: TerminalRequest
    reply: queue.Queue[int | None]


@dataclass
class CheckAttempt(Message):
    """One attempt of a waiting check finished without passing (it will try again)."""

    check_run: int
    index: int
    attempt: int


@dataclass
class CheckDone(Message):
    """One check of the current step finished."""

    check_run: int
    index: int
    outcome: Outcome


@dataclass
class RecheckDone(Message):
    """A finished step was checked again after a restart."""

    step_id: str
    outcomes: list[Outcome]
