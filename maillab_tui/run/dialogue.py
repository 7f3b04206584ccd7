"""Playing a scripted dialogue: wait for what the program shows, type the chapter's answers.

`Dialogue(run).play()` goes through a block's turns on a running `Run`: it waits for each
expectation on the screen since the last one matched (the "mark"), types each answer once the
program has stopped writing for a moment, and says precisely where it went wrong when the
program stays silent, says something else, or exits.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from maillab_tui.chapter.model import DialogueTurn
from maillab_tui.chapter.variables import expand_text
from maillab_tui.config import time_factor
from maillab_tui.run.events import DialogueFailure, DialogueProgress, Status
from maillab_tui.run.secrets import recognise_prompt
from maillab_tui.text import Localized, t

if TYPE_CHECKING:
    from maillab_tui.run.block import Run

Reason = Literal["silent", "different", "exited", "timeout"]


class StopRun(Exception):
    """Unwinds a run to its stop sequence: cancelled, or out of time."""

    def __init__(self, why: Literal["cancel", "timeout"]) -> None:
        super().__init__(why)
        self.why = why


class BlockFailed(Exception):
    """A block failed for a reason the runner explains (dialogue, capture, cannot start)."""

    def __init__(self, message: Localized, failure: DialogueFailure | None = None,
                 status: Status = "failed") -> None:
        super().__init__(message.en)
        self.message = message
        self.failure = failure
        self.status = status


def control_key(text: str) -> str | None:
    """`^D` and friends as the control character they stand for."""
    if len(text) == 2 and text[0] == "^" and text[1] in "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_?":
        return "\x7f" if text[1] == "?" else chr(ord(text[1]) ^ 0x40)
    return None


class Dialogue:
    """One block's dialogue, played on its run."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def _since_mark(self) -> str:
        """The screen since the last matched expectation: later lines and the partial line."""
        line, col = self.run._mark
        oldest = self.run._lines_total - len(self.run._recent)
        parts: list[str] = []
        for index in range(max(line, oldest), self.run._lines_total):
            text = self.run._recent[index - oldest]
            parts.append(text[col:] if index == line else text)
        partial = self.run._cleaner.partial
        parts.append(partial[col:] if line == self.run._lines_total else partial)
        return "\n".join(parts)

    def _advance(self, text: str, end: int) -> None:
        """Move the mark to `end`, an offset into the text `_since_mark()` returned."""
        line, col = self.run._mark
        newlines = text.count("\n", 0, end)
        if newlines == 0:
            self.run._mark = (line, col + end)
        else:
            self.run._mark = (line + newlines, end - text.rfind("\n", 0, end) - 1)
        self.run._output_since_mark = False
        self.run._sent.clear()

    def _program_spoke(self, text: str) -> bool:
        """Whether the screen since the mark shows more than the echo of what was typed."""
        if not self.run._output_since_mark:
            return False
        for sent in self.run._sent:
            text = text.replace(sent, "", 1)
        return bool(text.strip())

    def play(self) -> None:
        """Play the block's dialogue turn by turn, then wait for the program to end."""
        for turn in self.run.block.dialogue:
            self.run._turn = turn
            if turn.send is not None:
                self._send(turn)
            elif turn.ends:
                self._wait_exit(turn)
            elif turn.expect is not None:
                self._expect(turn)
        self.run._turn = None
        if not self.run.block.dialogue or not self.run.block.dialogue[-1].ends:
            self._wait_exit(None)
        self.run._drain()

    def _send(self, turn: DialogueTurn) -> None:
        """Type a line (or a control key) once the program has stopped writing for a moment."""
        started = time.monotonic()
        while (time.monotonic() - self.run._output_at < 0.1 and time.monotonic() - started < 1.0
               and not self.run._eof):
            self.run._pump(0.02)
        assert turn.send is not None
        text = expand_text(turn.send, self.run._values())
        key = control_key(text)
        if key is None and recognise_prompt(self.run._cleaner.partial) is not None:
            self.run.runner.secrets.add(text)
        if self.run._eof:
            raise BlockFailed(*self._dialogue_failure(turn, "exited", time.monotonic() - started))
        assert self.run._session is not None
        self.run._session.write(key if key is not None else text + "\r")
        if key is None:
            self.run._sent.append(text)
        shown = text if key else self.run.runner.secrets.mask(text)
        self.run._emit(DialogueProgress(turn.line, sent=shown))

    def _expect(self, turn: DialogueTurn) -> None:
        assert turn.expect is not None
        pattern = self.run._pattern(turn.expect)
        started = self.run._clock()
        limit = self.run._expect_timeout()
        while True:
            text = self._since_mark()
            match = pattern.search(text)
            if match:
                self._advance(text, match.end())
                self.run._emit(DialogueProgress(turn.line, expect=turn.expect))
                return
            waited = self.run._clock() - started
            if self.run._eof:
                raise BlockFailed(*self._dialogue_failure(turn, "exited", waited))
            if waited > limit:
                reason: Reason = "different" if self._program_spoke(text) else "silent"
                raise BlockFailed(*self._dialogue_failure(turn, reason, waited))
            idle = time.monotonic() - self.run._output_at
            if (self.run._cleaner.partial.strip() and self._program_spoke(text)
                    and idle > self.run.timing.mismatch_idle * time_factor()
                    and recognise_prompt(self.run._cleaner.partial) is None):
                raise BlockFailed(*self._dialogue_failure(turn, "different", waited))
            self.run._pump(0.05)

    def _wait_exit(self, turn: DialogueTurn | None) -> None:
        started = self.run._clock()
        limit = self.run._expect_timeout()
        while not self.run._eof:
            if self.run._clock() - started > limit:
                if turn is None:
                    raise StopRun("timeout")
                waited = self.run._clock() - started
                raise BlockFailed(*self._dialogue_failure(turn, "timeout", waited))
            self.run._pump(0.05)
        if turn is not None:
            self.run._emit(DialogueProgress(turn.line, expect="EOF"))

    def _dialogue_failure(self, turn: DialogueTurn, reason: Reason,
                          waited: float) -> tuple[Localized, DialogueFailure]:
        session = self.run._session
        if reason == "exited" and session is not None:
            session.alive()
        code = session.exit_code if session is not None else None
        screen = self.run._screen()
        expected = turn.expect if turn.expect is not None else (turn.send or "")
        where, here = self.run._where(turn.line, "ja"), self.run._where(turn.line)
        secs = f"{waited:.1f}"
        if turn.send is not None:
            ja = f"{where}入力する前にプログラムが終了しました（終了コード {code}）"
            en = f"{here}the program exited (status {code}) before the text could be typed"
        elif reason == "timeout":
            ja = f"{where}{secs} 秒待ってもプログラムが終了しませんでした"
            en = f"{here}the program did not exit within {secs} s"
        elif reason == "silent":
            ja = f"{where}「{expected}」を {secs} 秒待ちましたが、何も表示されませんでした"
            en = f"{here}waited {secs} s for /{expected}/ but the program stayed silent"
        elif reason == "different":
            ja = f"{where}「{expected}」を待っていましたが、プログラムは別のことを表示しています"
            en = f"{here}expected /{expected}/ but the program said something else"
        else:
            ja = f"{where}「{expected}」が表示される前に終了しました（終了コード {code}）"
            en = f"{here}the program exited (status {code}) before showing /{expected}/"
        shown = "\n".join(screen)
        message = t(f"{ja}\n画面の最後:\n{shown}", f"{en}\nlast lines on screen:\n{shown}")
        failure = DialogueFailure(turn.line, expected, reason, round(waited, 1), tuple(screen),
                                  code)
        return message, failure
