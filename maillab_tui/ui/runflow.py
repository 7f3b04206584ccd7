"""Running a step's commands from the app: one card, or the step's solution, in a worker.

The app's message handlers hand the runner's messages here; this keeps what runs now (the
`ActiveRun`), how each card's last run went, and the output pane up to date. Engine work
runs in a thread worker and comes back as messages only (ui/messages.py).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import SuspendNotSupported
from textual.widgets import Input, Static

from maillab_tui.chapter import CommandBlock
from maillab_tui.chapter.variables import mask
from maillab_tui.lab.progress import StepState
from maillab_tui.lab.session import RunHandle
from maillab_tui.text import render
from maillab_tui.ui.messages import (
    BlockStatus,
    PasswordWanted,
    RunDone,
    RunEventPosted,
    RunOutput,
    RunResult,
    RunWaiting,
    TerminalWanted,
)
from maillab_tui.ui.screens import ConfirmScreen, PasswordScreen
from maillab_tui.ui.strings import tr
from maillab_tui.ui.widgets.output import OutputPane
from maillab_tui.ui.widgets.stepview import CommandCard, shown_command

if TYPE_CHECKING:
    from maillab_tui.ui.app import LabApp

SEQUENCE_OVER = -2
"""The block index of the `RunDone` that ends a sequence."""
SOLUTION = -1
"""The block index of a block of the step's solution (no card shows it)."""


@dataclass
class ActiveRun:
    """The command running now: which card (or -1 for the step's solution) and how to stop it."""

    run_id: int
    step_id: str
    index: int
    interactive: bool
    cancelled: threading.Event = field(default_factory=threading.Event)
    handle: RunHandle | None = None
    purpose: str = "run"
    why: str = ""


class RunFlow:
    """What runs in the app, and how the cards' runs went."""

    def __init__(self, app: LabApp) -> None:
        self.app = app
        self.active: ActiveRun | None = None
        self.counter = 0
        self.block_status: dict[tuple[str, int], tuple[str, str]] = {}

    @property
    def pane(self) -> OutputPane:
        """The output pane."""
        return self.app.query_one(OutputPane)

    # ------------------------------------------------------------------ cards

    def card(self, index: int) -> CommandCard | None:
        """The mounted card of the current step with this index."""
        for card in self.app.query(CommandCard):
            if card.index == index:
                return card
        return None

    def next_card_index(self) -> int | None:
        """The first card of this step not run successfully yet (else the first)."""
        app = self.app
        cards = app.session.cards(app.step)
        if not cards:
            return None
        for i in range(len(cards)):
            if self.block_status.get((app.step.id, i), ("idle", ""))[0] not in ("ok", "skipped"):
                return i
        return 0

    def set_block_status(self, step_id: str, index: int, status: str, detail: str = "") -> None:
        """Remember and show how a block's run is going."""
        self.block_status[(step_id, index)] = (status, detail)
        if step_id == self.app.step.id:
            card = self.card(index)
            if card is not None:
                card.set_status(status, detail)

    def copy(self, index: int) -> None:
        """Copy one command exactly as it runs here."""
        app, session = self.app, self.app.session
        block = session.cards(app.step)[index]
        text = shown_command(block, session.values(), session.secrets(), reveal=True)
        app.copy_to_clipboard(text)
        shown = mask(text, session.secrets())
        first = shown.splitlines()[0] if shown else ""
        app.notify(tr("copied", app.language, text=first[:60]))

    # ------------------------------------------------------------------ starting

    def start(self, index: int, interactive: bool) -> None:
        """Run one command block in a thread worker; its output streams into the output pane."""
        app = self.app
        if self.active is not None:
            app.notify(tr("busy", app.language), severity="warning")
            return
        cards = app.session.cards(app.step)
        if not 0 <= index < len(cards):
            return
        self.begin_sequence([(index, cards[index])], interactive, "run")

    def begin_sequence(self, blocks: Sequence[tuple[int, CommandBlock]], interactive: bool,
                       purpose: str) -> None:
        """Run blocks one after the other (a card, or a step's solution) in one worker."""
        app, session = self.app, self.app.session
        session.ensure_runner()
        self.counter += 1
        step_id = app.step.id
        active = ActiveRun(self.counter, step_id, blocks[0][0], interactive, purpose=purpose)
        self.active = active
        first = shown_command(blocks[0][1], session.values(), session.secrets())
        self.pane.start(f"{tr('output', app.language)}: $ {first.splitlines()[0][:60]}",
                        interactive, tr("interactive.hint", app.language))
        app.output_visible = True
        app.apply_layout()
        for index, _block in blocks:
            if index >= 0:
                self.set_block_status(step_id, index, "idle")
        if blocks[0][0] >= 0:
            self.set_block_status(step_id, blocks[0][0], "running")
        app.refresh_bindings()
        app.run_worker(partial(self._run_blocks, active, list(blocks)), thread=True,
                       group="run", exit_on_error=False, name=f"run {active.run_id}")
        if interactive:
            app.query_one("#interactive-input", Input).focus()

    def _run_blocks(self, active: ActiveRun, blocks: list[tuple[int, CommandBlock]]) -> None:
        """Worker thread: run each block through the runner; post every result."""
        from maillab_tui.ui.bridge import UIListener

        app = self.app
        runner = app.session.ensure_runner()
        listener = UIListener(app, active.run_id, active.cancelled)
        for index, block in blocks:
            if active.cancelled.is_set():
                break
            # a program the learner drives gets the pane's width (it formats for it)
            cols = app.call_from_thread(self.pane.columns) if active.interactive else None
            saved = getattr(runner, "cols", None)
            result: RunResult
            try:
                if cols is not None and saved is not None:
                    runner.cols = cols  # type: ignore[attr-defined]
                handle = runner.start(block, listener, step=active.step_id,
                                      interactive=active.interactive)
                active.handle = handle
                if active.cancelled.is_set():
                    handle.cancel()
                result = handle.execute()
            except Exception as exc:  # the runner reports failures; this is a bug or no runner
                result = exc
            finally:
                if cols is not None and saved is not None:
                    runner.cols = saved  # type: ignore[attr-defined]
            app.post_message(RunDone(active.run_id, index, result))
            if isinstance(result, Exception) or not result.ok:
                break
        app.post_message(RunDone(active.run_id, SEQUENCE_OVER, None))

    def tell_driven_size(self) -> None:
        """A program the learner drives formats for the pane's width (s-nail pads its list of
        messages to the terminal's width: wider than the pane, the subjects were cut). Its
        height stays the runner's: the log scrolls, and a terminal as short as the pane would
        make s-nail page every message through --More--."""
        active = self.active
        cols = self.pane.columns()
        rows = getattr(self.app.session.runner, "rows", None)
        if (active is not None and active.interactive and active.handle is not None and cols
                and isinstance(rows, int)):
            resize = getattr(active.handle, "resize", None)
            if callable(resize):
                resize(rows, cols)

    # ------------------------------------------------------------------ stopping

    def stop(self) -> bool:
        """Stop the running command (ctrl+c); False when nothing runs."""
        active = self.active
        if active is None:
            return False
        active.cancelled.set()
        if active.handle is not None:
            active.handle.cancel()
        self.pane.lines.write_line(tr("stopping", self.app.language))
        return True

    def stop_everything(self) -> None:
        """Stop the running command and every run of the runner."""
        if self.active is not None:
            self.active.cancelled.set()
            if self.active.handle is not None:
                self.active.handle.cancel()
        self.app.session.close()

    # ------------------------------------------------------------------ what the run says

    def _current(self, run_id: int) -> bool:
        return self.active is not None and run_id == self.active.run_id

    def output(self, message: RunOutput) -> None:
        """A batch of output lines."""
        if self._current(message.run_id):
            self.pane.lines.write_lines(message.lines)

    def waiting(self, message: RunWaiting) -> None:
        """An unfinished line: show it as the prompt of the input row."""
        if self._current(message.run_id):
            from maillab_tui.run import recognise_prompt

            self.app.query_one("#interactive-prompt", Static).update(Text(message.partial[-60:]))
            # what the learner types at a password prompt is never shown, here either
            self.app.query_one("#interactive-input", Input).password = \
                recognise_prompt(message.partial) is not None

    def event(self, message: RunEventPosted) -> None:
        """Runner notices worth a line in the output pane."""
        if not self._current(message.run_id):
            return
        from maillab_tui import run as runmod

        event = message.event
        log = self.pane.lines
        lang = self.app.language
        if isinstance(event, runmod.BlockStarted):
            log.write_line(f"$ {event.command.splitlines()[0] if event.command else ''}")
        elif isinstance(event, runmod.BlockSkipped):
            log.write_line(render(event.message, lang))
        elif isinstance(event, runmod.PasswordTyped):
            log.write_line(tr("run.password-typed", lang))
        elif isinstance(event, runmod.ValueCaptured):
            log.write_line(f"{{{{ {event.name} }}}} = {event.value}")
        elif isinstance(event, runmod.Stopping):
            log.write_line(f"… {event.stage}")

    def done(self, message: RunDone) -> None:
        """A block ended (or the whole sequence did)."""
        active = self.active
        if active is None or message.run_id != active.run_id:
            return
        app = self.app
        log = self.pane.lines
        lang = app.language
        if message.block_index == SEQUENCE_OVER:
            self.active = None
            self.pane.end()
            if active.purpose == "skip":
                self._skip_finished(active)
            elif active.purpose == "skip-failed":
                app.notify(tr("skip.failed", lang, why=active.why), severity="error", timeout=10)
            app.refresh_bindings()
            if active.step_id == app.step.id:
                app.call_later(app.render_step)  # captured values appear in later commands
            return
        result = message.result
        status: BlockStatus
        if isinstance(result, Exception):
            status, detail = "error", f"{type(result).__name__}: {result}"
        elif result is None:
            status, detail = "error", ""
        else:
            status = result.status
            code = result.exit_code
            detail = f"({code})" if code not in (None, 0) else ""
            if result.message is not None:
                log.write_line(render(result.message, lang))
            if result.failure is not None:
                log.write_lines([f"  {line}" for line in result.failure.screen])
        if message.block_index >= 0:
            self.set_block_status(active.step_id, message.block_index, status, detail)
        if status not in ("ok", "skipped", "stopped") and active.purpose == "skip":
            active.purpose = "skip-failed"
            active.why = f"{tr(f'cmd.status.{status}', lang)} {detail}".strip()
        summary = tr(f"cmd.status.{status}", lang)
        log.write_line(f"── {summary} {detail}".rstrip())

    def password_wanted(self, message: PasswordWanted) -> None:
        """Ask for the password in a modal that never shows it."""
        if not self._current(message.run_id):
            message.reply.put(None)
            return
        prompt = message.prompt
        screen = PasswordScreen(prompt.text, prompt.kind, self.app.language, prompt.attempt)
        self.app.push_screen(screen, message.reply.put)

    def terminal_wanted(self, message: TerminalWanted) -> None:
        """Hand the real terminal to an editor or a full-screen program, then come back."""
        from maillab_tui.run import run_foreground

        app = self.app
        if not self._current(message.run_id):
            message.reply.put(None)
            return
        code: int | None
        try:
            with app.suspend():
                code = run_foreground(message.request.argv)
        except SuspendNotSupported:
            app.notify(tr("terminal.unsupported", app.language), severity="error")
            code = None
        message.reply.put(code)
        if code is not None:
            app.notify(tr("terminal.back", app.language, code=code))

    def typed(self, text: str, eof: bool = False) -> None:
        """Send what the learner typed to a driven command (ctrl+d: end of input)."""
        active = self.active
        if active is None or active.handle is None:
            return
        if eof:
            if text:
                active.handle.write(text)
            active.handle.write("\x04")
        else:
            active.handle.write(text + "\r")

    # ------------------------------------------------------------------ skipping a step

    def skip(self) -> None:
        """Run a skippable step's solution for the learner and record it as skipped."""
        app = self.app
        step = app.step
        if not step.skippable and not app.session.free:
            app.notify(tr("skip.not", app.language), severity="warning")
            return
        if self.active is not None:
            app.notify(tr("busy", app.language), severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_solution()

        app.push_screen(ConfirmScreen(tr("skip.confirm", app.language, title=step.title),
                                      app.language), answered)

    def _run_solution(self) -> None:
        """The step's solve blocks (or its commands), one after the other, autopilot."""
        blocks = self.app.session.solution(self.app.step)
        if not blocks:
            self._record_skip()
            return
        self.begin_sequence([(SOLUTION, b) for b in blocks], False, "skip")

    def _skip_finished(self, active: ActiveRun) -> None:
        """The solution ran; record the skip when it went well."""
        if active.cancelled.is_set():
            return
        self._record_skip()

    def _record_skip(self) -> None:
        """Record the current step as skipped (never as passed)."""
        app = self.app
        app.session.record(app.step.id, StepState.SKIPPED)
        app.notify(tr("skip.done", app.language))
        app.after_state_change()
