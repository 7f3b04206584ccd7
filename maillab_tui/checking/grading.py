"""Grading: run a chapter's checks against this machine, concurrently and bounded in time."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from maillab_tui import __version__, config
from maillab_tui.chapter.model import Chapter, CheckSpec, Step
from maillab_tui.chapter.variables import (
    UndefinedVariable,
    expand_shell,
    expand_text,
    host_values,
    mask,
)
from maillab_tui.checking.api import Context, Library, Result, Status, error, time_factor, wait_for
from maillab_tui.text import render

DEFAULT_CHECK_TIMEOUT = 0.0




@dataclass(frozen=True)
class Outcome:
    """One check's result on this host, as the report shows and the JSON records it."""

    step_id: str
    step_title: str
    check_id: str
    check: str
    status: Status
    message: str
    evidence: tuple[str, ...] = ()
    diagnosis: str | None = None
    diagnosis_message: str = ""
    hints: tuple[str, ...] = ()
    weight: float = 1.0
    duration: float = 0.0
    attempts: int = 1
    line: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The outcome as JSON-ready data."""
        return {
            "step": self.step_id,
            "step_title": self.step_title,
            "check_id": self.check_id,
            "check": self.check,
            "status": str(self.status),
            "message": self.message,
            "evidence": list(self.evidence),
            "diagnosis": self.diagnosis,
            "diagnosis_message": self.diagnosis_message,
            "hints": list(self.hints),
            "weight": self.weight,
            "duration": round(self.duration, 3),
            "attempts": self.attempts,
            "line": self.line,
        }


@dataclass
class Report:
    """A graded run: which chapter, which host, when, and every check's outcome."""

    chapter_id: str
    chapter_hash: str
    chapter_path: str
    host: str
    platform: str
    hostname: str
    language: str
    started: str
    outcomes: list[Outcome] = field(default_factory=list)
    duration: float = 0.0
    version: str = __version__
    student: str | None = None

    @property
    def score(self) -> float:
        """Weighted share of passed checks among those that apply (0..100)."""
        counted = [o for o in self.outcomes if o.status != Status.SKIP]
        total = sum(o.weight for o in counted)
        if total == 0:
            return 0.0  # nothing graded is not a pass
        return round(100.0 * sum(o.weight for o in counted if o.status == Status.PASS) / total, 1)

    @property
    def graded(self) -> int:
        """How many checks were graded (not skipped)."""
        return sum(o.status != Status.SKIP for o in self.outcomes)

    @property
    def passed(self) -> bool:
        """True when some check was graded and none failed or errored."""
        return bool(self.graded) and all(o.status in (Status.PASS, Status.SKIP)
                                         for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        """How many checks came out each way."""
        out = {str(s): 0 for s in Status}
        for o in self.outcomes:
            out[str(o.status)] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        """The whole report as JSON-ready data."""
        return {
            "tool": "maillab-tui",
            "version": self.version,
            "chapter": {
                "id": self.chapter_id,
                "sha256": self.chapter_hash,
                "path": self.chapter_path,
            },
            "host": self.host,
            "platform": self.platform,
            "hostname": self.hostname,
            "language": self.language,
            "time": self.started,
            "duration": round(self.duration, 3),
            "score": self.score,
            "verdict": "pass" if self.passed else "fail",
            "counts": self.counts(),
            "checks": [o.as_dict() for o in self.outcomes],
            "student": self.student,
        }


def select_steps(
    chapter: Chapter, host: str, step: str | None = None, until: str | None = None
) -> list[Step]:
    """The steps to grade on `host`: all of them, one (`step`), or up to one (`until`)."""
    steps = list(chapter.steps_for(host))
    ids = [s.id for s in chapter.steps]
    for name in (step, until):
        if name is not None and name not in ids:
            raise KeyError(name)
    if step is not None:
        return [s for s in steps if s.id == step]
    if until is not None:
        last = ids.index(until)
        return [s for s in steps if ids.index(s.id) <= last]
    return steps


def expand_params(spec: CheckSpec, values: Mapping[str, str]) -> dict[str, Any]:
    """A check's parameters with `{{ variables }}` filled in (shell-quoted in shell commands)."""

    def expand(key: str, value: Any) -> Any:
        if isinstance(value, str):
            if spec.name == "shell" and key == "command":
                return expand_shell(value, values)
            return expand_text(value, values)
        if isinstance(value, list):
            return [expand(key, v) for v in value]
        return value

    return {key: expand(key, value) for key, value in spec.params.items()}


def grade_one(
    step: Step,
    spec: CheckSpec,
    library: Library,
    ctx: Context,
    *,
    factor: float = 1.0,
    on_attempt: Callable[[int, Result], None] | None = None,
) -> Outcome:
    """Run one check of a step, waiting up to its timeout for it to pass."""
    started = time.monotonic()
    definition = library.get(spec.name)
    attempts = 1
    if definition is None:
        result = error(f"unknown check '{spec.name}'")
    else:
        try:
            params = expand_params(spec, ctx.values)
        except UndefinedVariable as exc:
            result = error(str(exc))
        else:
            result, attempts = wait_for(
                definition, ctx, params, spec.timeout * factor, spec.interval, on_attempt
            )
    return outcome_of(step, spec, result, ctx, time.monotonic() - started, attempts)


def outcome_of(
    step: Step, spec: CheckSpec, result: Result, ctx: Context, duration: float, attempts: int
) -> Outcome:
    """A probe's result as an `Outcome`: masked, rendered in the context's language, with hints."""
    language = ctx.language
    secrets = ctx.secrets

    def clean(text: str) -> str:
        return mask(text, secrets)

    diagnosis = result.diagnosis
    hints: list[str] = []
    if result.status in (Status.FAIL, Status.ERROR):
        if diagnosis is not None and diagnosis.code in spec.hints:
            hints.append(spec.hints[diagnosis.code])
        elif "*" in spec.hints:
            hints.append(spec.hints["*"])
        hints += [h.text for h in step.hints]
        if diagnosis is not None and diagnosis.suggestion:
            hints.insert(0, diagnosis.suggestion)
    with contextlib.suppress(UndefinedVariable):  # a hint naming no known value stays as written
        hints = [expand_text(h, ctx.values) for h in hints]
    return Outcome(
        step_id=step.id,
        step_title=step.title,
        check_id=spec.check_id,
        check=spec.name,
        status=result.status,
        message=clean(render(result.message, language)),
        evidence=tuple(clean(e) for e in result.evidence),
        diagnosis=diagnosis.code if diagnosis else None,
        diagnosis_message=clean(render(diagnosis.message, language)) if diagnosis else "",
        hints=tuple(clean(h) for h in hints),
        weight=spec.weight,
        duration=duration,
        attempts=attempts,
        line=spec.line,
    )


def make_context(
    chapter: Chapter, host: str, platform: str, language: str = "ja", **overrides: Any
) -> Context:
    """The probe context for `host` on `platform`, with the chapter's values and secrets."""
    return Context(
        host=host,
        platform=platform,
        values=host_values(chapter, host, platform),
        secrets=chapter.secrets(),
        language=language,
        **overrides,
    )


def grade(
    chapter: Chapter,
    library: Library,
    ctx: Context,
    steps: Sequence[Step] | None = None,
    *,
    max_workers: int | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Report:
    """Run the checks of `steps` (default: the host's) concurrently; report in chapter order."""
    started = time.monotonic()
    report = Report(
        chapter_id=chapter.id,
        chapter_hash=chapter.source_hash,
        chapter_path=str(chapter.path),
        host=ctx.host,
        platform=ctx.platform,
        hostname=socket.getfqdn(),
        language=ctx.language,
        started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    chosen = list(steps) if steps is not None else list(chapter.steps_for(ctx.host))
    jobs: list[tuple[Step, CheckSpec]] = [
        (step, spec) for step in chosen for spec in step.checks_for(ctx.platform, ctx.host)
    ]
    factor = time_factor()
    workers = config.workers() if max_workers is None else max_workers
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures = [
            pool.submit(grade_one, step, spec, library, ctx, factor=factor) for step, spec in jobs
        ]
        for future in futures:
            outcome = future.result()
            report.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    except BaseException:
        # Ctrl-C: the checks not started are dropped (the running ones' commands got the
        # terminal's SIGINT too), rather than waiting for every check of the chapter.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    report.duration = time.monotonic() - started
    return report


def first_failure(outcomes: Iterable[Outcome]) -> Outcome | None:
    """The first check that did not pass, in chapter order."""
    return next((o for o in outcomes if o.status in (Status.FAIL, Status.ERROR)), None)
