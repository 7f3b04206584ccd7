"""Running a step's command blocks on this machine or inside a lab host (no UI here).

    runner = Runner.for_chapter(chapter, "host1", "debian12")
    result = runner.run_block(block, listener)      # blocking: call it in a worker thread
    runner.cancel()                                  # from any thread

See docs/runner.md.
"""

from __future__ import annotations

from maillab_tui.run.events import (
    BlockFinished,
    BlockResult,
    BlockSkipped,
    BlockStarted,
    DialogueFailure,
    DialogueProgress,
    Listener,
    PasswordTyped,
    RunEvent,
    Stopping,
    TerminalRequest,
    ValueCaptured,
)
from maillab_tui.run.foreground import run_foreground
from maillab_tui.run.runner import Run, Runner, Timing, block_key
from maillab_tui.run.screen import LineCleaner, strip_ansi
from maillab_tui.run.secrets import PasswordPrompt, Secrets, recognise_prompt
from maillab_tui.run.target import Target
from maillab_tui.run.transcript import Transcript, state_dir, transcript_path

__all__ = [
    "BlockFinished",
    "BlockResult",
    "BlockSkipped",
    "BlockStarted",
    "DialogueFailure",
    "DialogueProgress",
    "LineCleaner",
    "Listener",
    "PasswordPrompt",
    "PasswordTyped",
    "Run",
    "RunEvent",
    "Runner",
    "Secrets",
    "Stopping",
    "Target",
    "TerminalRequest",
    "Timing",
    "Transcript",
    "ValueCaptured",
    "block_key",
    "recognise_prompt",
    "run_foreground",
    "state_dir",
    "strip_ansi",
    "transcript_path",
]
