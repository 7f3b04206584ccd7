"""Terminal output to plain lines: escape sequences removed, carriage-return redraws applied.

Programs under a pty redraw lines (s-nail's line editor writes `\\r\\x1b[KSubject: I` on every
key; apt rewrites its progress with `\\r`). `LineCleaner` keeps one line the way a terminal
would show it, so what is matched, shown and recorded is what the learner would see.
"""

from __future__ import annotations

import re

# One terminal token: a CSI sequence, an OSC/DCS/APC string, a two-byte ESC sequence,
# a control character, or a run of printable text.
_TOKEN = re.compile(
    r"(?P<csi>\x1b\[(?P<params>[0-?]*)[ -/]*(?P<final>[@-~]))"
    r"|(?P<string>\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\))"
    r"|(?P<esc>\x1b[ -/]*[0-~])"
    r"|(?P<ctl>[\x00-\x1f\x7f])"
    r"|(?P<text>[^\x00-\x1f\x7f]+)"
)
# An escape sequence cut off at the end of a chunk: kept until the next chunk completes it.
_INCOMPLETE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|[\]PX^_][^\x07\x1b]*\x1b?|[ -/]*)?\Z")
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]"
)


def strip_ansi(text: str) -> str:
    """`text` without terminal escape sequences (colours, cursor moves, titles)."""
    return _ANSI.sub("", text)


class LineCleaner:
    """Feeds on raw terminal output; yields complete lines as a terminal would show them."""

    def __init__(self) -> None:
        self._line: list[str] = []
        self._cursor = 0
        self._pending = ""

    @property
    def partial(self) -> str:
        """The unterminated last line (a prompt, often), as shown on screen."""
        return "".join(self._line)

    def feed(self, data: str) -> list[str]:
        """Take a chunk of output; return the lines it completed (without line endings)."""
        data = self._pending + data
        self._pending = ""
        cut = _INCOMPLETE.search(data)
        if cut is not None and cut.start() < len(data) and len(data) - cut.start() < 4096:
            self._pending = data[cut.start():]
            data = data[: cut.start()]
        done: list[str] = []
        for token in _TOKEN.finditer(data):
            kind = token.lastgroup
            if kind == "text":
                self._put(token.group())
            elif kind == "ctl":
                self._control(token.group(), done)
            elif kind == "csi":
                self._csi(token.group("params"), token.group("final"))
        return done

    def flush(self) -> list[str]:
        """The partial line as a last line, when the output has ended."""
        if not self._line:
            return []
        line = self.partial.rstrip()
        self._line, self._cursor = [], 0
        return [line]

    def _put(self, text: str) -> None:
        """Write text at the cursor, overwriting what is there (as after a carriage return)."""
        end = self._cursor + len(text)
        if self._cursor > len(self._line):
            self._line.extend(" " * (self._cursor - len(self._line)))
        self._line[self._cursor:end] = list(text)
        self._cursor = end

    def _control(self, char: str, done: list[str]) -> None:
        """Line feed ends a line; carriage return, backspace and tab move the cursor."""
        if char == "\n":
            done.append(self.partial.rstrip())
            self._line, self._cursor = [], 0
        elif char == "\r":
            self._cursor = 0
        elif char == "\b":
            self._cursor = max(0, self._cursor - 1)
        elif char == "\t":
            self._put(" " * (8 - self._cursor % 8))

    def _csi(self, params: str, final: str) -> None:
        """The few cursor and erase sequences line editors use; the rest are dropped."""
        try:
            n = int(params.split(";")[0] or 0)
        except ValueError:
            return
        if final == "K":  # erase in line: 0 to the end, 1 to the start, 2 all
            if n == 0:
                del self._line[self._cursor:]
            elif n == 1:
                self._line[: self._cursor] = [" "] * min(self._cursor, len(self._line))
            elif n == 2:
                self._line = []
        elif final == "C":
            self._cursor += max(n, 1)
        elif final == "D":
            self._cursor = max(0, self._cursor - max(n, 1))
        elif final == "G":
            self._cursor = max(n, 1) - 1
