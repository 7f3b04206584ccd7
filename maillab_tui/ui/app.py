"""The lab app: the chapter one step at a time, its commands, the mail log and the checks.

The app shows a `LabSession` (lab/session.py: the chapter on this machine, the progress, the
runner and the check library) and owns only what is on screen: the current step, the panes,
what runs now. Running commands is `RunFlow` (ui/runflow.py), checking is `CheckFlow`
(ui/checkflow.py); both do their engine work in thread workers that answer with messages
(ui/messages.py), which the handlers here hand to them. Log lines come from the follower
through a bounded buffer. Everything the tests replace is in the session (the check library,
the runner, the progress directory, the clock) or given here (the log file).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, OptionList, Static

from maillab_tui.chapter import Chapter, Step
from maillab_tui.lab.gate import GateDecision
from maillab_tui.lab.progress import Progress, StepState
from maillab_tui.lab.session import LabSession
from maillab_tui.mail.logfollow import LineBuffer
from maillab_tui.mail.patterns import explain
from maillab_tui.ui import japanese
from maillab_tui.ui.checkflow import CheckFlow
from maillab_tui.ui.logflow import LogFlow
from maillab_tui.ui.messages import (
    CheckAttempt,
    CheckDone,
    CheckPasswordWanted,
    LogLinesReady,
    LogStatusChanged,
    PasswordWanted,
    RecheckDone,
    RunDone,
    RunEventPosted,
    RunOutput,
    RunWaiting,
    TerminalWanted,
)
from maillab_tui.ui.runflow import ActiveRun, RunFlow
from maillab_tui.ui.screens import ChoiceScreen, ConfirmScreen, ExplainScreen, HelpScreen
from maillab_tui.ui.strings import KEY_HELP, KEYS, tr
from maillab_tui.ui.widgets.gatebar import GateBar
from maillab_tui.ui.widgets.logview import LogPane
from maillab_tui.ui.widgets.output import OutputPane
from maillab_tui.ui.widgets.steplist import StepList
from maillab_tui.ui.widgets.stepview import CommandCard, StepView, step_meta

japanese.install()

WIDE = 150
"""From this width the mail log goes beside the step (its lines are long: below, they get the
whole width), leaving the step at least 60 columns between the step list and the log."""
ROOMY = 110
"""From this width the step list is shown beside the step by default, and the footer in full."""
LOG_DRAIN = 5000


class LabApp(App[int]):
    """The lab: steps, the current step, command output and the mail log, gated by checks."""

    TITLE = "maillab-tui"
    CSS = """
    Screen { layout: vertical; }
    #body { height: 1fr; layout: grid; grid-size: 3 1; grid-gutter: 0; }
    #steps { height: 1fr; border: round $primary 50%; border-title-color: $text;
             text-wrap: nowrap; text-overflow: ellipsis; }
    #steps:focus { border: round $primary; }
    #center { height: 1fr; }
    #step { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    #step .step-title { text-style: bold; color: $text; background: $primary 25%; padding: 0 1; }
    #step .step-meta { color: $text-muted; margin-bottom: 1; }
    #step .section { text-style: bold; margin-top: 1; border-top: solid $primary 40%; }
    #step Markdown { margin: 0; padding: 0; }
    #log { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k.keys, k.action, k.label.ja, show=k.show, key_display=k.key_display,
                  priority=k.priority) for k in KEYS),
        # Second bindings: n while Next is disabled says why instead of doing nothing, and
        # ctrl+c with nothing running says how to quit (it never quits).
        Binding("n", "next_blocked", show=False),
        Binding("ctrl+c", "stop_idle", show=False, priority=True),
        Binding("o", "toggle_output", show=False),
    ]

    def __init__(
        self,
        session: LabSession,
        *,
        log_path: str | Path | None = None,
        follow_log: bool = True,
        log_max_lines: int = 5000,
        log_history: int = 200,
    ) -> None:
        super().__init__()
        self.session = session
        self.log_path = Path(log_path) if log_path is not None else None
        self.follow_log = follow_log
        self.log_max_lines = log_max_lines
        self.log_history = log_history
        self.runs = RunFlow(self)
        self.checks = CheckFlow(self)
        self.logs = LogFlow(self)
        # what is on screen (the session holds the rest; workers only post messages)
        self.ready = False
        self.index = 0
        self.reveal = False
        self.log_visible = True
        self.steps_visible: bool | None = None  # None: by width (shown when wide)
        self.log_width = 40  # percent of the screen, wide layout
        self.log_height = 6  # rows, narrow layout
        self.output_visible = False
        self.buffer = LineBuffer(max_lines=max(log_max_lines * 4, 20000))
        self.started_at = time.monotonic()
        self.first_screen_at: float | None = None
        self._localize_bindings()

    # ================================================================== the session's state

    @property
    def chapter(self) -> Chapter:
        """The chapter, in the language shown."""
        return self.session.chapter

    @property
    def language(self) -> str:
        """The language shown (ja or en)."""
        return self.session.language

    @property
    def progress(self) -> Progress | None:
        """The learner's progress on this host (None until the role is known)."""
        return self.session.progress

    @property
    def steps(self) -> tuple[Step, ...]:
        """This host's steps."""
        return self.session.steps

    @property
    def step(self) -> Step:
        """The current step."""
        return self.steps[self.index]

    @property
    def active(self) -> ActiveRun | None:
        """The command running now, if any."""
        return self.runs.active

    @property
    def block_status(self) -> dict[tuple[str, int], tuple[str, str]]:
        """How each card's last run went, by (step, card)."""
        return self.runs.block_status

    def decision(self, step: Step) -> GateDecision:
        """May the learner leave `step` forwards?"""
        return self.checks.decision_of(step)

    # ================================================================== layout

    def compose(self) -> ComposeResult:
        """Header, the steps, the step with its gate bar and output, the mail log, the footer."""
        yield Header(show_clock=False, icon="✉")
        with Container(id="body"):
            yield StepList(id="steps")
            with Vertical(id="center"):
                yield StepView(id="step")
                yield GateBar(id="gatebar")
                yield OutputPane(id="output")
            yield LogPane(self.language, max_lines=self.log_max_lines, id="log")
        yield Footer()

    @property
    def wide(self) -> bool:
        """True on a terminal wide enough for the log beside the step."""
        return self.size.width >= WIDE

    @property
    def roomy(self) -> bool:
        """True on a terminal wide enough for the step list beside the step."""
        return self.size.width >= ROOMY

    def apply_layout(self) -> None:
        """Place the panes: the log beside (wide) or below (narrow); the step list shown or not."""
        body = self.query_one("#body")
        steps = self.query_one("#steps")
        log = self.query_one("#log")
        output = self.query_one("#output")
        show_steps = self.steps_visible if self.steps_visible is not None else self.roomy
        footer = self.query_one(Footer)
        footer.compact = not self.roomy
        footer.show_command_palette = self.roomy
        steps.display = show_steps
        log.display = self.log_visible
        output.set_class(self.output_visible, "shown")
        output.styles.height = 12 if self.wide and self.size.height > 30 else 7
        if self.wide:
            columns = [*(["30"] if show_steps else []), "1fr",
                       *([f"{self.log_width}%"] if self.log_visible else [])]
            body.styles.grid_size_columns = len(columns)
            body.styles.grid_size_rows = 1
            body.styles.grid_columns = " ".join(columns)
            body.styles.grid_rows = "1fr"
            log.styles.column_span = 1
            steps.styles.row_span = 1
        else:
            columns = [*([("30" if self.roomy else "26")] if show_steps else []), "1fr"]
            rows = ["1fr", *([str(self.log_height)] if self.log_visible else [])]
            body.styles.grid_size_columns = len(columns)
            body.styles.grid_size_rows = len(rows)
            body.styles.grid_columns = " ".join(columns)
            body.styles.grid_rows = " ".join(rows)
            log.styles.column_span = len(columns)
            steps.styles.row_span = 1

    def on_resize(self) -> None:
        """Wide or narrow: once the app has taken the new size (this handler runs first)."""
        self.call_after_refresh(self._relayout)

    def _relayout(self) -> None:
        self.apply_layout()
        self._update_texts()
        self.call_after_refresh(self.runs.tell_driven_size)

    # ================================================================== start

    def on_mount(self) -> None:
        """Start following the log, then find out who we are (host role, platform)."""
        self.title = self.chapter.title
        self.apply_layout()
        self._update_texts()
        if self.follow_log:
            self._start_log()
        self._settle()

    @work(exclusive=True, group="settle")
    async def _settle(self) -> None:
        """Settle the host role and the platform (remembered, detected or asked), then begin."""
        session = self.session
        host = session.host
        if host is None:
            host = session.remembered_host()
            if host is not None:
                self.notify(tr("host.remembered", self.language, host=host))
            else:
                host = await self.push_screen_wait(ChoiceScreen(
                    tr("host.title", self.language), tr("host.why", self.language),
                    session.host_choices(), self.language))
                if host is None:
                    self.exit(2)
                    return
        session.on_unsaved = lambda why: self.notify(why.get(self.language), severity="warning",
                                                      timeout=20)
        loaded = session.open(host)
        if loaded.notice is not None:
            self.notify(loaded.notice.get(self.language), severity="warning", timeout=15)
        resumed = loaded.existed and bool(loaded.progress.current_step)
        if session.platform is None:
            platform = await self.push_screen_wait(ChoiceScreen(
                tr("platform.title", self.language), "", session.platform_choices(),
                self.language))
            if platform is None:
                self.exit(2)
                return
            session.platform = platform
            resumed = False
        start = session.begin()
        self.ready = True
        self._fill_step_list()
        self._goto(start, announce=False)
        if resumed and start > 0:
            self.notify(tr("resumed", self.language, title=self.steps[start].title))
        self.checks.recheck_finished()
        self._preload()
        self.first_screen_at = time.monotonic()

    @work(thread=True, group="preload", exit_on_error=False)
    def _preload(self) -> None:
        """Worker thread: load the check library while the learner reads the first step."""
        _ = self.session.library

    # ================================================================== text in the language

    def _localize_bindings(self) -> None:
        """Footer words in the current language.

        Textual has no public way to relabel a binding, so the app's own binding map is
        updated in place (kept to this one method).
        """
        labels = {k.action: k.label.get(self.language) for k in KEYS}
        for key, bindings in self._bindings.key_to_bindings.items():
            self._bindings.key_to_bindings[key] = [
                replace(b, description=labels[b.action]) if b.action in labels else b
                for b in bindings
            ]
        self.refresh_bindings()

    def _update_texts(self) -> None:
        """Header, titles, buttons and the gate bar in the current language."""
        lang = self.language
        self.title = self.chapter.title
        done = sum(1 for s in self.steps if self.progress and self.progress.finished(s.id))
        parts = []
        if self.session.host:
            role = self.chapter.hosts.get(self.session.host)
            fqdn = role.vars.get("fqdn", "") if role and self.roomy else ""
            parts.append(f"{self.session.host} ({fqdn})" if fqdn else self.session.host)
        parts.append(self.session.platform or "?")
        if self.steps:
            parts.append(tr("done.count", lang, done=done, total=len(self.steps)))
        if self.session.free:
            parts.append(tr("free", lang))
        self.sub_title = " · ".join(parts)
        self.query_one("#steps").border_title = tr("steps", lang)
        self.query_one(GateBar).set_language(lang)
        self.update_gate()

    # ================================================================== the step list

    def _fill_step_list(self) -> None:
        """All steps of this host with their states."""
        _, _, progress = self.session.here()
        self.query_one(StepList).show(self.steps, progress, self.language, self.index)

    def _refresh_step_list(self) -> None:
        """Update the prompts after a state change."""
        _, _, progress = self.session.here()
        self.query_one(StepList).refresh_states(self.steps, progress, self.language, self.index)

    @on(OptionList.OptionSelected, "#steps")
    def _step_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click on a step goes there, if the gates allow."""
        event.stop()
        self._try_goto(event.option_index)

    # ================================================================== moving between steps

    def _can_enter(self, target: int) -> GateDecision:
        """Whether every step between here and `target` lets the learner through."""
        if self.session.free or target <= self.index:
            return GateDecision(True)
        for i in range(self.index, target):
            decision = self.decision(self.steps[i])
            if not decision.allowed:
                return decision
        return GateDecision(True)

    def _try_goto(self, target: int) -> None:
        """Go to a step when allowed, else say why."""
        if not self.ready or target == self.index or not 0 <= target < len(self.steps):
            return
        if self.active is not None:
            self.notify(tr("busy", self.language), severity="warning")
            self.query_one(StepList).highlighted = self.index
            return
        decision = self._can_enter(target)
        if not decision.allowed:
            self.bell()
            self.notify(tr("gate.blocked", self.language), severity="warning")
            self.query_one(StepList).highlighted = self.index
            return
        if target > self.index:
            self._leave_forward()
        self._goto(target)

    def _leave_forward(self) -> None:
        """Leaving a step forwards: a step without checks counts as done."""
        step = self.step
        if not self.session.checks(step) and not self.session.finished(step):
            self.session.record(step.id, StepState.DONE)

    def _goto(self, index: int, announce: bool = True) -> None:
        """Show step `index`: remember it, mark it in the log, render it."""
        self.index = index
        step = self.step
        self.checks.forget()
        self.session.enter(step)
        if self.follow_log:
            log = self.query_one(LogPane)
            stamp = self.session.clock().strftime("%H:%M:%S")
            log.view.add_separator(tr("log.separator", self.language,
                                      title=f"{index + 1}. {step.title}", time=stamp))
            log.update_title()
        self.output_visible = False
        self.query_one(OutputPane).lines.clear()
        self.apply_layout()
        self._refresh_step_list()
        self._update_texts()
        self.call_later(self.render_step)
        self.refresh_bindings()

    async def render_step(self) -> None:
        """Mount the current step: title, text, command cards, check rows."""
        await self.query_one(StepView).show(
            self.session, self.index, reveal=self.reveal,
            outcomes=self.checks.outcomes.get(self.step.id, []), block_status=self.block_status)

    # ================================================================== the gate bar

    def update_gate(self) -> None:
        """Say whether the learner may go on, and enable Next accordingly."""
        bar = self.query_one(GateBar)
        lang = self.language
        if not self.ready or not self.steps:
            bar.show("", "", back=False, forward=False)
            return
        step = self.step
        decision = self.decision(step)
        last = self.index == len(self.steps) - 1
        if not self.session.checks(step):
            text, look = tr("gate.nochecks", lang), "open"
        elif not decision.allowed:
            text, look = "✘" + tr("gate.closed", lang), "blocked"
        elif decision.warning is not None and not self.session.finished(step):
            text, look = "!" + decision.warning.get(lang), "warn"
        else:
            text, look = "✔" + tr("gate.open", lang), "open"
        if last:
            text = f"{text}  ({tr('gate.last', lang)})"
        bar.show(text, look, back=self.index > 0,  # type: ignore[arg-type]
                 forward=not last and decision.allowed)

    @on(Button.Pressed, "#next-button")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#prev-button")
    def _prev_pressed(self) -> None:
        self.action_previous()

    @on(Button.Pressed, "#check-button")
    def _check_pressed(self) -> None:
        self.action_check()

    def after_state_change(self) -> None:
        """Refresh everything that shows states: list, header, gate, footer, step meta."""
        self._refresh_step_list()
        self._update_texts()
        self.refresh_bindings()
        meta = self.query("#step .step-meta")
        if meta and self.progress is not None and self.ready:
            meta.first(Static).update(Text(step_meta(self.step, self.progress.state(self.step.id),
                                                     self.language,
                                                     bool(self.session.checks(self.step)))))

    # ================================================================== actions and their state

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Next is disabled (shown dimmed) while the gate is closed; some keys only where useful."""
        if action == "stop":
            return self.active is not None
        if action == "stop_idle":
            return self.active is None
        if action in ("next", "next_blocked", "previous", "skip", "interactive"):
            if not self.ready or not self.steps:
                return None if action != "next_blocked" else False
            if action == "next":
                return True if (self.index < len(self.steps) - 1
                                and self.decision(self.step).allowed) else None
            if action == "next_blocked":
                return not self.decision(self.step).allowed
            if action == "previous":
                return True if self.index > 0 else None
            if action == "skip":
                return self.step.skippable or self.session.free
            if action == "interactive":
                return any(b.kind == "dialogue" for b in self.session.cards(self.step)) or None
        return True

    def action_next(self) -> None:
        """Go to the next step (the gate permitting)."""
        if not self.ready:
            return
        if self.index >= len(self.steps) - 1:
            self.notify(tr("gate.last", self.language))
            return
        decision = self.decision(self.step)
        if decision.allowed and decision.warning is not None \
                and not self.session.finished(self.step):
            self.notify(decision.warning.get(self.language), severity="warning")
        self._try_goto(self.index + 1)

    def action_next_blocked(self) -> None:
        """n while the gate is closed: say what to do instead of nothing."""
        self.bell()
        self.notify(tr("gate.blocked", self.language), severity="warning")

    def action_previous(self) -> None:
        """Go back a step."""
        if self.ready and self.index > 0:
            self._try_goto(self.index - 1)

    def action_help(self) -> None:
        """The keys, in the current language."""
        self.push_screen(HelpScreen(self.language))

    def action_toggle_log(self) -> None:
        """Show or hide the mail log."""
        self.log_visible = not self.log_visible
        self.apply_layout()

    def action_toggle_steps(self) -> None:
        """Show or hide the step list."""
        shown = self.steps_visible if self.steps_visible is not None else self.roomy
        self.steps_visible = not shown
        self.apply_layout()
        if self.steps_visible:
            self.query_one("#steps").focus()

    def action_toggle_output(self) -> None:
        """Show or hide the command output."""
        self.output_visible = not self.output_visible
        self.apply_layout()

    def action_log_bigger(self) -> None:
        """A bigger log pane."""
        if self.wide:
            self.log_width = min(70, self.log_width + 5)
        else:
            self.log_height = min(max(3, self.size.height - 10), self.log_height + 2)
        self.log_visible = True
        self.apply_layout()

    def action_log_smaller(self) -> None:
        """A smaller log pane."""
        if self.wide:
            self.log_width = max(20, self.log_width - 5)
        else:
            self.log_height = max(3, self.log_height - 2)
        self.apply_layout()

    def action_reveal(self) -> None:
        """Show or hide secret values in the step text."""
        self.reveal = not self.reveal
        self.notify(tr("secrets.shown" if self.reveal else "secrets.hidden", self.language))
        if self.ready:
            self.call_later(self.render_step)

    def action_language(self) -> None:
        """Switch between Japanese and English (the UI and the chapter)."""
        new = "en" if self.language == "ja" else "ja"
        current = self.step.id if self.ready and self.index < len(self.steps) else ""
        problem = self.session.switch_language(new)
        if problem is not None:
            self.notify(problem, severity="error")
        if self.chapter.language != new:
            self.notify(tr("no.en", new), severity="warning")
        else:
            self.notify(tr("language.switched", new))
        if self.ready:
            ids = [s.id for s in self.steps]
            self.index = ids.index(current) if current in ids else 0
        self._localize_bindings()
        self.query_one(LogPane).set_language(new)
        self._update_texts()
        if self.ready:
            self._refresh_step_list()
            self.call_later(self.render_step)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every lab action in the command palette, in the current language, then Textual's."""
        lang = self.language
        for key in KEYS:
            if not key.palette:
                continue
            first = key.key_display or key.keys.split(",")[0]
            yield SystemCommand(f"{key.label.get(lang)} ({first})", KEY_HELP[key.action].get(lang),
                                getattr(self, f"action_{key.action}"))
        yield from super().get_system_commands(screen)

    # ================================================================== running commands

    def _focused_card(self) -> CommandCard | None:
        """The command card the focus is in, if any."""
        node = self.focused
        while node is not None:
            if isinstance(node, CommandCard):
                return node
            node = node.parent  # type: ignore[assignment]
        return None

    def action_run(self) -> None:
        """Run the focused command, or the next one not run yet."""
        if not self.ready:
            return
        card = self._focused_card()
        index = card.index if card is not None else self.runs.next_card_index()
        if index is None:
            self.notify(tr("no.command", self.language))
            return
        self.runs.start(index, interactive=False)

    def action_interactive(self) -> None:
        """Run the focused (or first) dialogue, typing the answers yourself."""
        if not self.ready:
            return
        card = self._focused_card()
        if card is not None and card.block.kind == "dialogue":
            index = card.index
        else:
            found = [i for i, b in enumerate(self.session.cards(self.step))
                     if b.kind == "dialogue"]
            if not found:
                return
            index = found[0]
        self.runs.start(index, interactive=True)

    @on(CommandCard.RunPressed)
    def _card_run(self, event: CommandCard.RunPressed) -> None:
        self.runs.start(event.index, event.interactive)

    @on(CommandCard.CopyPressed)
    def _card_copy(self, event: CommandCard.CopyPressed) -> None:
        self.runs.copy(event.index)

    def action_copy(self) -> None:
        """Copy the focused (or next) command to the clipboard."""
        if not self.ready:
            return
        card = self._focused_card()
        index = card.index if card is not None else self.runs.next_card_index()
        if index is not None:
            self.runs.copy(index)

    def action_stop_idle(self) -> None:
        """ctrl+c with nothing running: the lab does not quit on ctrl+c; say how to."""
        self.notify(tr("quit.how", self.language))

    def action_stop(self) -> None:
        """Stop the running command (ctrl+c)."""
        if not self.runs.stop():
            self.action_stop_idle()

    def action_skip(self) -> None:
        """Run a skippable step's solution for the learner and record it as skipped."""
        if self.ready:
            self.runs.skip()

    @on(RunOutput)
    def _run_output(self, message: RunOutput) -> None:
        self.runs.output(message)

    @on(RunWaiting)
    def _run_waiting(self, message: RunWaiting) -> None:
        self.runs.waiting(message)

    @on(RunEventPosted)
    def _run_event(self, message: RunEventPosted) -> None:
        self.runs.event(message)

    @on(RunDone)
    def _run_done(self, message: RunDone) -> None:
        self.runs.done(message)

    @on(PasswordWanted)
    def _password_wanted(self, message: PasswordWanted) -> None:
        self.runs.password_wanted(message)

    @on(TerminalWanted)
    def _terminal_wanted(self, message: TerminalWanted) -> None:
        self.runs.terminal_wanted(message)

    @on(Input.Submitted, "#interactive-input")
    def _typed_line(self, event: Input.Submitted) -> None:
        """Send a typed line to a driven command (shown in the output as the program echoes it)."""
        event.stop()
        self.runs.typed(event.value)
        event.input.value = ""

    @on(OutputPane.Typed.EndOfInput)
    def _typed_eof(self, event: OutputPane.Typed.EndOfInput) -> None:
        """ctrl+d: end of input (s-nail's body ends here)."""
        event.stop()
        self.runs.typed(event.value, eof=True)
        event.input.value = ""

    # ================================================================== checks

    def action_check(self) -> None:
        """Run the current step's checks, concurrently, in thread workers."""
        if self.ready:
            self.checks.start()

    @on(CheckPasswordWanted)
    def _check_password_wanted(self, message: CheckPasswordWanted) -> None:
        self.checks.password_wanted(message)

    @on(CheckAttempt)
    def _check_attempt(self, message: CheckAttempt) -> None:
        self.checks.attempt(message)

    @on(CheckDone)
    def _check_done(self, message: CheckDone) -> None:
        self.checks.done(message)

    @on(RecheckDone)
    def _recheck_done(self, message: RecheckDone) -> None:
        self.checks.recheck_done(message)

    # ================================================================== the mail log

    def _start_log(self) -> None:
        self.logs.start()

    @on(LogLinesReady)
    def _log_lines(self) -> None:
        """Move waiting lines from the buffer into the pane, a bounded batch at a time."""
        if self.query_one(LogPane).take(self.buffer, LOG_DRAIN):
            self.post_message(LogLinesReady())

    @on(LogStatusChanged)
    def _log_status(self, message: LogStatusChanged) -> None:
        self.logs.status_changed(message.status)

    def action_explain(self) -> None:
        """Explain the chosen log line (or the last problem line of this step)."""
        if not self.follow_log:
            self.notify(tr("log.off", self.language))
            return
        view = self.query_one(LogPane).view
        line = view.selected_line() or view.last_problem()
        if line is None:
            self.notify(tr("log.nothing", self.language))
            return
        self.push_screen(ExplainScreen(line, explain(line), self.language))

    # ================================================================== quitting

    async def action_quit(self) -> None:
        """Quit; while a command runs, ask first and stop it."""
        if self.active is None:
            self._stop_everything()
            self.exit(0)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._stop_everything()
                self.exit(0)

        self.push_screen(ConfirmScreen(tr("quit.running", self.language), self.language), answered)

    def _stop_everything(self) -> None:
        """Stop the running command and the log follower."""
        self.runs.stop_everything()
        self.logs.stop()

    def on_unmount(self) -> None:
        """Never leave a child or a thread behind."""
        self._stop_everything()
