"""Checking the step from the app: its checks at once in thread workers, and re-checks.

The app's message handlers hand the workers' messages here. Each press of `c` is one
generation: outcomes of an older generation (the learner moved on meanwhile) are dropped.
"""

from __future__ import annotations

import queue
import time
from functools import partial
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.timer import Timer

from maillab_tui.chapter import CheckSpec, Step
from maillab_tui.checking.api import Context, Result, Status
from maillab_tui.checking.grading import Outcome, grade_one
from maillab_tui.lab.gate import GateDecision
from maillab_tui.lab.progress import StepState
from maillab_tui.system import is_root
from maillab_tui.ui.messages import CheckAttempt, CheckDone, CheckPasswordWanted, RecheckDone
from maillab_tui.ui.screens import PasswordScreen
from maillab_tui.ui.strings import tr
from maillab_tui.ui.widgets.stepview import CheckRow

if TYPE_CHECKING:
    from maillab_tui.checking.rootprobe import RootProbe
    from maillab_tui.ui.app import LabApp

FINE = (Status.PASS, Status.SKIP)


class CheckFlow:
    """The current step's check outcomes, and the checks running for them."""

    def __init__(self, app: LabApp) -> None:
        self.app = app
        self.generation = 0
        self.outcomes: dict[str, list[Outcome | None]] = {}
        self.started: dict[int, float] = {}
        self.attempted: set[int] = set()
        self._timer: Timer | None = None
        self._rootprobe: RootProbe | None = None

    def forget(self) -> None:
        """A new step is on screen: outcomes still coming belong to the old one."""
        self.generation += 1

    def decision_of(self, step: Step) -> GateDecision:
        """The gate's decision for `step` with the outcomes known so far."""
        return self.app.session.decision(step, self.outcomes.get(step.id, []))

    # ------------------------------------------------------------------ checking the step

    def start(self) -> None:
        """Run the current step's checks, concurrently, in thread workers."""
        app, session = self.app, self.app.session
        step = app.step
        checks = session.checks(step)
        if not checks:
            app.notify(tr("check.none", app.language))
            return
        self.generation += 1
        generation = self.generation
        self.outcomes[step.id] = [None] * len(checks)
        self.started = {i: time.monotonic() for i in range(len(checks))}
        self.attempted = set()
        for row in app.query(CheckRow):
            row.show_running()
        ctx = session.probe_context(step, self._root_probe())
        for i, spec in enumerate(checks):
            app.run_worker(partial(self._worker, generation, i, step, spec, ctx),
                           thread=True, group="checks", exit_on_error=False, name=f"check {i}")
        if self._timer is None:
            self._timer = app.set_interval(1.0, self.tick)
        app.update_gate()

    def _worker(self, generation: int, index: int, step: Step, spec: CheckSpec,
                ctx: Context) -> None:
        """Worker thread: one check, waiting for readiness up to its timeout."""
        app = self.app

        def attempt(number: int, result: Result) -> None:
            if result.status not in FINE:
                app.post_message(CheckAttempt(generation, index, number))

        outcome = grade_one(step, spec, app.session.library, ctx,
                            factor=app.session.check_factor, on_attempt=attempt)
        app.post_message(CheckDone(generation, index, outcome))

    def row(self, index: int) -> CheckRow | None:
        """The mounted row of check `index`."""
        for row in self.app.query(CheckRow):
            if row.index == index:
                return row
        return None

    def _show_waiting(self, index: int, checks: tuple[CheckSpec, ...]) -> None:
        """`待機中 3/10 秒` on a check that waits for the system to be ready."""
        if index >= len(checks) or checks[index].timeout <= 0:
            return
        total = round(checks[index].timeout * self.app.session.check_factor)
        waited = int(time.monotonic() - self.started.get(index, time.monotonic()))
        row = self.row(index)
        if row is not None and total:
            row.show_running(min(waited, total), total)

    def tick(self) -> None:
        """Once a second: how long each waiting check has waited."""
        app = self.app
        pending = [i for i, o in enumerate(self.outcomes.get(app.step.id, [])) if o is None] \
            if app.ready else []
        if not pending:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            return
        checks = app.session.checks(app.step)
        for i in pending:
            if i in self.attempted:
                self._show_waiting(i, checks)

    def attempt(self, message: CheckAttempt) -> None:
        """A check failed once and will try again: show that it is waiting."""
        if message.check_run != self.generation:
            return
        self.attempted.add(message.index)
        self._show_waiting(message.index, self.app.session.checks(self.app.step))

    def done(self, message: CheckDone) -> None:
        """One outcome in; when all are in, record the step done or failed."""
        if message.check_run != self.generation:
            return
        app, session = self.app, self.app.session
        step = app.step
        outcomes = self.outcomes.setdefault(step.id, [])
        if message.index >= len(outcomes):
            return
        outcomes[message.index] = message.outcome
        row = self.row(message.index)
        if row is not None:
            row.show_outcome(message.outcome)
        if any(o is None for o in outcomes):
            return
        finished = [o for o in outcomes if o is not None]
        if all(o.status in FINE for o in finished):
            session.record(step.id, StepState.DONE)
            app.notify(tr("check.passed", app.language), severity="information")
        else:
            first = next(o for o in finished if o.status not in FINE)
            session.record(step.id, StepState.FAILED, first.diagnosis or first.check)
            key = "check.soft" if self.decision_of(step).allowed else "check.failed"
            app.notify(tr(key, app.language), severity="warning", timeout=8)
        app.after_state_change()
        for row in app.query(CheckRow):
            if row.outcome is not None and row.outcome.status not in FINE:
                # the top of the view: the cause and the hint below the name must be seen
                view = app.query_one("#step", VerticalScroll)
                app.call_after_refresh(view.scroll_to_widget, row, animate=False, top=True)
                break

    # ------------------------------------------------------------------ root, through sudo

    def _root_probe(self) -> RootProbe | None:
        """How checks that need root run for a learner who is not root: through sudo."""
        if is_root():
            return None
        if self._rootprobe is None:
            from maillab_tui.checking.rootprobe import RootProbe

            def forget() -> None:
                runner = self.app.session.runner
                if runner is not None and hasattr(runner, "forget_sudo_password"):
                    runner.forget_sudo_password()

            self._rootprobe = RootProbe(self.sudo_password, self.app.session.checks_dirs,
                                        forget)
        return self._rootprobe

    def sudo_password(self, wrong: bool, prompt: str = "check.sudo") -> str | None:
        """Worker thread: the learner's sudo password, remembered or asked for in the modal
        (`prompt` names the text that says what it is for)."""
        app = self.app
        runner = app.session.runner
        known = getattr(runner, "sudo_password", None)
        if not wrong and callable(known) and known():
            return str(known())
        forget = getattr(runner, "forget_sudo_password", None)
        if wrong and callable(forget):
            forget()
        reply: queue.Queue[str | None] = queue.Queue()
        app.post_message(CheckPasswordWanted(wrong, reply, prompt))
        while True:  # bounded by the app: a lab that quits meanwhile answers nothing
            try:
                value = reply.get(timeout=0.2)
                break
            except queue.Empty:
                if not app.is_running:
                    return None
        remember = getattr(runner, "remember_sudo_password", None)
        if value and callable(remember):
            remember(value)
        return value

    def password_wanted(self, message: CheckPasswordWanted) -> None:
        """Ask for the sudo password a check needs, in the modal that never shows it."""
        app = self.app
        screen = PasswordScreen(tr(message.prompt, app.language), "sudo", app.language,
                                2 if message.wrong else 1)
        app.push_screen(screen, message.reply.put)

    # ------------------------------------------------------------------ re-checking

    def recheck_finished(self) -> None:
        """Check finished steps again in the background: a reboot can undo work."""
        session = self.app.session
        _, _, progress = session.here()
        done = [s for s in session.steps if progress.state(s.id) == StepState.DONE
                and session.checks(s)]
        if done:
            self.app.run_worker(partial(self._recheck_worker, done), thread=True,
                                exclusive=True, group="recheck", exit_on_error=False)

    def _recheck_worker(self, steps: list[Step]) -> None:
        """Worker thread: one attempt of each check of each finished step (no waiting)."""
        session = self.app.session
        for step in steps:
            ctx = session.probe_context(step, self._root_probe())
            outcomes = [grade_one(step, spec, session.library, ctx, factor=0.0)
                        for spec in session.checks(step)]
            self.app.post_message(RecheckDone(step.id, outcomes))

    def recheck_done(self, message: RecheckDone) -> None:
        """A finished step that no longer passes is marked failed, and the learner told."""
        app, session = self.app, self.app.session
        _, _, progress = session.here()
        if all(o.status in FINE for o in message.outcomes):
            return
        if progress.state(message.step_id) != StepState.DONE:
            return
        first = next(o for o in message.outcomes if o.status not in FINE)
        session.record(message.step_id, StepState.FAILED,
                       f"recheck: {first.diagnosis or first.check}")
        title = next((s.title for s in session.steps if s.id == message.step_id),
                     message.step_id)
        app.notify(tr("recheck.failed", app.language, title=title), severity="warning",
                   timeout=15)
        if message.step_id == app.step.id:
            self.outcomes[message.step_id] = list(message.outcomes)
            app.call_later(app.render_step)
        app.after_state_change()
