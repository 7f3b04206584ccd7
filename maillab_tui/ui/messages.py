"""Messages from workers and engine threads to the UI: plain data, one module (as in Toolong)."""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from maillab_tui.checking.grading import Outcome
from maillab_tui.mail.logfollow import FollowStatus


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
    event: Any


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
    result: Any


@dataclass
class PasswordWanted(Message):
    """The program asks for a password; put the answer (or None) in `reply`."""

    run_id: int
    prompt: Any
    reply: queue.Queue[str | None]


@dataclass
class CheckPasswordWanted(Message):
    """A check needs root: ask for the learner's sudo password; the answer (or None) in `reply`."""

    wrong: bool
    reply: queue.Queue[str | None]


@dataclass
class TerminalWanted(Message):
    """A block needs the real terminal; put the exit code (or None) in `reply`."""

    run_id: int
    request: Any
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
class SkipDone(Message):
    """The step's solution ran: ok, or the reason it failed."""

    step_id: str
    ok: bool
    why: str


@dataclass
class RecheckDone(Message):
    """A finished step was checked again after a restart."""

    step_id: str
    outcomes: list[Outcome]
