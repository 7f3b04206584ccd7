"""`maillab-tui selftest`: run a whole chapter on fresh sandbox hosts as a learner would.

For each step and each host it applies to, in chapter order:

- before: the step's checks must not all pass yet (unless the step declares `holds=`);
- run: the step's solve (or its commands) runs through the runner, inside the host, as the
  learner (dialogues in autopilot, sudo answered with the learner's password);
- after: the checks must pass within their timeouts;
- repeat: the step runs again and its checks still pass: steps can be repeated (`once`
  blocks are skipped by their own test, as a learner re-running them would see).

Steps that span hosts (send on host1, read on host2) work because every phase of a step runs
on host1 and host2 before the next phase. Then `--check-only` must pass on every host, and the
learner-mistake pass makes each mistake of the chapter's `mistakes.yaml` on a finished lab,
expects the right check to fail with the right diagnosis, undoes it and expects a pass.

Checks run inside the hosts with the maillab-tui installed there (the working tree), as root,
exactly as an instructor's `sudo maillab-tui --check-only` would.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from maillab_tui import system
from maillab_tui.chapter.model import Chapter, CommandBlock, Problem, Step
from maillab_tui.chapter.parser import ChapterError
from maillab_tui.chapter.yamlread import YamlProblem, read_small_text, read_yaml

PHASES = ("before", "run", "after", "repeat")
LAB = "lab"
"""A mistake's `host` for what lies outside the hosts (the lab's DNS): sandbox commands."""
SRC_IN_HOST = "/opt/maillab-tui/src"


class Host(Protocol):
    """What the self-test needs of the sandbox (maillab_tui.sandbox.Lab has it): run a
    command in a host as root, within `timeout` seconds."""

    def exec(self, host: str, argv: list[str], *, timeout: float | None = None) -> Any: ...


@dataclass
class Phase:
    """One phase of one step on one host: did it hold, how long it took, and what it saw."""

    name: str
    ok: bool
    duration: float
    detail: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)


def solve_reason(block: CommandBlock) -> str | None:
    """Why a solve must stand in for a learner's block (an editor, a full-screen program)."""
    words = [w for w in block.code.split() if w != "sudo"]
    if block.kind == "edit":
        return f"an editor ({block.file or (words[-1] if words else '?')})"
    if block.kind != "terminal":
        return None
    if words[:1] in (["apt-get"], ["apt"], ["dnf"]):
        return "the installer's screens (debconf)"
    if words[:2] == ["systemctl", "edit"]:
        return "an editor (systemctl edit)"
    return f"a full-screen program ({words[0] if words else '?'})"


def how_proven(step: Step, platform: str, host: str) -> tuple[str, str]:
    """How the self-test proves a step on a host: ("commands", kinds) when the learner's own
    blocks ran (dialogues by their script), ("solve", why) when the step's solve stood in,
    ("nothing", "") for a step with no commands."""
    shown = step.commands_for(platform, host)
    own = [c for c in step.solve if c.applies_to(platform, host)]
    if own:
        reasons = sorted({r for r in map(solve_reason, shown) if r})
        return "solve", "; ".join(reasons) or "the chapter gives a solve for this step"
    if shown:
        return "commands", ", ".join(sorted({c.kind for c in shown}))
    return "nothing", ""


@dataclass
class StepRun:
    """A step on a host through its phases, and how its run was proven (see how_proven)."""

    step: str
    host: str
    phases: list[Phase] = field(default_factory=list)
    proven_by: str = ""
    why: str = ""

    @property
    def ok(self) -> bool:
        """True when every phase held."""
        return all(p.ok for p in self.phases)

    @property
    def duration(self) -> float:
        """Seconds spent on this step and host."""
        return sum(p.duration for p in self.phases)


@dataclass
class MistakeRun:
    """One learner mistake: made, diagnosed (or not), undone, passing again (or not)."""

    id: str
    host: str
    expected: str
    ok: bool
    duration: float
    detail: str = ""


@dataclass
class SelfTestReport:
    """Everything the self-test did, for text, JSON and JUnit."""

    chapter: str
    steps: list[StepRun] = field(default_factory=list)
    final: dict[str, Phase] = field(default_factory=dict)
    mistakes: list[MistakeRun] = field(default_factory=list)
    duration: float = 0.0
    aborted: str = ""

    @property
    def ok(self) -> bool:
        """True only when everything held and nothing was cut short."""
        return (
            not self.aborted
            and all(s.ok for s in self.steps)
            and all(p.ok for p in self.final.values())
            and all(m.ok for m in self.mistakes)
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""

        def phase(p: Phase) -> dict[str, Any]:
            return {
                "name": p.name,
                "ok": p.ok,
                "duration": round(p.duration, 2),
                "detail": p.detail,
                "checks": p.checks,
            }

        return {
            "chapter": self.chapter,
            "ok": self.ok,
            "aborted": self.aborted,
            "duration": round(self.duration, 2),
            "steps": [
                {
                    "step": s.step,
                    "host": s.host,
                    "ok": s.ok,
                    "proven_by": s.proven_by,
                    "why": s.why,
                    "duration": round(s.duration, 2),
                    "phases": [phase(p) for p in s.phases],
                }
                for s in self.steps
            ],
            "final": {h: phase(p) for h, p in self.final.items()},
            "mistakes": [vars(m) | {"duration": round(m.duration, 2)} for m in self.mistakes],
        }


@dataclass(frozen=True)
class Mistake:
    """A learner mistake from the chapter's mistakes.yaml."""

    id: str
    host: str
    step: str
    check: str
    diagnosis: str
    make: str
    undo: str
    description: str = ""
    check_host: str = ""


def load_mistakes(chapter: Chapter) -> list[Mistake]:
    """The mistakes declared beside the chapter (mistakes.yaml), or none.

    Raises ChapterError with the file and line for a file that does not fit the format or
    names a step or check the chapter does not have.
    """
    path = chapter.path.parent / "mistakes.yaml"
    if not path.is_file():
        return []
    where = str(path)
    try:
        data, node = read_yaml(read_small_text(path))
        data = data or []
    except YamlProblem as exc:
        raise ChapterError([Problem(where, exc.line + 1, f"not valid YAML: {exc}")]) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ChapterError([Problem(where, 0, f"cannot read: {exc}")]) from None
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise ChapterError([Problem(where, 1, "a list of mistakes ('- id: ...')")])
    out: list[Mistake] = []
    problems: list[Problem] = []
    steps = {s.id: s for s in chapter.steps}
    for item, item_node in zip(data, node.value, strict=True):
        line = item_node.start_mark.line + 1
        missing = [
            k
            for k in ("id", "step", "check", "diagnosis", "make", "undo")
            if not isinstance(item, dict) or k not in item
        ]
        if missing:
            problems.append(Problem(where, line, f"mistake lacks {', '.join(missing)}"))
            continue
        host = str(item.get("host", "host1"))
        check_host = str(item.get("check_host", host))
        step = steps.get(str(item["step"]))
        if step is None:
            problems.append(
                Problem(where, line, f"no step '{item['step']}' in {chapter.path.name}")
            )
            continue
        known = {c.check_id for c in step.checks} | {c.name for c in step.checks}
        if str(item["check"]) not in known:
            problems.append(
                Problem(
                    where,
                    line,
                    f"step '{step.id}' has no check '{item['check']}'"
                    f" (it has: {', '.join(c.check_id for c in step.checks)})",
                )
            )
        for name in dict.fromkeys((host, check_host)):
            if name not in chapter.hosts and not (name == LAB and name == host):
                problems.append(Problem(where, line, f"unknown host '{name}'"))
        if host == LAB and check_host == LAB:
            problems.append(Problem(where, line, "a mistake made on the lab needs check_host "
                                                 f"(one of {', '.join(chapter.hosts)})"))
        if host == LAB:
            for key in ("make", "undo"):
                words = str(item[key]).split()
                if words[:1] != ["dns"]:
                    problems.append(Problem(
                        where, line, f"{key}: on host 'lab' it is a `maillab-tui sandbox dns` "
                        f"command without the prefix, such as 'dns hide MX example2.jp', not "
                        f"{item[key]!r}"))
        out.append(
            Mistake(
                id=str(item["id"]),
                host=host,
                step=step.id,
                check=str(item["check"]),
                diagnosis=str(item["diagnosis"]),
                make=str(item["make"]),
                undo=str(item["undo"]),
                description=str(item.get("description", "")),
                check_host=check_host,
            )
        )
    if problems:
        raise ChapterError(problems)
    return out


def sandbox_command(words: list[str]) -> tuple[int, str]:
    """`maillab-tui sandbox WORDS...` on this machine (for mistakes made on the lab itself)."""
    proc = system.run([sys.executable, "-m", "maillab_tui.sandbox", *words], timeout=120,
                      env=os.environ, replace_env=True)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


RunSteps = Callable[[str, Step], tuple[bool, str]]
"""Runs a step's solve on a host; (ok, what happened) — bound to the runner by the caller."""


@dataclass
class SelfTest:
    """Walks a chapter on sandbox hosts; `run()` returns the report. `progress` is told each
    line of what is happening; `sandbox` runs `maillab-tui sandbox ...` (reboots)."""

    lab: Host
    chapter: Chapter
    run_step: RunSteps
    platform: str = "debian12"
    chapter_ref: str = "mail-server"
    from_step: str | None = None
    progress: Callable[[str], None] = print
    sandbox: Callable[[list[str]], tuple[int, str]] = sandbox_command

    # -- checks inside a host -------------------------------------------------------------

    def grade(
        self, host: str, step: str | None, factor: float = 1.0, since: float | None = None
    ) -> tuple[int, dict[str, Any]]:
        """`maillab-tui --check-only` inside `host` as root; its exit code and JSON."""
        argv = [
            "env",
            f"MAILLAB_TIME_FACTOR={factor}",
            "maillab-tui",
            "--check-only",
            "--chapter",
            self.chapter_ref,
            "--host",
            host,
            "--platform",
            self.platform,
            "--format",
            "json",
            "--lang",
            "en",
        ]
        if step is not None:
            argv += ["--step", step]
        if since is not None:
            argv += ["--since", f"{since:.3f}"]
        proc = self.lab.exec(host, argv, timeout=600)
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            data = {"checks": [], "error": (proc.stderr or proc.stdout)[-2000:]}
        return proc.returncode, data

    @staticmethod
    def summary(data: dict[str, Any]) -> list[dict[str, Any]]:
        """The per-check lines of a grading, trimmed for the report."""
        return [
            {k: c.get(k) for k in ("check_id", "status", "message", "diagnosis", "evidence")}
            for c in data.get("checks", [])
        ]

    @staticmethod
    def failures(data: dict[str, Any]) -> str:
        """The checks that did not pass, one line each."""
        lines = [
            f"{c['check_id']}: {c['status']}: {c['message']}"
            + (f" [{c['diagnosis']}]" if c.get("diagnosis") else "")
            for c in data.get("checks", [])
            if c.get("status") not in ("pass", "skip")
        ]
        if data.get("error"):
            lines.append(str(data["error"]))
        return "\n".join(lines)

    # -- phases ----------------------------------------------------------------------------

    def phase_checks(
        self,
        name: str,
        host: str,
        step: Step,
        expect_pass: bool,
        factor: float,
        since: float | None = None,
    ) -> Phase:
        """Grade the step on `host`; `expect_pass` says which way it must come out.

        `since` is when the step began, as the TUI records it: log checks look only at what
        happened from then on.
        """
        started = time.monotonic()
        code, data = self.grade(host, step.id, factor, since)
        checks = self.summary(data)
        if not checks and not data.get("error"):
            return Phase(name, True, time.monotonic() - started, "no checks on this host")
        if expect_pass:
            ok = code == 0
            detail = "" if ok else self.failures(data)
            return Phase(name, ok, time.monotonic() - started, detail, checks)
        if step.holds_before is not None:
            return Phase(
                name,
                True,
                time.monotonic() - started,
                f"may hold already: {step.holds_before}",
                checks,
            )
        # Before its step, every check must fail: a check that passes on a fresh host proves
        # nothing about the learner's work, unless the chapter says why it may hold already.
        specs = {s.check_id: s for s in step.checks}
        early = [
            c
            for c in checks
            if c.get("status") in ("pass", "skip")
            and not getattr(specs.get(str(c.get("check_id"))), "holds", None)
        ]
        detail = "\n".join(
            f"{c['check_id']}: already {c['status']} before the step: {c['message']}" for c in early
        )
        return Phase(name, not early, time.monotonic() - started, detail, checks)

    def phase_run(self, name: str, host: str, step: Step) -> Phase:
        """Run the step's solve on `host`."""
        started = time.monotonic()
        try:
            ok, detail = self.run_step(host, step)
        except Exception as exc:  # a crash in a run is a failed phase, not a crashed self-test
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        return Phase(name, ok, time.monotonic() - started, detail)

    def phase_reboot(self, host: str) -> Phase:
        """Reboot `host` for real (`sandbox reboot`) and wait until it has settled."""
        started = time.monotonic()
        code, out = self.sandbox(["reboot", host])
        return Phase("reboot", code == 0, time.monotonic() - started,
                     "" if code == 0 else out[-2000:])

    def steps(self) -> list[Step]:
        """The steps to walk, starting at --from when given."""
        steps = list(self.chapter.steps)
        if self.from_step:
            ids = [s.id for s in steps]
            steps = steps[ids.index(self.from_step) :]
        return steps

    def stage(self, stop_after: Mapping[str, str] | None = None,
              hosts: Sequence[str] | None = None) -> list[StepRun]:
        """Bring the hosts to a stage of the chapter as a learner does: solve, then the checks.

        Each step's solve runs on every host it applies to, then its checks are graded with
        their timeouts, as the TUI waits before letting the learner on. A host named in
        `stop_after` does no step after the one given (a learner half way through). Nothing
        is asserted here: the runs say what held. Used to prepare labs for other tests.
        `hosts` limits the walk to some hosts (another learner works on the rest).
        """
        stop_after = dict(stop_after or {})
        ids = [s.id for s in self.chapter.steps]
        unknown = {h: s for h, s in stop_after.items() if s not in ids}
        if unknown:
            raise ValueError(f"no such steps in {self.chapter.id}: {unknown}")
        stopped: set[str] = set()
        runs: list[StepRun] = []
        for step in self.steps():
            targets = [h for h in self.chapter.hosts if step.applies_to_host(h)
                       and h not in stopped and (hosts is None or h in hosts)]
            began = time.time() - 1.0
            done = {h: StepRun(step.id, h, [self.phase_run("run", h, step)]) for h in targets}
            if step.reboot:
                for h in targets:
                    done[h].phases.append(self.phase_reboot(h))
            for h in targets:
                if step.checks_for(self.platform, h):
                    done[h].phases.append(self.phase_checks("after", h, step, True, 1.0, began))
                runs.append(done[h])
                self.progress(self.line(done[h]))
            stopped |= {h for h, last in stop_after.items() if last == step.id}
        return runs

    def run(self, mistakes: bool = True) -> SelfTestReport:
        """Walk the chapter, grade every host at the end, then the learner mistakes."""
        started = time.monotonic()
        report = SelfTestReport(self.chapter.id)
        hosts = list(self.chapter.hosts)
        for step in self.steps():
            targets = [h for h in hosts if step.applies_to_host(h)]
            runs = {h: StepRun(step.id, h, [], *how_proven(step, self.platform, h))
                    for h in targets}
            began = time.time() - 1.0
            has_checks = {h: bool(step.checks_for(self.platform, h)) for h in targets}
            for h in targets:
                if has_checks[h]:
                    runs[h].phases.append(self.phase_checks("before", h, step, False, 0.0, began))
            for h in targets:
                runs[h].phases.append(self.phase_run("run", h, step))
            if step.reboot:  # the step is proven by a real reboot, as the learner does it
                for h in targets:
                    runs[h].phases.append(self.phase_reboot(h))
            for h in targets:
                if has_checks[h]:
                    runs[h].phases.append(self.phase_checks("after", h, step, True, 1.0, began))
            for h in targets:
                runs[h].phases.append(self.phase_run("repeat", h, step))
            for h in targets:
                if has_checks[h]:
                    runs[h].phases.append(
                        self.phase_checks("after-repeat", h, step, True, 1.0, began)
                    )
            for h in targets:
                report.steps.append(runs[h])
                self.progress(self.line(runs[h]))
        for h in hosts:
            t0 = time.monotonic()
            code, data = self.grade(h, None)
            report.final[h] = Phase(
                "check-only",
                code == 0,
                time.monotonic() - t0,
                self.failures(data),
                self.summary(data),
            )
            self.progress(
                f"check-only {h:6} {'PASS' if code == 0 else 'FAIL'}"
                f" ({report.final[h].duration:.1f}s) score {data.get('score', '?')}"
            )
        if mistakes and all(p.ok for p in report.final.values()):
            for mistake in load_mistakes(self.chapter):
                result = self.mistake(mistake)
                report.mistakes.append(result)
                self.progress(
                    f"mistake {mistake.id:32} {'PASS' if result.ok else 'FAIL'}"
                    f" ({result.duration:.1f}s) {result.detail if not result.ok else ''}"
                )
        elif mistakes:
            report.aborted = "the learner-mistake pass needs a finished lab; check-only failed"
        report.duration = time.monotonic() - started
        return report

    def mistake(self, m: Mistake) -> MistakeRun:
        """Make a mistake, expect the diagnosis, undo it, expect a pass."""
        started = time.monotonic()

        def sh(host: str, script: str) -> tuple[int, str]:
            if host == LAB:
                return self.sandbox(shlex.split(script))
            proc = self.lab.exec(host, ["sh", "-c", script], timeout=120)
            return proc.returncode, (proc.stdout + proc.stderr).strip()

        def broken(what: str, out: str) -> MistakeRun:
            return MistakeRun(m.id, m.host, m.diagnosis, False, time.monotonic() - started,
                              f"{what} the mistake failed: {out[-500:]}")

        since = time.time() - 1.0
        code, out = sh(m.host, m.make)
        if code != 0:
            return broken("making", out)
        try:
            _, data = self.grade(m.check_host, m.step, 0.5, since)
            found = [
                c
                for c in data.get("checks", [])
                if c.get("check") == m.check or c.get("check_id") == m.check
            ]
            failed = [c for c in found if c.get("status") in ("fail", "error")]
            codes = sorted({c.get("diagnosis") or "" for c in failed})
            diagnosed = m.diagnosis in codes
            detail = (
                ""
                if diagnosed
                else (
                    f"expected {m.check} to fail with {m.diagnosis}; got "
                    + (
                        ", ".join(
                            f"{c['check_id']}={c['status']}/{c.get('diagnosis')}" for c in found
                        )
                        or "no such check in the step"
                    )
                )
            )
        finally:
            ucode, uout = sh(m.host, m.undo)
        if ucode != 0:
            return broken("undoing", uout)
        code, data = self.grade(m.check_host, m.step, 1.0, since)
        if code != 0 and diagnosed:
            detail = f"after undoing, the step still fails: {self.failures(data)}"
        return MistakeRun(
            m.id, m.host, m.diagnosis, diagnosed and code == 0, time.monotonic() - started, detail
        )

    @staticmethod
    def line(run: StepRun) -> str:
        """One line for a step on a host: its phases and how long it took."""
        marks = " ".join(f"{p.name}={'ok' if p.ok else 'FAIL'}" for p in run.phases)
        verdict = "PASS" if run.ok else "FAIL"
        text = f"{verdict} {run.step:24} {run.host:6} {marks} ({run.duration:.1f}s)"
        if run.proven_by == "solve":
            text += f" [solve: {run.why}]"
        for p in run.phases:
            if not p.ok and p.detail:
                text += "\n    " + p.detail.replace("\n", "\n    ")
        return text


def to_junit(report: SelfTestReport) -> str:
    """The self-test as JUnit XML: a case per step and host, per final grade, per mistake."""
    root = ET.Element("testsuites", name=f"selftest {report.chapter}")
    groups: list[tuple[str, list[tuple[str, bool, float, str]]]] = [
        (
            "steps",
            [
                (
                    f"{s.host}.{s.step}",
                    s.ok,
                    s.duration,
                    "\n".join(f"{p.name}: {p.detail}" for p in s.phases if not p.ok),
                )
                for s in report.steps
            ],
        ),
        ("check-only", [(h, p.ok, p.duration, p.detail) for h, p in report.final.items()]),
        ("mistakes", [(f"{m.host}.{m.id}", m.ok, m.duration, m.detail) for m in report.mistakes]),
    ]
    for name, cases in groups:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(cases)),
            failures=str(sum(1 for c in cases if not c[1])),
        )
        for case_name, ok, duration, detail in cases:
            case = ET.SubElement(
                suite, "testcase", classname=name, name=case_name, time=f"{duration:.2f}"
            )
            if not ok:
                message = detail.splitlines()[0] if detail else "failed"
                ET.SubElement(case, "failure", message=message).text = detail
    if report.aborted:
        suite = ET.SubElement(root, "testsuite", name="selftest", tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname="selftest", name="completed")
        ET.SubElement(case, "error", message=report.aborted)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def shell_quote(argv: Sequence[str]) -> str:
    """A command line for display."""
    return shlex.join(list(argv))


def write_output(report: SelfTestReport, fmt: str, output: Path | None) -> str:
    """The report in `fmt` (text, json, junit); written to `output` when given."""
    if fmt == "json":
        text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "junit":
        text = to_junit(report)
    else:
        passed = sum(1 for s in report.steps if s.ok)
        text = (
            f"selftest {report.chapter}: {'PASS' if report.ok else 'FAIL'}  "
            f"steps {passed}/{len(report.steps)}  "
            f"mistakes {sum(1 for m in report.mistakes if m.ok)}/{len(report.mistakes)}  "
            f"in {report.duration:.1f}s\n"
        )
        solved = [s for s in report.steps if s.proven_by == "solve"]
        if solved:
            text += "proven by the solve, not by the learner's commands:\n"
            for s in solved:
                text += f"  {s.step:24} {s.host:6} {s.why}\n"
        if report.aborted:
            text += f"aborted: {report.aborted}\n"
    if output is not None:
        output.write_text(text, encoding="utf-8")
    return text
