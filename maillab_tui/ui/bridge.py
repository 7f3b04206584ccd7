"""The runner's listener for the UI: turns its callbacks (in a worker thread) into messages.

The runner calls these from the thread that runs the block. Output and events are posted;
questions (a password, the real terminal) are posted with a reply queue, and the thread waits
for the answer while staying cancellable.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from textual.app import App

from maillab_tui.run import LineCleaner, Listener, PasswordPrompt, RunEvent, TerminalRequest
from maillab_tui.ui.messages import (
    PasswordWanted,
    RunEventPosted,
    RunOutput,
    RunWaiting,
    TerminalWanted,
)

POLL = 0.1


class UIListener(Listener):
    """Posts a run's output and questions to the app; never touches a widget."""

    def __init__(self, app: App[Any], run_id: int, cancelled: threading.Event) -> None:
        self.app = app
        self.run_id = run_id
        self.cancelled = cancelled
        self._screen = LineCleaner()
        self._partial = ""

    def on_event(self, event: RunEvent) -> None:
        """Progress notices become messages."""
        self.app.post_message(RunEventPosted(self.run_id, event))

    def on_output(self, lines: list[str]) -> None:
        """A batch of output lines becomes one message."""
        self.app.post_message(RunOutput(self.run_id, list(lines)))

    def on_waiting(self, partial: str) -> None:
        """An unfinished line: the interactive pane shows it as the prompt."""
        self.app.post_message(RunWaiting(self.run_id, partial))

    def on_chunk(self, data: str) -> None:
        """A driven command's raw output (the runner sends nothing else while the learner
        drives): complete lines go to the output pane, the unfinished last one is the prompt.
        """
        lines = self._screen.feed(data)
        if lines:
            self.app.post_message(RunOutput(self.run_id, lines))
        partial = self._screen.partial
        if partial != self._partial:
            self._partial = partial
            self.app.post_message(RunWaiting(self.run_id, partial))

    def _wait(self, reply: queue.Queue[Any]) -> Any:
        """The UI's answer, or None when the run is cancelled meanwhile."""
        while True:
            try:
                return reply.get(timeout=POLL)
            except queue.Empty:
                if self.cancelled.is_set():
                    return None

    def on_password_prompt(self, prompt: PasswordPrompt) -> str | None:
        """Ask the learner in a modal with a hidden input; None cancels the run."""
        reply: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self.app.post_message(PasswordWanted(self.run_id, prompt, reply))
        answer: str | None = self._wait(reply)
        return answer

    def on_needs_terminal(self, request: TerminalRequest) -> int | None:
        """Have the UI suspend itself and run the program on the real terminal."""
        reply: queue.Queue[int | None] = queue.Queue(maxsize=1)
        self.app.post_message(TerminalWanted(self.run_id, request, reply))
        code: int | None = self._wait(reply)
        return code
