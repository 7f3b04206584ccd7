"""The lab app: the chapter one step at a time, its commands, the mail log and the checks.

The app owns all state (where the learner is, what ran, what passed). Engine work runs in
thread workers and comes back as messages (ui/messages.py): command output in batches from
the runner, check outcomes from `grading.grade_one`, log lines from the follower through a
bounded buffer. Everything the tests need to replace is injectable: the check library, the
runner, the progress directory, the log file and the clock.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Header, Input, Log, OptionList, Static
from textual.widgets.option_list import Option

from maillab_tui.chapter import Chapter, CommandBlock, Step, load_chapter
from maillab_tui.chapter.variables import host_values, mask
from maillab_tui.checking.api import Library, Status, load_library, time_factor
from maillab_tui.checking.grading import Outcome, grade_one, make_context
from maillab_tui.lab.gate import GateDecision, decide
from maillab_tui.lab.progress import Progress, ProgressStore, StepState
from maillab_tui.mail.logfollow import (
    FileFollower,
    FollowStatus,
    JournalFollower,
    LineBuffer,
    follow_mail_log,
)
from maillab_tui.mail.patterns import explain
from maillab_tui.platform import PLATFORMS
from maillab_tui.system import is_root
from maillab_tui.text import render
from maillab_tui.ui import japanese
from maillab_tui.ui.logview import LogPane
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
from maillab_tui.ui.screens import (
    ChoiceScreen,
    ConfirmScreen,
    ExplainScreen,
    HelpScreen,
    PasswordScreen,
)
from maillab_tui.ui.stepview import (
    CheckRow,
    CommandCard,
    check_label,
    fill,
    markdown_widget,
    readable_pattern,
    shown_command,
    shown_text,
    step_meta,
)
from maillab_tui.ui.strings import KEY_HELP, KEYS, STATE_ICONS, tr

japanese.install()

WIDE = 150
"""From this width the mail log goes beside the step (its lines are long: below, they get the
whole width), leaving the step at least 60 columns between the step list and the log."""
ROOMY = 110
"""From this width the step list is shown beside the step by default, and the footer in full."""
LOG_DRAIN = 5000


class RunHandle(Protocol):
    """One run of a block, as the runner returns it (maillab_tui.run.Run)."""

    def execute(self) -> Any:
        """Run to the end in this thread; the block's result."""

    def cancel(self) -> None:
        """Stop it (from any thread)."""

    def write(self, data: str) -> None:
        """Type into it."""


class BlockRunner(Protocol):
    """What the app needs of the runner (maillab_tui.run.Runner)."""

    values: dict[str, str]

    def start(self, block: CommandBlock, listener: Any = None, *, step: str | None = None,
              interactive: bool | None = None) -> RunHandle:
        """A run of `block`, not started yet."""

    def cancel(self) -> None:
        """Cancel every run in progress."""


RunnerFactory = Callable[[Chapter, str, str], BlockRunner]
ChapterLoader = Callable[[str], Chapter]


def default_runner(chapter: Chapter, host: str, platform: str) -> BlockRunner:
    """The real runner: commands on this machine, with the chapter's values for `host`."""
    from maillab_tui.run import Runner

    runner: BlockRunner = Runner.for_chapter(chapter, host, platform)
    return runner


def summary_status(status: str, language: str) -> str:
    """A block's status as the card shows it (`✘ 失敗`)."""
    return tr(f"cmd.status.{status}", language)


def sibling_loader(chapter: Chapter) -> ChapterLoader:
    """Load the same chapter in another language: `en.md` beside `ja.md` (or the same file)."""

    def load(language: str) -> Chapter:
        if language == chapter.language:
            return chapter
        sibling = chapter.path.parent / f"{language}.md"
        if sibling.is_file():
            return load_chapter(sibling, language)
        fallback = chapter.path.parent / "ja.md"
        return load_chapter(fallback, "ja") if fallback.is_file() else chapter

    return load


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
    #gatebar { height: auto; max-height: 3; background: $boost; }
    #gate-text { width: 1fr; height: auto; padding: 0 1; }
    #gate-text.blocked { color: $error; text-style: bold; }
    #gate-text.open { color: $success; }
    #gate-text.warn { color: $warning; }
    #gatebar Button { margin-left: 1; min-width: 6; }
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
        chapter: Chapter,
        host: str | None,
        platform: str | None,
        language: str = "ja",
        free: bool = False,
        why: str = "",
        *,
        library: Library | None = None,
        checks_dirs: Sequence[str] = (),
        runner_factory: RunnerFactory | None = None,
        chapter_loader: ChapterLoader | None = None,
        progress_dir: str | Path | None = None,
        log_path: str | Path | None = None,
        follow_log: bool = True,
        clock: Callable[[], dt.datetime] | None = None,
        check_factor: float | None = None,
        log_max_lines: int = 5000,
        log_history: int = 200,
    ) -> None:
        super().__init__()
        self.chapter = chapter
        self.host = host
        self.platform = platform
        self.language = language
        self.free = free
        self.why = why
        # The check library and the runner are made on first use (or in the background once
        # the first step is on screen): loading every check module costs start-up time.
        self._library = library
        self.checks_dirs = list(checks_dirs)
        self._library_lock = threading.Lock()
        self.runner_factory = runner_factory or default_runner
        self.chapter_loader = chapter_loader or sibling_loader(chapter)
        self.clock = clock or (lambda: dt.datetime.now().astimezone())
        self.store = ProgressStore(progress_dir, clock=self.clock, secrets=chapter.secrets())
        self.log_path = Path(log_path) if log_path is not None else None
        self.follow_log = follow_log
        self.check_factor = check_factor if check_factor is not None else time_factor()
        self.log_max_lines = log_max_lines
        self.log_history = log_history
        # session state (the UI owns it; workers only post messages)
        self.ready = False
        self.progress: Progress | None = None
        self.steps: tuple[Step, ...] = ()
        self.index = 0
        self.runner: BlockRunner | None = None
        self._rootprobe: Any = None
        self.active: ActiveRun | None = None
        self.run_counter = 0
        self.check_run = 0
        self.outcomes: dict[str, list[Outcome | None]] = {}
        self.check_started: dict[int, float] = {}
        self.check_attempted: set[int] = set()
        self.block_status: dict[tuple[str, int], tuple[str, str]] = {}
        self.reveal = False
        self.log_visible = True
        self.steps_visible: bool | None = None  # None: by width (shown when wide)
        self.log_width = 40  # percent of the screen, wide layout
        self.log_height = 6  # rows, narrow layout
        self.output_visible = False
        self.buffer = LineBuffer(max_lines=max(log_max_lines * 4, 20000))
        self.follower: FileFollower | JournalFollower | None = None
        self.log_source = ""
        self._check_timer: Timer | None = None
        self.started_at = time.monotonic()
        self.first_screen_at: float | None = None
        self._localize_bindings()

    # ================================================================== layout

    def compose(self) -> ComposeResult:
        """Header, the steps, the step with its gate bar and output, the mail log, the footer."""
        yield Header(show_clock=False, icon="✉")
        with Container(id="body"):
            yield OptionList(id="steps")
            with Vertical(id="center"):
                yield VerticalScroll(id="step")
                with Horizontal(id="gatebar"):
                    yield Static("", id="gate-text")
                    yield Button("◀", id="prev-button", compact=True)
                    yield Button("", id="check-button", compact=True)
                    yield Button("", id="next-button", compact=True, variant="primary")
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

    def _apply_layout(self) -> None:
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
        self._apply_layout()
        self._update_texts()
        self.call_after_refresh(self._tell_driven_size)

    def _output_columns(self) -> int | None:
        """The output log's width, for a program the learner drives."""
        width = self.query_one("#output-log", Log).content_size.width
        return width if width >= 20 else None

    def _tell_driven_size(self) -> None:
        """A program the learner drives formats for the pane's width (s-nail pads its list of
        messages to the terminal's width: wider than the pane, the subjects were cut). Its
        height stays the runner's: the log scrolls, and a terminal as short as the pane would
        make s-nail page every message through --More--."""
        active = self.active
        cols = self._output_columns()
        rows = getattr(self.runner, "rows", None)
        if (active is not None and active.interactive and active.handle is not None and cols
                and isinstance(rows, int)):
            resize = getattr(active.handle, "resize", None)
            if callable(resize):
                resize(rows, cols)

    # ================================================================== start

    def on_mount(self) -> None:
        """Start following the log, then find out who we are (host role, platform)."""
        self.title = self.chapter.title
        self._apply_layout()
        self._update_texts()
        if self.follow_log:
            self._start_log()
        self._begin()

    def _begin(self) -> None:
        """Ask for the host role when it is not known and not remembered."""
        if self.host is None:
            remembered = self.store.last_host(self.chapter.id, self.chapter.hosts)
            if remembered is not None:
                self.host = remembered
                self.notify(tr("host.remembered", self.language, host=remembered))
            else:
                options = [
                    (role, f"{role} — {h.vars.get('fqdn', '')} ({h.vars.get('address', '')})")
                    for role, h in self.chapter.hosts.items()]
                note = tr("host.why", self.language)
                self.push_screen(ChoiceScreen(tr("host.title", self.language), note, options,
                                              self.language), self._host_chosen)
                return
        self._after_host()

    def _host_chosen(self, host: str | None) -> None:
        """The learner chose the role."""
        if host is None:
            self.exit(2)
            return
        self.host = host
        self._after_host()

    def _after_host(self) -> None:
        """Load the learner's progress for this role; ask for the platform if still unknown."""
        assert self.host is not None
        loaded = self.store.load(self.chapter.id, self.host, self.chapter.source_hash)
        self.progress = loaded.progress
        if loaded.notice is not None:
            self.notify(loaded.notice.get(self.language), severity="warning", timeout=15)
        if self.platform is None:
            self.platform = self.progress.platform or None
        if self.platform is None:
            options = [(name, name) for name in self.chapter.platforms if name in PLATFORMS] or \
                [(name, name) for name in PLATFORMS]
            self.push_screen(ChoiceScreen(tr("platform.title", self.language), "", options,
                                          self.language), self._platform_chosen)
            return
        self._after_platform(resumed=loaded.existed and bool(loaded.progress.current_step))

    def _platform_chosen(self, platform: str | None) -> None:
        """The learner chose the platform."""
        if platform is None:
            self.exit(2)
            return
        self.platform = platform
        self._after_platform(resumed=False)

    def _after_platform(self, resumed: bool) -> None:
        """Everything is known: show the steps and go to where the learner left off."""
        assert self.host is not None and self.platform is not None and self.progress is not None
        progress = self.progress
        progress.platform = self.platform
        progress.language = self.language
        self.steps = self.chapter.steps_for(self.host)
        ids = [s.id for s in self.steps]
        start = ids.index(progress.current_step) if progress.current_step in ids else 0
        self.ready = True
        self._fill_step_list()
        self._goto(start, announce=False)
        if resumed and start > 0:
            self.notify(tr("resumed", self.language, title=self.steps[start].title))
        self._recheck_finished()
        self._preload()
        self.first_screen_at = time.monotonic()

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
        if self.host:
            role = self.chapter.hosts.get(self.host)
            fqdn = role.vars.get("fqdn", "") if role and self.roomy else ""
            parts.append(f"{self.host} ({fqdn})" if fqdn else self.host)
        parts.append(self.platform or "?")
        if self.steps:
            parts.append(tr("done.count", lang, done=done, total=len(self.steps)))
        if self.free:
            parts.append(tr("free", lang))
        self.sub_title = " · ".join(parts)
        self.query_one("#steps").border_title = tr("steps", lang)
        self.query_one("#check-button", Button).label = f"{tr('checks', lang).split()[0]} c" \
            if lang == "en" else "チェック c"
        self.query_one("#next-button", Button).label = ("次へ ▶" if lang == "ja" else "Next ▶")
        self._update_gate()

    # ================================================================== the step list

    def _step_prompt(self, number: int, step: Step) -> Text:
        """`✔完了 3. main.cf の設定`: the state by symbol and word, never by colour alone."""
        assert self.progress is not None
        state = self.progress.state(step.id)
        word = tr(f"state.{state}", self.language)
        text = Text()
        text.append(f"{STATE_ICONS[state]}{word} ", style="bold" if state != StepState.NOT_STARTED
                    else "dim")
        text.append(f"{number}. {step.title}")
        return text

    def _fill_step_list(self) -> None:
        """All steps of this host with their states."""
        steps = self.query_one("#steps", OptionList)
        steps.clear_options()
        steps.add_options([Option(self._step_prompt(i + 1, s), id=s.id)
                           for i, s in enumerate(self.steps)])
        steps.highlighted = self.index

    def _refresh_step_list(self) -> None:
        """Update the prompts after a state change."""
        steps = self.query_one("#steps", OptionList)
        for i, step in enumerate(self.steps):
            steps.replace_option_prompt_at_index(i, self._step_prompt(i + 1, step))
        steps.highlighted = self.index

    @on(OptionList.OptionSelected, "#steps")
    def _step_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click on a step goes there, if the gates allow."""
        event.stop()
        self._try_goto(event.option_index)

    # ================================================================== moving between steps

    @property
    def library(self) -> Library:
        """The check library (loaded on first use, from any thread)."""
        with self._library_lock:
            if self._library is None:
                self._library = load_library(self.checks_dirs)
            return self._library

    def _ensure_runner(self) -> BlockRunner:
        """The runner for this host (made on first use)."""
        if self.runner is None:
            assert self.host is not None and self.platform is not None
            self.runner = self.runner_factory(self.chapter, self.host, self.platform)
        return self.runner

    @work(thread=True, group="preload", exit_on_error=False)
    def _preload(self) -> None:
        """Worker thread: load the check library while the learner reads the first step."""
        _ = self.library

    @property
    def step(self) -> Step:
        """The current step."""
        return self.steps[self.index]

    def _checks(self, step: Step) -> tuple[Any, ...]:
        """The checks of a step on this platform and host."""
        assert self.platform is not None and self.host is not None
        return step.checks_for(self.platform, self.host)

    def _decision(self, step: Step) -> GateDecision:
        """May the learner leave `step` forwards?"""
        assert self.progress is not None
        outcomes = [o for o in self.outcomes.get(step.id, []) if o is not None]
        return decide(step, has_checks=bool(self._checks(step)),
                      state=self.progress.state(step.id), outcomes=outcomes, free=self.free)

    def _can_enter(self, target: int) -> GateDecision:
        """Whether every step between here and `target` lets the learner through."""
        if self.free or target <= self.index:
            return GateDecision(True)
        for i in range(self.index, target):
            decision = self._decision(self.steps[i])
            if not decision.allowed:
                return decision
        return GateDecision(True)

    def _try_goto(self, target: int) -> None:
        """Go to a step when allowed, else say why."""
        if not self.ready or target == self.index or not 0 <= target < len(self.steps):
            return
        if self.active is not None:
            self.notify(tr("busy", self.language), severity="warning")
            self.query_one("#steps", OptionList).highlighted = self.index
            return
        decision = self._can_enter(target)
        if not decision.allowed:
            self.bell()
            self.notify(tr("gate.blocked", self.language), severity="warning")
            self.query_one("#steps", OptionList).highlighted = self.index
            return
        if target > self.index:
            self._leave_forward()
        self._goto(target)

    def _leave_forward(self) -> None:
        """Leaving a step forwards: a step without checks counts as done."""
        assert self.progress is not None
        step = self.step
        if not self._checks(step) and not self.progress.finished(step.id):
            self.store.record(self.progress, step.id, StepState.DONE)

    def _goto(self, index: int, announce: bool = True) -> None:
        """Show step `index`: remember it, mark it in the log, render it."""
        assert self.progress is not None
        self.index = index
        step = self.step
        self.check_run += 1
        if step.id not in self.progress.started:
            self.progress.started[step.id] = self.store.timestamp()
        self.store.move_to(self.progress, step.id)
        if self.follow_log:
            log = self.query_one(LogPane)
            stamp = self.clock().strftime("%H:%M:%S")
            log.view.add_separator(tr("log.separator", self.language,
                                      title=f"{index + 1}. {step.title}", time=stamp))
            log.update_title()
        self.output_visible = False
        self.query_one("#output-log", Log).clear()
        self._apply_layout()
        self._refresh_step_list()
        self._update_texts()
        self.call_later(self._render_step)
        self.refresh_bindings()

    async def _render_step(self) -> None:
        """Mount the current step: title, text, command cards, check rows (one step at a time)."""
        assert self.progress is not None and self.platform is not None and self.host is not None
        view = self.query_one("#step", VerticalScroll)
        step = self.step
        lang = self.language
        values = self._values()
        secrets = self._secrets()
        checks = self._checks(step)
        widgets: list[Any] = [
            Static(Text(f"{self.index + 1}/{len(self.steps)}  {step.title}"), classes="step-title"),
            Static(Text(step_meta(step, self.progress.state(step.id), lang, bool(checks))),
                   classes="step-meta"),
        ]
        if self.index == 0 and self.chapter.intro.strip():
            widgets.append(markdown_widget(shown_text(self._intro(), values, secrets, self.reveal)))
        cards = self._cards(step)
        for part in step.parts:
            if isinstance(part, str):
                widgets.append(markdown_widget(shown_text(part, values, secrets, self.reveal)))
            elif part in cards:
                index = cards.index(part)
                status, _detail = self.block_status.get((step.id, index), ("idle", ""))
                script = self._script(part, values, secrets) if part.kind == "dialogue" else []
                widgets.append(CommandCard(index, part, shown_command(part, values, secrets,
                                                                      self.reveal),
                                           lang, script, status,
                                           fill(part.user or "", values)))
        widgets.append(Static(tr("checks", lang), classes="section"))
        if checks:
            outcomes = self.outcomes.get(step.id, [])
            for i, spec in enumerate(checks):
                row = CheckRow(i, check_label(spec, values, secrets), lang)
                if i < len(outcomes) and outcomes[i] is not None:
                    row.show_outcome(outcomes[i])  # type: ignore[arg-type]
                widgets.append(row)
        else:
            widgets.append(Static(tr("check.none", lang), classes="check-none"))
        with self.batch_update():
            await view.remove_children()
            await view.mount_all(widgets)
        for (step_id, index), (status, detail) in self.block_status.items():
            if step_id == step.id and status != "idle":
                for card in view.query(CommandCard):
                    if card.index == index:
                        card.set_status(status, detail)
        view.scroll_home(animate=False)

    def _intro(self) -> str:
        """The chapter's introduction without its level-1 title (shown above the first step)."""
        lines = [ln for ln in self.chapter.intro.strip().splitlines() if not ln.startswith("# ")]
        return "\n".join(lines).strip()

    def _cards(self, step: Step) -> list[CommandBlock]:
        """The step's command blocks for this platform and host, in order."""
        assert self.platform is not None and self.host is not None
        return list(step.commands_for(self.platform, self.host))

    def _values(self) -> dict[str, str]:
        """This host's values, with anything captured by commands so far."""
        assert self.host is not None
        values = host_values(self.chapter, self.host, self.platform or "")
        runner_values = getattr(self.runner, "values", None)
        if isinstance(runner_values, dict):
            values.update(runner_values)
        return values

    def _secrets(self) -> list[str]:
        """Values never shown (unless revealed) or recorded."""
        return list(self.chapter.secrets())

    def _script(self, block: CommandBlock, values: dict[str, str], secrets: list[str]) -> list[str]:
        """A dialogue's turns as the learner reads them: what appears, what to type."""
        lines = []
        for turn in block.dialogue:
            if turn.expect is not None:
                if turn.ends:
                    lines.append("  " + ("（終了）" if self.language == "ja" else "(the end)"))
                else:
                    shown = readable_pattern(fill(turn.expect, values))
                    lines.append(f"  {'画面' if self.language == 'ja' else 'shows'}: {shown}")
            elif turn.send is not None:
                sent = shown_text(turn.send, values, secrets, self.reveal)
                shown = "ctrl+d" if sent == "^D" else (sent or "Enter")
                lines.append(f"  {'入力' if self.language == 'ja' else 'type'}: {shown}")
        return lines

    # ================================================================== the gate bar

    def _update_gate(self) -> None:
        """Say whether the learner may go on, and enable Next accordingly."""
        gate = self.query_one("#gate-text", Static)
        next_button = self.query_one("#next-button", Button)
        prev_button = self.query_one("#prev-button", Button)
        lang = self.language
        if not self.ready or not self.steps:
            gate.update("")
            next_button.disabled = True
            prev_button.disabled = True
            return
        step = self.step
        decision = self._decision(step)
        last = self.index == len(self.steps) - 1
        prev_button.disabled = self.index == 0
        next_button.disabled = last or not decision.allowed
        gate.set_classes("")
        if not self._checks(step):
            text = tr("gate.nochecks", lang)
            gate.add_class("open")
        elif not decision.allowed:
            text = "✘" + tr("gate.closed", lang)
            gate.add_class("blocked")
        elif decision.warning is not None and not self.progress_finished(step):
            text = "!" + decision.warning.get(lang)
            gate.add_class("warn")
        else:
            text = "✔" + tr("gate.open", lang)
            gate.add_class("open")
        if last:
            text = f"{text}  ({tr('gate.last', lang)})"
        gate.update(Text(text))

    def progress_finished(self, step: Step) -> bool:
        """True when the step is recorded done or skipped."""
        return self.progress is not None and self.progress.finished(step.id)

    @on(Button.Pressed, "#next-button")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#prev-button")
    def _prev_pressed(self) -> None:
        self.action_previous()

    @on(Button.Pressed, "#check-button")
    def _check_pressed(self) -> None:
        self.action_check()

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
                                and self._decision(self.step).allowed) else None
            if action == "next_blocked":
                return not self._decision(self.step).allowed
            if action == "previous":
                return True if self.index > 0 else None
            if action == "skip":
                return self.step.skippable or self.free
            if action == "interactive":
                return any(b.kind == "dialogue" for b in self._cards(self.step)) or None
        return True

    def action_next(self) -> None:
        """Go to the next step (the gate permitting)."""
        if not self.ready:
            return
        if self.index >= len(self.steps) - 1:
            self.notify(tr("gate.last", self.language))
            return
        decision = self._decision(self.step)
        finished = self.progress_finished(self.step)
        if decision.allowed and decision.warning is not None and not finished:
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
        self._apply_layout()

    def action_toggle_steps(self) -> None:
        """Show or hide the step list."""
        shown = self.steps_visible if self.steps_visible is not None else self.roomy
        self.steps_visible = not shown
        self._apply_layout()
        if self.steps_visible:
            self.query_one("#steps").focus()

    def action_toggle_output(self) -> None:
        """Show or hide the command output."""
        self.output_visible = not self.output_visible
        self._apply_layout()

    def action_log_bigger(self) -> None:
        """A bigger log pane."""
        if self.wide:
            self.log_width = min(70, self.log_width + 5)
        else:
            self.log_height = min(max(3, self.size.height - 10), self.log_height + 2)
        self.log_visible = True
        self._apply_layout()

    def action_log_smaller(self) -> None:
        """A smaller log pane."""
        if self.wide:
            self.log_width = max(20, self.log_width - 5)
        else:
            self.log_height = max(3, self.log_height - 2)
        self._apply_layout()

    def action_reveal(self) -> None:
        """Show or hide secret values in the step text."""
        self.reveal = not self.reveal
        self.notify(tr("secrets.shown" if self.reveal else "secrets.hidden", self.language))
        if self.ready:
            self.call_later(self._render_step)

    def action_language(self) -> None:
        """Switch between Japanese and English (the UI and the chapter)."""
        new = "en" if self.language == "ja" else "ja"
        try:
            chapter = self.chapter_loader(new)
        except Exception as exc:  # a broken translation must not take the lab down
            self.notify(str(exc), severity="error")
            chapter = self.chapter
        self.language = new
        if chapter.language != new:
            self.notify(tr("no.en", new), severity="warning")
        else:
            self.notify(tr("language.switched", new))
        self.chapter = chapter
        if self.host is not None and self.ready:
            ids = [s.id for s in self.steps]
            self.steps = chapter.steps_for(self.host)
            current = ids[self.index] if self.index < len(ids) else ""
            new_ids = [s.id for s in self.steps]
            self.index = new_ids.index(current) if current in new_ids else 0
        if self.progress is not None:
            self.progress.language = new
            self.store.save(self.progress)
        self._localize_bindings()
        self.query_one(LogPane).set_language(new)
        self._update_texts()
        if self.ready:
            self._refresh_step_list()
            self.call_later(self._render_step)

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

    def _next_card_index(self) -> int | None:
        """The first card of this step not run successfully yet (else the first)."""
        cards = self._cards(self.step)
        if not cards:
            return None
        for i in range(len(cards)):
            if self.block_status.get((self.step.id, i), ("idle", ""))[0] not in ("ok", "skipped"):
                return i
        return 0

    def action_run(self) -> None:
        """Run the focused command, or the next one not run yet."""
        if not self.ready:
            return
        card = self._focused_card()
        index = card.index if card is not None else self._next_card_index()
        if index is None:
            self.notify(tr("no.command", self.language))
            return
        self._start_run(index, interactive=False)

    def action_interactive(self) -> None:
        """Run the focused (or first) dialogue, typing the answers yourself."""
        if not self.ready:
            return
        card = self._focused_card()
        cards = self._cards(self.step)
        if card is not None and card.block.kind == "dialogue":
            index = card.index
        else:
            found = [i for i, b in enumerate(cards) if b.kind == "dialogue"]
            if not found:
                return
            index = found[0]
        self._start_run(index, interactive=True)

    @on(CommandCard.RunPressed)
    def _card_run(self, event: CommandCard.RunPressed) -> None:
        self._start_run(event.index, event.interactive)

    @on(CommandCard.CopyPressed)
    def _card_copy(self, event: CommandCard.CopyPressed) -> None:
        self._copy(event.index)

    def action_copy(self) -> None:
        """Copy the focused (or next) command to the clipboard."""
        if not self.ready:
            return
        card = self._focused_card()
        index = card.index if card is not None else self._next_card_index()
        if index is not None:
            self._copy(index)

    def _copy(self, index: int) -> None:
        """Copy one command exactly as it runs here."""
        block = self._cards(self.step)[index]
        text = shown_command(block, self._values(), self._secrets(), reveal=True)
        self.copy_to_clipboard(text)
        shown = mask(text, self._secrets())
        first = shown.splitlines()[0] if shown else ""
        self.notify(tr("copied", self.language, text=first[:60]))

    def _card(self, index: int) -> CommandCard | None:
        """The mounted card of the current step with this index."""
        for card in self.query(CommandCard):
            if card.index == index:
                return card
        return None

    def _set_block_status(self, step_id: str, index: int, status: str, detail: str = "") -> None:
        """Remember and show how a block's run is going."""
        self.block_status[(step_id, index)] = (status, detail)
        if step_id == self.step.id:
            card = self._card(index)
            if card is not None:
                card.set_status(status, detail)

    def _start_run(self, index: int, interactive: bool) -> None:
        """Run one command block in a thread worker; its output streams into the output pane."""
        if self.active is not None:
            self.notify(tr("busy", self.language), severity="warning")
            return
        cards = self._cards(self.step)
        if not 0 <= index < len(cards):
            return
        self._begin_sequence([(index, cards[index])], interactive, "run")

    def _begin_sequence(self, blocks: Sequence[tuple[int, CommandBlock]], interactive: bool,
                        purpose: str) -> None:
        """Run blocks one after the other (a card, or a step's solution) in one worker."""
        self._ensure_runner()
        self.run_counter += 1
        active = ActiveRun(self.run_counter, self.step.id, blocks[0][0], interactive,
                           purpose=purpose)
        self.active = active
        pane = self.query_one(OutputPane)
        log = self.query_one("#output-log", Log)
        log.clear()
        first = shown_command(blocks[0][1], self._values(), self._secrets())
        pane.border_title = f"{tr('output', self.language)}: $ {first.splitlines()[0][:60]}"
        interactive_row = self.query_one("#interactive")
        interactive_row.set_class(interactive, "shown")
        if interactive:
            hint = tr("interactive.hint", self.language)
            self.query_one("#interactive-hint", Static).update(hint)
            self.query_one("#interactive-prompt", Static).update("")
        self.output_visible = True
        self._apply_layout()
        for index, _block in blocks:
            if index >= 0:
                self._set_block_status(self.step.id, index, "idle")
        if blocks[0][0] >= 0:
            self._set_block_status(self.step.id, blocks[0][0], "running")
        self.refresh_bindings()
        self.run_worker(partial(self._run_blocks, active, list(blocks)), thread=True,
                        group="run", exit_on_error=False, name=f"run {active.run_id}")
        if interactive:
            self.query_one("#interactive-input", Input).focus()

    def _run_blocks(self, active: ActiveRun, blocks: list[tuple[int, CommandBlock]]) -> None:
        """Worker thread: run each block through the runner; post every result."""
        from maillab_tui.ui.bridge import UIListener

        assert self.runner is not None
        listener = UIListener(self, active.run_id, active.cancelled)
        for index, block in blocks:
            if active.cancelled.is_set():
                break
            # a program the learner drives gets the pane's width (it formats for it)
            cols = self.call_from_thread(self._output_columns) if active.interactive else None
            saved = getattr(self.runner, "cols", None)
            try:
                if cols is not None and saved is not None:
                    self.runner.cols = cols  # type: ignore[attr-defined]
                handle = self.runner.start(block, listener, step=active.step_id,
                                           interactive=active.interactive)
                active.handle = handle
                if active.cancelled.is_set():
                    handle.cancel()
                result: Any = handle.execute()
            except Exception as exc:  # the runner reports failures; this is a bug or no runner
                result = exc
            finally:
                if cols is not None and saved is not None:
                    self.runner.cols = saved  # type: ignore[attr-defined]
            self.post_message(RunDone(active.run_id, index, result))
            if isinstance(result, Exception) or not getattr(result, "ok", False):
                break
        self.post_message(RunDone(active.run_id, -2, None))  # the sequence is over

    def action_stop_idle(self) -> None:
        """ctrl+c with nothing running: the lab does not quit on ctrl+c; say how to."""
        self.notify("終了するには ctrl+q" if self.language == "ja" else "ctrl+q quits the lab")

    def action_stop(self) -> None:
        """Stop the running command (ctrl+c)."""
        active = self.active
        if active is None:
            self.action_stop_idle()
            return
        active.cancelled.set()
        if active.handle is not None:
            active.handle.cancel()
        self.query_one("#output-log", Log).write_line(tr("stopping", self.language))

    @on(RunOutput)
    def _run_output(self, message: RunOutput) -> None:
        """A batch of output lines."""
        if self.active is not None and message.run_id == self.active.run_id:
            self.query_one("#output-log", Log).write_lines(message.lines)

    @on(RunWaiting)
    def _run_waiting(self, message: RunWaiting) -> None:
        """An unfinished line: show it as the prompt of the input row."""
        if self.active is not None and message.run_id == self.active.run_id:
            from maillab_tui.run import recognise_prompt

            self.query_one("#interactive-prompt", Static).update(Text(message.partial[-60:]))
            # what the learner types at a password prompt is never shown, here either
            self.query_one("#interactive-input", Input).password = \
                recognise_prompt(message.partial) is not None

    @on(RunEventPosted)
    def _run_event(self, message: RunEventPosted) -> None:
        """Runner notices worth a line in the output pane."""
        if self.active is None or message.run_id != self.active.run_id:
            return
        from maillab_tui import run as runmod

        event = message.event
        log = self.query_one("#output-log", Log)
        lang = self.language
        if isinstance(event, runmod.BlockStarted):
            log.write_line(f"$ {event.command.splitlines()[0] if event.command else ''}")
        elif isinstance(event, runmod.BlockSkipped):
            log.write_line(render(event.message, lang))
        elif isinstance(event, runmod.PasswordTyped):
            log.write_line("（パスワードを入力しました）" if lang == "ja" else "(password typed)")
        elif isinstance(event, runmod.ValueCaptured):
            log.write_line(f"{{{{ {event.name} }}}} = {event.value}")
        elif isinstance(event, runmod.Stopping):
            log.write_line(f"… {event.stage}")

    @on(RunDone)
    def _run_done(self, message: RunDone) -> None:
        """A block ended (or the whole sequence did, index -2)."""
        active = self.active
        if active is None or message.run_id != active.run_id:
            return
        log = self.query_one("#output-log", Log)
        lang = self.language
        if message.block_index == -2:
            self.active = None
            self.query_one("#interactive").set_class(False, "shown")
            if active.purpose == "skip":
                self._skip_finished(active)
            elif active.purpose == "skip-failed":
                self.notify(tr("skip.failed", self.language, why=active.why), severity="error",
                            timeout=10)
            self.refresh_bindings()
            if active.step_id == self.step.id:
                self.call_later(self._render_step)  # captured values appear in later commands
            return
        result = message.result
        if isinstance(result, Exception):
            status, detail = "error", f"{type(result).__name__}: {result}"
        else:
            status = str(getattr(result, "status", "error"))
            code = getattr(result, "exit_code", None)
            detail = f"({code})" if code not in (None, 0) else ""
            text = getattr(result, "message", None)
            if text is not None:
                log.write_line(render(text, lang))
            failure = getattr(result, "failure", None)
            if failure is not None:
                log.write_lines([f"  {line}" for line in failure.screen])
        if status not in ("ok", "failed", "skipped", "cancelled", "timeout", "error", "stopped"):
            status = "error"
        if message.block_index >= 0:
            self._set_block_status(active.step_id, message.block_index, status, detail)
        if status not in ("ok", "skipped", "stopped") and active.purpose == "skip":
            active.purpose = "skip-failed"
            active.why = f"{summary_status(status, lang)} {detail}".strip()
        summary = tr(f"cmd.status.{status}", lang)
        log.write_line(f"── {summary} {detail}".rstrip())

    @on(PasswordWanted)
    def _password_wanted(self, message: PasswordWanted) -> None:
        """Ask for the password in a modal that never shows it."""
        if self.active is None or message.run_id != self.active.run_id:
            message.reply.put(None)
            return
        prompt = message.prompt
        screen = PasswordScreen(getattr(prompt, "text", str(prompt)), getattr(prompt, "kind", ""),
                                self.language, getattr(prompt, "attempt", 1))
        self.push_screen(screen, message.reply.put)

    @on(TerminalWanted)
    def _terminal_wanted(self, message: TerminalWanted) -> None:
        """Hand the real terminal to an editor or a full-screen program, then come back."""
        from maillab_tui.run import run_foreground

        if self.active is None or message.run_id != self.active.run_id:
            message.reply.put(None)
            return
        code: int | None
        try:
            with self.suspend():
                code = run_foreground(message.request.argv)
        except SuspendNotSupported:
            self.notify(tr("terminal.unsupported", self.language), severity="error")
            code = None
        message.reply.put(code)
        if code is not None:
            self.notify(tr("terminal.back", self.language, code=code))

    @on(Input.Submitted, "#interactive-input")
    def _typed_line(self, event: Input.Submitted) -> None:
        """Send a typed line to a driven command (shown in the output as the program echoes it)."""
        event.stop()
        active = self.active
        if active is not None and active.handle is not None:
            active.handle.write(event.value + "\r")
        event.input.value = ""

    @on(OutputPane.Typed.EndOfInput)
    def _typed_eof(self, event: OutputPane.Typed.EndOfInput) -> None:
        """ctrl+d: end of input (s-nail's body ends here)."""
        event.stop()
        active = self.active
        if active is not None and active.handle is not None:
            if event.value:
                active.handle.write(event.value)
                event.input.value = ""
            active.handle.write("\x04")

    # ================================================================== skipping

    def action_skip(self) -> None:
        """Run a skippable step's solution for the learner and record it as skipped."""
        if not self.ready:
            return
        step = self.step
        if not step.skippable and not self.free:
            self.notify(tr("skip.not", self.language), severity="warning")
            return
        if self.active is not None:
            self.notify(tr("busy", self.language), severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_solution()

        self.push_screen(ConfirmScreen(tr("skip.confirm", self.language, title=step.title),
                                       self.language), answered)

    def _run_solution(self) -> None:
        """The step's solve blocks (or its commands), one after the other, autopilot."""
        assert self.platform is not None and self.host is not None
        blocks = self.step.solve_for(self.platform, self.host)
        if not blocks:
            self._record_skip()
            return
        self._begin_sequence([(-1, b) for b in blocks], False, "skip")

    def _skip_finished(self, active: ActiveRun) -> None:
        """The solution ran; record the skip when it went well."""
        if active.cancelled.is_set():
            return
        self._record_skip()

    def _record_skip(self) -> None:
        """Record the current step as skipped (never as passed)."""
        assert self.progress is not None
        self.store.record(self.progress, self.step.id, StepState.SKIPPED)
        self.notify(tr("skip.done", self.language))
        self._after_state_change()

    # ================================================================== checks

    def action_check(self) -> None:
        """Run the current step's checks, concurrently, in thread workers."""
        if not self.ready:
            return
        step = self.step
        checks = self._checks(step)
        if not checks:
            self.notify(tr("check.none", self.language))
            return
        self.check_run += 1
        generation = self.check_run
        self.outcomes[step.id] = [None] * len(checks)
        self.check_started = {i: time.monotonic() for i in range(len(checks))}
        self.check_attempted = set()
        for row in self.query(CheckRow):
            row.show_running()
        ctx = self._probe_context(step)
        for i, spec in enumerate(checks):
            self.run_worker(partial(self._check_worker, generation, i, step, spec, ctx),
                            thread=True, group="checks", exit_on_error=False,
                            name=f"check {i}")
        if self._check_timer is None:
            self._check_timer = self.set_interval(1.0, self._tick_checks)
        self._update_gate()

    def _probe_context(self, step: Step) -> Any:
        """The probe context: this host's values, the language, and when the step began."""
        assert self.host is not None and self.platform is not None and self.progress is not None
        since = None
        started = self.progress.started.get(step.id)
        if started:
            try:
                since = dt.datetime.fromisoformat(started).timestamp()
            except ValueError:
                since = None
        ctx = make_context(self.chapter, self.host, self.platform, self.language, since=since,
                           as_root=self._root_probe())
        runner_values = getattr(self.runner, "values", None)
        if isinstance(runner_values, dict):
            ctx.values = {**ctx.values, **runner_values}
        return ctx

    def _root_probe(self) -> Any:
        """How checks that need root run for a learner who is not root: through sudo."""
        if is_root():
            return None
        if self._rootprobe is None:
            from maillab_tui.checking.rootprobe import RootProbe

            def forget() -> None:
                if self.runner is not None and hasattr(self.runner, "forget_sudo_password"):
                    self.runner.forget_sudo_password()

            self._rootprobe = RootProbe(self._sudo_for_checks, self.checks_dirs, forget)
        return self._rootprobe

    def _sudo_for_checks(self, wrong: bool) -> str | None:
        """Worker thread: the learner's sudo password, remembered or asked for in the modal."""
        runner = self.runner
        known = getattr(runner, "sudo_password", None)
        if not wrong and callable(known) and known():
            return str(known())
        reply: queue.Queue[str | None] = queue.Queue()
        self.post_message(CheckPasswordWanted(wrong, reply))
        while True:  # bounded by the app: a lab that quits meanwhile answers nothing
            try:
                value = reply.get(timeout=0.2)
                break
            except queue.Empty:
                if not self.is_running:
                    return None
        remember = getattr(runner, "remember_sudo_password", None)
        if value and callable(remember):
            remember(value)
        return value

    @on(CheckPasswordWanted)
    def _check_password_wanted(self, message: CheckPasswordWanted) -> None:
        """Ask for the sudo password a check needs, in the modal that never shows it."""
        screen = PasswordScreen(tr("check.sudo", self.language), "sudo", self.language,
                                2 if message.wrong else 1)
        self.push_screen(screen, message.reply.put)

    def _check_worker(self, generation: int, index: int, step: Step, spec: Any, ctx: Any) -> None:
        """Worker thread: one check, waiting for readiness up to its timeout."""

        def attempt(number: int, result: Any) -> None:
            if result.status not in (Status.PASS, Status.SKIP):
                self.post_message(CheckAttempt(generation, index, number))

        outcome = grade_one(step, spec, self.library, ctx, factor=self.check_factor,
                            on_attempt=attempt)
        self.post_message(CheckDone(generation, index, outcome))

    def _check_row(self, index: int) -> CheckRow | None:
        """The mounted row of check `index`."""
        for row in self.query(CheckRow):
            if row.index == index:
                return row
        return None

    def _tick_checks(self) -> None:
        """Once a second: how long each waiting check has waited (`待機中 3/10 秒`)."""
        pending = [i for i, o in enumerate(self.outcomes.get(self.step.id, [])) if o is None] \
            if self.ready else []
        if not pending:
            if self._check_timer is not None:
                self._check_timer.stop()
                self._check_timer = None
            return
        checks = self._checks(self.step)
        for i in pending:
            if i in self.check_attempted and i < len(checks):
                total = round(checks[i].timeout * self.check_factor)
                waited = int(time.monotonic() - self.check_started.get(i, time.monotonic()))
                row = self._check_row(i)
                if row is not None and total:
                    row.show_running(min(waited, total), total)

    @on(CheckAttempt)
    def _check_attempt(self, message: CheckAttempt) -> None:
        """A check failed once and will try again: show that it is waiting."""
        if message.check_run != self.check_run:
            return
        self.check_attempted.add(message.index)
        checks = self._checks(self.step)
        if message.index < len(checks) and checks[message.index].timeout > 0:
            total = round(checks[message.index].timeout * self.check_factor)
            waited = int(time.monotonic() - self.check_started.get(message.index, time.monotonic()))
            row = self._check_row(message.index)
            if row is not None and total:
                row.show_running(min(waited, total), total)

    @on(CheckDone)
    def _check_done(self, message: CheckDone) -> None:
        """One outcome in; when all are in, record the step done or failed."""
        if message.check_run != self.check_run:
            return
        step = self.step
        outcomes = self.outcomes.setdefault(step.id, [])
        if message.index >= len(outcomes):
            return
        outcomes[message.index] = message.outcome
        row = self._check_row(message.index)
        if row is not None:
            row.show_outcome(message.outcome)
        if any(o is None for o in outcomes):
            return
        assert self.progress is not None
        finished = [o for o in outcomes if o is not None]
        passed = all(o.status in (Status.PASS, Status.SKIP) for o in finished)
        if passed:
            self.store.record(self.progress, step.id, StepState.DONE)
            self.notify(tr("check.passed", self.language), severity="information")
        else:
            first = next(o for o in finished if o.status not in (Status.PASS, Status.SKIP))
            self.store.record(self.progress, step.id, StepState.FAILED,
                              first.diagnosis or first.check)
            key = "check.soft" if self._decision(step).allowed else "check.failed"
            self.notify(tr(key, self.language), severity="warning", timeout=8)
        self._after_state_change()
        for row in self.query(CheckRow):
            if row.outcome is not None and row.outcome.status not in (Status.PASS, Status.SKIP):
                # the top of the view: the cause and the hint below the name must be seen
                view = self.query_one("#step", VerticalScroll)
                self.call_after_refresh(view.scroll_to_widget, row, animate=False, top=True)
                break

    def _after_state_change(self) -> None:
        """Refresh everything that shows states: list, header, gate, footer, step meta."""
        self._refresh_step_list()
        self._update_texts()
        self.refresh_bindings()
        meta = self.query("#step .step-meta")
        if meta and self.progress is not None and self.ready:
            meta.first(Static).update(Text(step_meta(self.step, self.progress.state(self.step.id),
                                                     self.language, bool(self._checks(self.step)))))

    # ================================================================== re-checking after a restart

    def _recheck_finished(self) -> None:
        """Check finished steps again in the background: a reboot can undo work."""
        assert self.progress is not None
        done = [s for s in self.steps if self.progress.state(s.id) == StepState.DONE
                and self._checks(s)]
        if done:
            self._recheck_worker(done)

    @work(thread=True, exclusive=True, group="recheck", exit_on_error=False)
    def _recheck_worker(self, steps: list[Step]) -> None:
        """Worker thread: one attempt of each check of each finished step (no waiting)."""
        for step in steps:
            ctx = self._probe_context(step)
            outcomes = [grade_one(step, spec, self.library, ctx, factor=0.0)
                        for spec in self._checks(step)]
            self.post_message(RecheckDone(step.id, outcomes))

    @on(RecheckDone)
    def _recheck_done(self, message: RecheckDone) -> None:
        """A finished step that no longer passes is marked failed, and the learner told."""
        assert self.progress is not None
        if all(o.status in (Status.PASS, Status.SKIP) for o in message.outcomes):
            return
        if self.progress.state(message.step_id) != StepState.DONE:
            return
        first = next(o for o in message.outcomes if o.status not in (Status.PASS, Status.SKIP))
        self.store.record(self.progress, message.step_id, StepState.FAILED,
                          f"recheck: {first.diagnosis or first.check}")
        title = next((s.title for s in self.steps if s.id == message.step_id), message.step_id)
        self.notify(tr("recheck.failed", self.language, title=title), severity="warning",
                    timeout=15)
        if message.step_id == self.step.id:
            self.outcomes[message.step_id] = list(message.outcomes)
            self.call_later(self._render_step)
        self._after_state_change()

    # ================================================================== the mail log

    def _start_log(self) -> None:
        """Follow the mail log file (or the journal) in a thread; lines arrive in batches."""

        def on_lines(lines: list[str]) -> None:
            if self.buffer.push(lines):
                self.post_message(LogLinesReady())

        def on_status(status: FollowStatus) -> None:
            self.post_message(LogStatusChanged(status))

        if self.log_path is not None:
            follower: FileFollower | JournalFollower = FileFollower(
                self.log_path, on_lines, on_status, platform=self.platform,
                history=self.log_history)
        else:
            follower = follow_mail_log(self.platform, on_lines, on_status,
                                       history=self.log_history)
        self.follower = follower
        pane = self.query_one(LogPane)
        pane.set_source(follower.source)
        # The history of a log file is read here, so that it comes before the mark of the
        # first step; new lines then arrive from the follower's thread.
        pane.view.write_lines(follower.prime())
        follower.start()

    @on(LogLinesReady)
    def _log_lines(self) -> None:
        """Move waiting lines from the buffer into the pane, a bounded batch at a time."""
        lines, dropped = self.buffer.drain(LOG_DRAIN)
        pane = self.query_one(LogPane)
        if dropped:
            pane.view.add_notice(tr("log.dropped", self.language, count=dropped))
        pane.view.write_lines(lines)
        pane.update_title()
        if len(self.buffer):
            self.post_message(LogLinesReady())

    @on(LogStatusChanged)
    def _log_status(self, message: LogStatusChanged) -> None:
        """Show problems reading the log (and how to fix them) above the lines."""
        status = message.status
        pane = self.query_one(LogPane)
        text = status.message.get(self.language)
        if status.state in ("denied", "waiting", "error"):
            pane.set_problem("⚠ " + text)
            if status.state == "denied":
                self.notify(text, severity="warning", timeout=15)
        else:
            pane.set_problem("")
            if status.state in ("rotated", "truncated"):
                pane.view.add_notice(f"— {text}")

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
        if self.active is not None:
            self.active.cancelled.set()
            if self.active.handle is not None:
                self.active.handle.cancel()
        if self.runner is not None:
            self.runner.cancel()
        if self.follower is not None:
            self.follower.stop()
            self.follower = None

    def on_unmount(self) -> None:
        """Never leave a child or a thread behind."""
        self._stop_everything()
