"""The mail log pane: wrapped, marked lines, a cursor to explain one, and a step separator.

A line-API widget (like Textual's `Log`) so that thousands of lines cost nothing until they
are on screen; unlike `Log` it wraps long lines (a narrow pane shows whole Postfix lines),
marks each kind of line with words as well as colours (readable with NO_COLOR), keeps a cursor,
and follows new lines only while the learner has not scrolled up.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from typing import ClassVar

from rich.cells import cell_len, get_character_cell_size
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from maillab_tui.mail.logfollow import FollowStatus, LineBuffer
from maillab_tui.mail.patterns import MARKERS, PROBLEM_KINDS, LineKind, classify, compact
from maillab_tui.ui.strings import tr

SEPARATOR = "separator"
NOTICE = "notice"


def fold_offsets(text: str, width: int) -> list[int]:
    """Where to cut `text` so that no piece is wider than `width` cells (wide characters whole)."""
    if width <= 0:
        return []
    offsets: list[int] = []
    used = 0
    for index, char in enumerate(text):
        size = get_character_cell_size(char)
        if used + size > width and used > 0:
            offsets.append(index)
            used = 0
        used += size
    return offsets


def rows_needed(text: str, width: int) -> int:
    """How many rows `text` takes when folded at `width` cells."""
    if width <= 0:
        return 1
    if text.isascii():
        return max(1, math.ceil(len(text) / width))
    if cell_len(text) <= width:
        return 1
    return len(fold_offsets(text, width)) + 1


class MailLogView(ScrollView, can_focus=True):
    """Mail log lines, wrapped and marked by kind, with a cursor and follow mode."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "maillog--panic", "maillog--fatal", "maillog--error", "maillog--reject",
        "maillog--bounced", "maillog--deferred", "maillog--sent", "maillog--login-fail",
        "maillog--login-ok", "maillog--warning", "maillog--separator", "maillog--notice",
        "maillog--cursor",
    }
    DEFAULT_CSS = """
    MailLogView {
        background: $surface;
        color: $text;
        overflow-y: scroll;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .maillog--panic { color: $error; text-style: bold reverse; }
        & > .maillog--fatal { color: $error; text-style: bold; }
        & > .maillog--error { color: $error; text-style: bold; }
        & > .maillog--reject { color: $error; }
        & > .maillog--bounced { color: $error; }
        & > .maillog--deferred { color: $warning; }
        & > .maillog--warning { color: $warning; }
        & > .maillog--login-fail { color: $warning; text-style: bold; }
        & > .maillog--sent { color: $success; }
        & > .maillog--login-ok { color: $success; }
        & > .maillog--separator { color: $text; background: $primary 40%; text-style: bold; }
        & > .maillog--notice { color: $text-muted; text-style: italic; }
        & > .maillog--cursor { text-style: reverse; }
        &:focus { background-tint: $foreground 5%; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "↑", show=False),
        Binding("down", "cursor_down", "↓", show=False),
        Binding("pageup", "page_up_lines", show=False),
        Binding("pagedown", "page_down_lines", show=False),
        Binding("home", "cursor_home", show=False),
        Binding("end", "cursor_end", show=False),
    ]

    follow: var[bool] = var(True)
    """Scroll to new lines as they come (off while the learner looks further up)."""

    def __init__(self, max_lines: int = 5000, language: str = "ja", *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.max_lines = max_lines
        self.language = language
        self._texts: list[str] = []
        self._kinds: list[str] = []
        self._heights: list[int] = []
        self._starts: list[int] = []
        self._rows = 0
        self._first_id = 0
        self._width = 0
        self.cursor: int | None = None
        self.counts: Counter[str] = Counter()
        self._cache: LRUCache[tuple[int, int], list[Strip]] = LRUCache(2048)
        self._prune_slack = max(1, max_lines // 10)

    # ------------------------------------------------------------------ content

    @property
    def line_count(self) -> int:
        """How many lines are kept."""
        return len(self._texts)

    def kind_at(self, index: int) -> str:
        """The kind of the line at a position (LineKind value, separator or notice)."""
        return self._kinds[index]

    def text_at(self, index: int) -> str:
        """The line at a position as received."""
        return self._texts[index]

    def display_text(self, index: int) -> str:
        """What the pane shows for a line: the marker, then the line without date and host."""
        kind = self._kinds[index]
        text = self._texts[index]
        if kind in (SEPARATOR, NOTICE):
            return text
        marker = MARKERS.get(LineKind(kind))
        short = compact(text)
        return f"{marker.get(self.language)} {short}" if marker is not None else short

    def _append(self, text: str, kind: str) -> None:
        """Add one line to the model (the caller refreshes)."""
        self._texts.append(text)
        self._kinds.append(kind)
        self._starts.append(self._rows)
        height = rows_needed(self.display_text(len(self._texts) - 1), self._width or 80)
        self._heights.append(height)
        self._rows += height

    def write_lines(self, lines: list[str]) -> None:
        """Add mail log lines, classified and marked; follow them if following."""
        if not lines:
            return
        for line in lines:
            kind = str(classify(line))
            self._append(line, kind)
            if kind != LineKind.NORMAL:
                self.counts[kind] += 1
        self._after_write()

    def add_separator(self, text: str) -> None:
        """A visible line marking where a step began; counts start again after it."""
        self._append(text, SEPARATOR)
        self.counts.clear()
        self._after_write()

    def add_notice(self, text: str) -> None:
        """A line from the lab itself (lines dropped, the log rotated)."""
        self._append(text, NOTICE)
        self._after_write()

    def _after_write(self) -> None:
        """Prune to the maximum, update the virtual size, follow."""
        if len(self._texts) > self.max_lines + self._prune_slack:
            self._prune(len(self._texts) - self.max_lines)
        self.virtual_size = Size(self._width or 80, self._rows)
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def _prune(self, count: int) -> None:
        """Drop the oldest `count` lines, keeping the view where it was if not following."""
        removed_rows = self._starts[count] if count < len(self._starts) else self._rows
        del self._texts[:count], self._kinds[:count], self._heights[:count]
        self._first_id += count
        self._rebuild_starts()
        if self.cursor is not None and self.cursor < self._first_id:
            self.cursor = None
        if not self.follow:
            self.scroll_to(y=max(0, self.scroll_y - removed_rows), animate=False, immediate=True)

    def _rebuild_starts(self) -> None:
        """Row offsets from the heights."""
        rows = 0
        starts: list[int] = []
        for height in self._heights:
            starts.append(rows)
            rows += height
        self._starts = starts
        self._rows = rows

    def _relayout(self) -> None:
        """Heights for the current width and language (after a resize or a language switch)."""
        width = self._width or 80
        self._heights = [rows_needed(self.display_text(i), width) for i in range(len(self._texts))]
        self._rebuild_starts()
        self._cache.clear()
        self.virtual_size = Size(width, self._rows)
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def set_language(self, language: str) -> None:
        """Show markers in another language."""
        if language != self.language:
            self.language = language
            self._relayout()

    def clear(self) -> None:
        """Forget every line."""
        self._texts.clear()
        self._kinds.clear()
        self._heights.clear()
        self._starts.clear()
        self._rows = 0
        self.cursor = None
        self.counts.clear()
        self._cache.clear()
        self.virtual_size = Size(self._width or 80, 0)
        self.refresh()

    # ------------------------------------------------------------------ rendering

    def on_resize(self, event: events.Resize) -> None:
        """Wrap again for the new width."""
        width = self.scrollable_content_region.width
        if width > 0 and width != self._width:
            self._width = width
            self._relayout()

    def notify_style_update(self) -> None:
        """Styles changed (theme): render again."""
        super().notify_style_update()
        self._cache.clear()

    def _style(self, kind: str) -> Style:
        """The style of a line of this kind."""
        base = self.rich_style
        if kind == LineKind.NORMAL:
            return base
        return base + self.get_component_rich_style(f"maillog--{kind}", partial=True)

    def _strips(self, index: int) -> list[Strip]:
        """A line folded into rows at the current width (cached)."""
        line_id = self._first_id + index
        key = (line_id, self._width)
        cached = self._cache.get(key)
        selected = self.cursor == line_id
        if cached is not None and not selected:
            return cached
        width = self._width or 80
        kind = self._kinds[index]
        style = self._style(kind)
        if selected:
            style = style + self.get_component_rich_style("maillog--cursor", partial=True)
        text = Text(self.display_text(index).replace("\t", "    "), style=style, no_wrap=True,
                    end="")
        pieces = text.divide(fold_offsets(text.plain, width)) if text.plain else [text]
        console = self.app.console
        # Every segment gets the line's style (a divided piece can carry none, which the
        # NO_COLOR filter cannot handle); separators and the cursor fill the whole row.
        strips = [Strip(piece.render(console)).apply_style(style) for piece in pieces]
        if kind == SEPARATOR or selected:
            strips = [strip.extend_cell_length(width, style) for strip in strips]
        if not selected:
            self._cache[key] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        """One screen row: the right piece of the right line."""
        width = self.scrollable_content_region.width
        row = int(self.scroll_y) + y
        if row >= self._rows or not self._texts:
            return Strip.blank(width, self.rich_style)
        index = bisect_right(self._starts, row) - 1
        strips = self._strips(index)
        piece = row - self._starts[index]
        strip = strips[piece] if piece < len(strips) else Strip.blank(width, self.rich_style)
        return strip.crop_extend(0, width, self.rich_style)

    # ------------------------------------------------------------------ following and cursor

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Follow again at the bottom; stop following when the learner scrolls up."""
        super().watch_scroll_y(old_value, new_value)
        self.follow = new_value >= self.max_scroll_y

    def watch_follow(self, follow: bool) -> None:
        """The pane's subtitle says when the view is not following."""
        if isinstance(self.parent, LogPane):
            self.parent.update_title()

    def _index_of(self, line_id: int) -> int:
        """The list position of a line id."""
        return line_id - self._first_id

    def _show_cursor(self) -> None:
        """Scroll so that the cursor line is visible, and paint it."""
        if self.cursor is None:
            return
        index = self._index_of(self.cursor)
        top = self._starts[index]
        bottom = top + self._heights[index]
        height = self.scrollable_content_region.height
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif bottom > self.scroll_y + height:
            self.scroll_to(y=bottom - height, animate=False, immediate=True)
        self.refresh()

    def _move(self, delta: int) -> None:
        """Move the cursor by `delta` lines (starting at the newest line)."""
        if not self._texts:
            return
        last = self._first_id + len(self._texts) - 1
        if self.cursor is None:
            self.cursor = last
        else:
            self.cursor = min(last, max(self._first_id, self.cursor + delta))
        self.follow = False  # new lines must not carry the chosen line away
        self._cache.clear()
        self._show_cursor()

    def action_cursor_up(self) -> None:
        """Select the line above."""
        self._move(-1)

    def action_cursor_down(self) -> None:
        """Select the line below."""
        self._move(1)

    def action_page_up_lines(self) -> None:
        """Move the cursor a screen up."""
        self._move(-max(1, self.scrollable_content_region.height - 1))

    def action_page_down_lines(self) -> None:
        """Move the cursor a screen down."""
        self._move(max(1, self.scrollable_content_region.height - 1))

    def action_cursor_home(self) -> None:
        """Select the oldest line."""
        if self._texts:
            self.cursor = self._first_id
            self.follow = False
            self._cache.clear()
            self._show_cursor()

    def action_cursor_end(self) -> None:
        """Drop the cursor and follow new lines again."""
        self.cursor = None
        self._cache.clear()
        self.follow = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        """Select the clicked line."""
        offset = event.get_content_offset(self)
        if offset is None or not self._texts:
            return
        row = int(self.scroll_y) + offset.y
        if row >= self._rows:
            return
        self.cursor = self._first_id + bisect_right(self._starts, row) - 1
        self._cache.clear()
        self.refresh()

    def selected_line(self) -> str | None:
        """The line under the cursor as received (None for no cursor or a lab line)."""
        if self.cursor is None:
            return None
        index = self._index_of(self.cursor)
        if index < 0 or index >= len(self._texts) or self._kinds[index] in (SEPARATOR, NOTICE):
            return None
        return self._texts[index]

    def last_problem(self) -> str | None:
        """The newest problem line since the last separator (what to explain without a cursor)."""
        for index in range(len(self._texts) - 1, -1, -1):
            kind = self._kinds[index]
            if kind == SEPARATOR:
                return None
            if kind in PROBLEM_KINDS:
                return self._texts[index]
        return None


class LogPane(Vertical):
    """The mail log view with a title (source and counts) and a status line for problems."""

    DEFAULT_CSS = """
    LogPane {
        border: round $primary 60%;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        padding: 0;
        &:focus-within { border: round $primary; }
        #log-status { color: $warning; text-style: bold; display: none; height: auto;
                      max-height: 4; }
        #log-status.shown { display: block; }
        MailLogView { height: 1fr; }
    }
    """

    def __init__(self, language: str, max_lines: int = 5000, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.language = language
        self.source = ""
        self.view = MailLogView(max_lines=max_lines, language=language, id="log-view")
        self.status = Static("", id="log-status")

    def compose(self) -> ComposeResult:
        """Status line above the lines."""
        yield self.status
        yield self.view

    def on_mount(self) -> None:
        """The title."""
        self.update_title()

    def set_source(self, source: str) -> None:
        """Show where the lines come from."""
        self.source = source
        self.update_title()

    def set_problem(self, text: str) -> None:
        """Show (or, with "", hide) a problem reading the log, e.g. how to get permission."""
        self.status.update(text)
        self.status.set_class(bool(text), "shown")

    def take(self, buffer: LineBuffer, most: int) -> bool:
        """Move up to `most` waiting lines from `buffer` into the view; True when more wait."""
        lines, dropped = buffer.drain(most)
        if dropped:
            self.view.add_notice(tr("log.dropped", self.language, count=dropped))
        self.view.write_lines(lines)
        self.update_title()
        return bool(len(buffer))

    def show_status(self, status: FollowStatus) -> str | None:
        """Show a problem reading the log (or a rotation) above the lines; the text to alarm
        the learner with when the log cannot be read at all."""
        text = status.message.get(self.language)
        if status.state in ("denied", "waiting", "error"):
            self.set_problem("⚠ " + text)
            return text if status.state == "denied" else None
        self.set_problem("")
        if status.state in ("rotated", "truncated"):
            self.view.add_notice(f"— {text}")
        return None

    def set_language(self, language: str) -> None:
        """Markers and title in another language."""
        self.language = language
        self.view.set_language(language)
        self.update_title()

    def update_title(self) -> None:
        """`メールログ: /var/log/maillog` and the counts of problem lines since the step began."""
        title = tr("log", self.language)
        self.border_title = f"{title}: {self.source}" if self.source else title
        counts = self.view.counts
        parts = [f"{MARKERS[LineKind(k)].get(self.language)}{n}"
                 for k, n in sorted(counts.items()) if k in PROBLEM_KINDS]
        subtitle = tr("log.problems", self.language, counts=" ".join(parts)) if parts else ""
        if not self.view.follow:
            subtitle = f"{subtitle}  {tr('log.paused', self.language)}".strip()
        self.border_subtitle = subtitle
