"""The gate bar under the step: whether the learner may go on, and the buttons to move."""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from maillab_tui.ui.strings import tr

GateLook = Literal["open", "blocked", "warn", ""]


class GateBar(Horizontal):
    """`✔ 次へ進めます` / `✘ ...` with ◀, the check button and Next ▶."""

    DEFAULT_CSS = """
    GateBar { height: auto; max-height: 3; background: $boost; }
    GateBar #gate-text { width: 1fr; height: auto; padding: 0 1; }
    GateBar #gate-text.blocked { color: $error; text-style: bold; }
    GateBar #gate-text.open { color: $success; }
    GateBar #gate-text.warn { color: $warning; }
    GateBar Button { margin-left: 1; min-width: 6; }
    """

    def compose(self) -> ComposeResult:
        """The text, then ◀, check and Next ▶."""
        yield Static("", id="gate-text")
        yield Button("◀", id="prev-button", compact=True)
        yield Button("", id="check-button", compact=True)
        yield Button("", id="next-button", compact=True, variant="primary")

    def set_language(self, language: str) -> None:
        """The buttons' words in `language`."""
        self.query_one("#check-button", Button).label = tr("gate.check-button", language)
        self.query_one("#next-button", Button).label = tr("gate.next-button", language)

    def show(self, text: str, look: GateLook, *, back: bool, forward: bool) -> None:
        """Say `text` in the look of the gate's state; enable ◀ and Next ▶ as allowed."""
        gate = self.query_one("#gate-text", Static)
        gate.set_classes(look)
        gate.update(Text(text))
        self.query_one("#prev-button", Button).disabled = not back
        self.query_one("#next-button", Button).disabled = not forward
