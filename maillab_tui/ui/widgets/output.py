"""The output pane: the running command's output, and the line the learner types into it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Log, Static


class OutputPane(Vertical):
    """The running command's output, and the input line of a command the learner drives."""

    DEFAULT_CSS = """
    OutputPane {
        height: 10;
        border: round $secondary;
        border-title-color: $text;
        display: none;
        &.shown { display: block; }
        Log { height: 1fr; }
        #interactive { height: auto; display: none; }
        #interactive.shown { display: block; }
        #interactive .row { height: 1; }
        #interactive-prompt { width: auto; max-width: 50%; color: $warning; }
        #interactive-input { width: 1fr; height: 1; border: none; padding: 0; }
        #interactive-hint { color: $text-muted; height: 1; }
    }
    """

    class Typed(Input):
        """The line the learner types into a driven command; ctrl+d sends end-of-input."""

        BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+d", "eof", "EOF", show=False)]

        class EndOfInput(Input.Changed):
            """ctrl+d was pressed."""

        def action_eof(self) -> None:
            """Send ctrl+d to the program."""
            self.post_message(self.EndOfInput(self, self.value))

    def compose(self) -> ComposeResult:
        """The output log, then the input row."""
        yield Log(max_lines=2000, id="output-log")
        with Vertical(id="interactive"):
            with Horizontal(classes="row"):
                yield Static("", id="interactive-prompt")
                yield self.Typed(id="interactive-input")
            yield Static("", id="interactive-hint")

    @property
    def lines(self) -> Log:
        """The output lines."""
        return self.query_one("#output-log", Log)

    def columns(self) -> int | None:
        """The output's width, for a program the learner drives (None while too narrow)."""
        width = self.lines.content_size.width
        return width if width >= 20 else None

    def start(self, title: str, interactive: bool, hint: str) -> None:
        """A new run: clear the lines, title the pane, show the input row for a driven one."""
        self.lines.clear()
        self.border_title = title
        self.query_one("#interactive").set_class(interactive, "shown")
        if interactive:
            self.query_one("#interactive-hint", Static).update(hint)
            self.query_one("#interactive-prompt", Static).update("")

    def end(self) -> None:
        """The run is over: no more input row."""
        self.query_one("#interactive").set_class(False, "shown")
