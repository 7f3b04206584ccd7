"""One learner's lab on this machine, without a UI: the session the TUI shows and the CLI grades.

A `LabSession` holds what the lab is about (the chapter), where it runs (this machine's host
role and platform), what the learner has done (the progress store), how commands run (the
runner, made on first use) and how steps are checked (the check library, loaded on first
use). The CLI builds it once and hands it to the TUI, as Harlequin hands its app a ready
adapter; `--check-only` grades through the same values.

The host role and the platform may still be unknown when the session is built (an
undetectable machine): the UI asks, then calls `open()` and `begin()`. Everything after
`begin()` may rely on `here()`, which names the role, the platform and the progress at once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from maillab_tui import config
from maillab_tui.chapter import Chapter, CheckSpec, CommandBlock, Step, load_chapter
from maillab_tui.chapter.variables import host_values
from maillab_tui.checking.api import Context, Library, load_library
from maillab_tui.checking.grading import Outcome, make_context
from maillab_tui.lab.gate import GateDecision, decide
from maillab_tui.lab.progress import Loaded, NotSaved, Progress, ProgressStore, StepState
from maillab_tui.platform import PLATFORMS, detect_host, detect_platform
from maillab_tui.text import Localized

if TYPE_CHECKING:
    from maillab_tui.run import BlockResult, Listener


class RunHandle(Protocol):
    """One run of a block, as the runner returns it (maillab_tui.run.Run)."""

    def execute(self) -> BlockResult:
        """Run to the end in this thread; the block's result."""

    def cancel(self) -> None:
        """Stop it (from any thread)."""

    def write(self, data: str) -> None:
        """Type into it."""


class BlockRunner(Protocol):
    """What a session needs of the runner (maillab_tui.run.Runner)."""

    values: dict[str, str]

    def start(self, block: CommandBlock, listener: Listener | None = None, *,
              step: str | None = None, interactive: bool | None = None) -> RunHandle:
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


@dataclass(frozen=True)
class Target:
    """Which lab machine this is: the host role and platform (None: not known), and why not."""

    host: str | None
    platform: str | None
    why: str = ""


def resolve_target(chapter: Chapter, host: str | None = None,
                   platform: str | None = None) -> Target:
    """The host role and platform: as given, else detected; an explanation when one is not."""
    hosts = {name: dict(role.vars) for name, role in chapter.hosts.items()}
    platform = platform or detect_platform()
    host = host or detect_host(hosts)
    if host is None:
        roles = ", ".join(hosts)
        example = next(iter(hosts), "host1")
        return Target(None, platform,
                      "cannot tell which lab machine this is (its host name and addresses match "
                      f"none of: {roles}); choose one with --host ROLE, e.g. --host {example}")
    if host not in hosts:
        return Target(None, platform,
                      f"unknown host role '{host}' (the chapter has: {', '.join(hosts)})")
    if platform is None:
        return Target(host, None, "cannot tell the platform from /etc/os-release; "
                                  "choose one with --platform almalinux9|debian12")
    return Target(host, platform)


class NotBegun(RuntimeError):
    """The session was used before its host role and platform were settled (a bug)."""


class LabSession:
    """The chapter on this machine, for one learner: role, platform, progress, runner, checks."""

    def __init__(
        self,
        chapter: Chapter,
        host: str | None = None,
        platform: str | None = None,
        *,
        language: str = "ja",
        free: bool = False,
        why: str = "",
        library: Library | None = None,
        checks_dirs: Sequence[str] = (),
        runner_factory: RunnerFactory | None = None,
        chapter_loader: ChapterLoader | None = None,
        progress_dir: str | Path | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        check_factor: float | None = None,
    ) -> None:
        self.chapter = chapter
        self.host = host
        self.platform = platform
        self.language = language
        self.free = free
        self.why = why
        self.checks_dirs = list(checks_dirs)
        self.runner_factory = runner_factory or default_runner
        self.chapter_loader = chapter_loader or sibling_loader(chapter)
        self.clock = clock or (lambda: dt.datetime.now().astimezone())
        self.store = ProgressStore(progress_dir, clock=self.clock, secrets=chapter.secrets())
        self.on_unsaved: Callable[[Localized], None] | None = None
        """Told, once per reason, that progress could not be saved (it stays in memory)."""
        self._unsaved_told: set[str] = set()
        self.check_factor = check_factor if check_factor is not None else config.time_factor()
        self.progress: Progress | None = None
        self.steps: tuple[Step, ...] = ()
        self.runner: BlockRunner | None = None
        # The check library is loaded on first use (or in the background once the first step
        # is on screen): loading every check module costs start-up time.
        self._library = library
        self._library_lock = threading.Lock()

    # ------------------------------------------------------------------ settling where we are

    def remembered_host(self) -> str | None:
        """The role this learner used last for the chapter on this machine, if any."""
        return self.store.last_host(self.chapter.id, self.chapter.hosts)

    def host_choices(self) -> list[tuple[str, str]]:
        """(role, label) for every host role of the chapter: `host1 — mail.example1.jp (...)`."""
        return [(role, f"{role} — {h.vars.get('fqdn', '')} ({h.vars.get('address', '')})")
                for role, h in self.chapter.hosts.items()]

    def platform_choices(self) -> list[tuple[str, str]]:
        """(platform, label) for the chapter's platforms this lab knows (else every known one)."""
        return [(n, n) for n in self.chapter.platforms if n in PLATFORMS] or \
            [(n, n) for n in PLATFORMS]

    def open(self, host: str) -> Loaded:
        """Take `host` as this machine's role and load its progress (the platform it had, too)."""
        self.host = host
        loaded = self.store.load(self.chapter.id, host, self.chapter.source_hash)
        self.progress = loaded.progress
        if self.platform is None:
            self.platform = self.progress.platform or None
        return loaded

    def begin(self, platform: str | None = None) -> int:
        """Settle the platform, list the host's steps; the index of the step to start at."""
        if platform is not None:
            self.platform = platform
        if self.host is None or self.platform is None or self.progress is None:
            raise NotBegun("begin() needs the host role opened and the platform known")
        self.progress.platform = self.platform
        self.progress.language = self.language
        self.steps = self.chapter.steps_for(self.host)
        ids = [s.id for s in self.steps]
        current = self.progress.current_step
        return ids.index(current) if current in ids else 0

    def here(self) -> tuple[str, str, Progress]:
        """The host role, the platform and the progress (after `begin()`)."""
        if self.host is None or self.platform is None or self.progress is None:
            raise NotBegun("the session has not begun")
        return self.host, self.platform, self.progress

    @property
    def begun(self) -> bool:
        """True once the role, the platform and the progress are known."""
        return self.host is not None and self.platform is not None and self.progress is not None

    # ------------------------------------------------------------------ the engine's parts

    @property
    def library(self) -> Library:
        """The check library (loaded on first use, from any thread)."""
        with self._library_lock:
            if self._library is None:
                self._library = load_library(self.checks_dirs)
            return self._library

    def ensure_runner(self) -> BlockRunner:
        """The runner for this host (made on first use)."""
        if self.runner is None:
            host, platform, _ = self.here()
            self.runner = self.runner_factory(self.chapter, host, platform)
        return self.runner

    def values(self) -> dict[str, str]:
        """This host's values, with anything the commands captured so far."""
        values = host_values(self.chapter, self.host or "", self.platform or "")
        if self.runner is not None:
            values.update(self.runner.values)
        return values

    def secrets(self) -> list[str]:
        """Values never shown (unless revealed) or recorded."""
        return list(self.chapter.secrets())

    # ------------------------------------------------------------------ a step here

    def checks(self, step: Step) -> tuple[CheckSpec, ...]:
        """The checks of a step on this platform and host."""
        host, platform, _ = self.here()
        return tuple(step.checks_for(platform, host))

    def cards(self, step: Step) -> list[CommandBlock]:
        """The step's command blocks for this platform and host, in order."""
        host, platform, _ = self.here()
        return list(step.commands_for(platform, host))

    def solution(self, step: Step) -> list[CommandBlock]:
        """The blocks that solve a step here (its solve blocks, or its commands)."""
        host, platform, _ = self.here()
        return list(step.solve_for(platform, host))

    def decision(self, step: Step, outcomes: Sequence[Outcome | None] = ()) -> GateDecision:
        """May the learner leave `step` forwards, given the outcomes of its checks so far?"""
        _, _, progress = self.here()
        return decide(step, has_checks=bool(self.checks(step)), state=progress.state(step.id),
                      outcomes=[o for o in outcomes if o is not None], free=self.free)

    def finished(self, step: Step) -> bool:
        """True when the step is recorded done or skipped."""
        return self.progress is not None and self.progress.finished(step.id)

    def probe_context(self, step: Step, as_root: Any = None) -> Context:
        """The context checks of `step` probe in: this host's values (with the captured ones),
        the language, and when the step began (for "a log line since the step started")."""
        host, platform, progress = self.here()
        since = None
        started = progress.started.get(step.id)
        if started:
            try:
                since = dt.datetime.fromisoformat(started).timestamp()
            except ValueError:
                since = None
        ctx = make_context(self.chapter, host, platform, self.language, since=since,
                           as_root=as_root)
        ctx.values = {**ctx.values, **self.values()}
        return ctx

    # ------------------------------------------------------------------ recording

    def enter(self, step: Step) -> None:
        """The learner is at `step` now: stamp when it began (once) and remember it."""
        _, _, progress = self.here()
        if step.id not in progress.started:
            progress.started[step.id] = self.store.timestamp()
        self._saved(lambda: self.store.move_to(progress, step.id))

    def record(self, step_id: str, state: StepState, note: str = "") -> None:
        """Record a step's state (done, failed, skipped) and save."""
        _, _, progress = self.here()
        self._saved(lambda: self.store.record(progress, step_id, state, note))

    def _saved(self, save: Callable[[], object]) -> None:
        """Run a save; when it cannot be done the lab goes on with progress in memory, and
        `on_unsaved` hears why (once per reason)."""
        try:
            save()
        except NotSaved as exc:
            if exc.why.en not in self._unsaved_told and self.on_unsaved is not None:
                self._unsaved_told.add(exc.why.en)
                self.on_unsaved(exc.why)

    def switch_language(self, language: str) -> str | None:
        """Speak `language`, with the chapter's translation when there is one; what went wrong
        loading it, if anything (a broken translation must not take the lab down: the chapter
        stays as it was)."""
        problem = None
        try:
            chapter = self.chapter_loader(language)
        except Exception as exc:
            chapter, problem = self.chapter, str(exc)
        self.language = language
        self.chapter = chapter
        if self.host is not None and self.steps:
            self.steps = chapter.steps_for(self.host)
        if self.progress is not None:
            self.progress.language = language
            progress = self.progress
            self._saved(lambda: self.store.save(progress))
        return problem

    def close(self) -> None:
        """Stop every command still running."""
        if self.runner is not None:
            self.runner.cancel()


__all__ = [
    "BlockRunner", "ChapterLoader", "LabSession", "NotBegun", "RunHandle", "RunnerFactory",
    "Target", "default_runner", "resolve_target", "sibling_loader",
]
