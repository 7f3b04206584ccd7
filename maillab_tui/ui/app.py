"""The lab app (a first screen: the chapter's steps and the current step's text)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, ListItem, ListView, Markdown, Static

from maillab_tui.chapter import Chapter


class LabApp(App[int]):
    """Steps on the left, the current step on the right."""

    CSS = """
    #steps { width: 32; border-right: solid $primary; }
    #step { padding: 0 1; }
    """
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, chapter: Chapter, host: str | None, platform: str | None,
                 language: str = "ja", free: bool = False, why: str = "") -> None:
        super().__init__()
        self.chapter = chapter
        self.host = host
        self.platform = platform
        self.language = language
        self.free = free
        self.why = why

    def compose(self) -> ComposeResult:
        """Header, step list, step text, footer."""
        yield Header()
        steps = self.chapter.steps_for(self.host) if self.host else self.chapter.steps
        yield ListView(*[ListItem(Static(s.title)) for s in steps], id="steps")
        first = steps[0].body if steps else self.chapter.intro
        yield Markdown(self.why or first, id="step")
        yield Footer()

    def on_mount(self) -> None:
        """Show chapter, host and platform in the header."""
        self.title = self.chapter.title
        self.sub_title = f"{self.host or '?'} · {self.platform or '?'}"
