"""Grading: concurrency, readiness waits, masking, hints, scores; and the reports."""

from __future__ import annotations

import io
import json
import threading
import time
import xml.etree.ElementTree as ET

from rich.console import Console

from maillab_tui.chapter import parse_chapter
from maillab_tui.checking.api import (
    BUILTIN,
    CheckDef,
    Context,
    Diagnosis,
    Library,
    Param,
    Status,
    failed,
    passed,
    run_check,
    wait_for,
)
from maillab_tui.checking.grading import grade, make_context, select_steps
from maillab_tui.checking.render import render_table, to_json, to_junit
from maillab_tui.system import Proc
from tests.conftest import FIXTURES

CHAPTER = """---
id: g
title: G
platforms: [debian12]
vars:
  password: {value: hunter2-secret, secret: true}
hosts:
  host1: {fqdn: mail.example1.jp, user: user1}
---
## One {#one}

```sh
true
```

```yaml {check}
- check: probe
  key: a
  hints:
    probe.wrong: "fix {{ fqdn }}"
- check: probe
  key: b
  weight: 3
```

> [!TIP]
> step hint

## Two {#two}

```sh
true
```

```yaml {check}
- check: slow
  timeout: 0
- check: slow
```
"""


def library(results: dict[str, object], sleep: float = 0.0) -> Library:
    """A library with a `probe` check answering from `results`, and a `slow` one."""

    def probe(ctx: Context, key: str):
        value = results[key]
        if value == "pass":
            return passed("ok", "evidence hunter2-secret")
        return failed("bad hunter2-secret", ["line"], Diagnosis("probe.wrong", "wrong value", ""))

    def slow(ctx: Context):
        time.sleep(sleep)
        return passed("slow ok")

    checks = dict(BUILTIN)
    checks["probe"] = CheckDef("probe", "test probe", {"key": Param(str, required=True)}, probe)
    checks["slow"] = CheckDef("slow", "test slow", {}, slow)
    return Library(checks, [])


def chapter(tmp_path):
    path = tmp_path / "g.md"
    path.write_text(CHAPTER, encoding="utf-8")
    parsed = parse_chapter(path)
    assert parsed.problems == ()
    return parsed


def test_failures_are_masked_diagnosed_and_hinted(tmp_path) -> None:
    ch = chapter(tmp_path)
    ctx = make_context(ch, "host1", "debian12", "ja")
    report = grade(ch, library({"a": "fail", "b": "pass"}), ctx, select_steps(ch, "host1", "one"))
    first, second = report.outcomes
    assert first.status == Status.FAIL and second.status == Status.PASS
    assert first.message == "bad ********"
    assert second.evidence == ("evidence ********",)
    assert first.diagnosis == "probe.wrong"
    assert first.hints == ("fix mail.example1.jp", "step hint")
    assert report.score == 75.0  # weights 1 (fail) and 3 (pass)
    assert not report.passed
    dumped = to_json(report)
    assert "hunter2-secret" not in dumped


def test_checks_run_concurrently(tmp_path) -> None:
    ch = chapter(tmp_path)
    ctx = make_context(ch, "host1", "debian12")
    started = time.monotonic()
    report = grade(ch, library({}, sleep=0.5), ctx, select_steps(ch, "host1", "two"))
    assert [o.status for o in report.outcomes] == [Status.PASS, Status.PASS]
    assert time.monotonic() - started < 0.95  # two 0.5 s probes side by side, not one after another


def test_wait_for_retries_until_the_check_passes() -> None:
    calls = []

    def flaky(ctx: Context):
        calls.append(1)
        return passed("up") if len(calls) >= 3 else failed("not yet")

    definition = CheckDef("flaky", "", {}, flaky)
    result, attempts = wait_for(
        definition, Context("host1", "debian12"), {}, timeout=5, interval=0.05
    )
    assert result.status == Status.PASS and attempts == 3


def test_wait_for_gives_up_at_the_timeout() -> None:
    definition = CheckDef("never", "", {}, lambda ctx: failed("still down"))
    started = time.monotonic()
    result, attempts = wait_for(definition, Context("h", "debian12"), {}, timeout=0.3, interval=0.1)
    assert result.status == Status.FAIL and attempts >= 2
    assert time.monotonic() - started < 2


def test_a_last_attempt_that_got_no_answer_does_not_hide_a_definite_failure() -> None:
    # A firewall's ICMP rejects are rate-limited: the same closed port may look silent later.
    calls = []

    def closed_then_silent(ctx: Context):
        calls.append(1)
        if len(calls) == 1:
            return failed("no route", "connect: No route to host",
                          Diagnosis("firewall.closed", "closed"))
        return failed("no answer", "connect: timed out", Diagnosis("net.timeout", "t"),
                      silent=True)

    definition = CheckDef("probe", "", {}, closed_then_silent)
    result, attempts = wait_for(definition, Context("h", "debian12"), {}, timeout=0.3,
                                interval=0.05)
    assert attempts >= 2 and result.diagnosis is not None
    assert result.diagnosis.code == "firewall.closed"
    assert result.evidence == ("connect: No route to host", "later: connect: timed out")
    # Silent from the start: the timeout is what there is to say.
    silent = CheckDef("probe", "", {}, lambda ctx: failed("no answer", "timed out",
                                                          Diagnosis("net.timeout", "t"),
                                                          silent=True))
    result, _ = wait_for(silent, Context("h", "debian12"), {}, timeout=0.1, interval=0.05)
    assert result.diagnosis is not None and result.diagnosis.code == "net.timeout"


def test_a_crashing_probe_is_an_error_not_a_crash() -> None:
    def broken(ctx: Context):
        raise RuntimeError("boom")

    result = run_check(CheckDef("broken", "", {}, broken), Context("h", "debian12"), {})
    assert result.status == Status.ERROR and "boom" in str(result.message)


def test_a_probe_needing_root_errors_without_it() -> None:
    definition = CheckDef("rooty", "", {}, lambda ctx: passed("x"), needs_root=True)
    result = run_check(definition, Context("h", "debian12", root=False), {})
    assert result.status == Status.ERROR and "root" in str(result.message)


def fake_runner(table: dict[str, Proc]):
    def run(argv, timeout=10.0, input=None, env=None):
        return table[argv[-1]]

    return run


def test_shell_check_passes_fails_and_needs_root() -> None:
    shell = BUILTIN["shell"]
    ctx = Context(
        "h",
        "debian12",
        root=True,
        runner=fake_runner(
            {
                "ok": Proc(("sh",), 0, "fine\n"),
                "bad": Proc(("sh",), 3, "", "broken\n"),
                "noisy": Proc(("sh",), 0, "", "postfix/postfix-script: warning: something\n"),
            }
        ),
    )
    assert run_check(shell, ctx, {"command": "ok"}).status == Status.PASS
    bad = run_check(shell, ctx, {"command": "bad"})
    assert bad.status == Status.FAIL and bad.message == "broken"
    noisy = run_check(shell, ctx, {"command": "noisy", "quiet": True})
    assert noisy.status == Status.FAIL and "warning" in str(noisy.message)
    unroot = Context("h", "debian12", root=False, runner=ctx.runner)
    assert run_check(shell, unroot, {"command": "ok", "root": True}).status == Status.ERROR


def test_shell_check_for_real() -> None:
    shell = BUILTIN["shell"]
    ctx = Context("h", "debian12")
    assert run_check(shell, ctx, {"command": "test 1 = 1"}).status == Status.PASS
    assert run_check(shell, ctx, {"command": "echo nope >&2; exit 1"}).status == Status.FAIL
    out = run_check(shell, ctx, {"command": "echo abc", "expect_output": "^xyz"})
    assert out.status == Status.FAIL


def report_for(tmp_path, results):
    ch = chapter(tmp_path)
    return grade(
        ch,
        library(results),
        make_context(ch, "host1", "debian12", "ja"),
        select_steps(ch, "host1", "one"),
    )


def test_json_report_has_what_graders_need(tmp_path) -> None:
    data = json.loads(to_json(report_for(tmp_path, {"a": "fail", "b": "pass"})))
    assert data["chapter"]["id"] == "g" and len(data["chapter"]["sha256"]) == 64
    assert {"version", "host", "platform", "hostname", "time", "score", "verdict"} <= set(data)
    assert data["verdict"] == "fail" and data["score"] == 75.0
    check = data["checks"][0]
    assert {"step", "check", "status", "message", "evidence", "diagnosis", "weight"} <= set(check)
    assert check["status"] == "fail" and check["diagnosis"] == "probe.wrong"


def test_junit_report_counts_failures(tmp_path) -> None:
    root = ET.fromstring(to_junit(report_for(tmp_path, {"a": "fail", "b": "pass"})))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert root.find(".//failure").get("type") == "probe.wrong"


def test_table_shows_result_cause_hint_and_verdict(tmp_path) -> None:
    out = io.StringIO()
    render_table(
        report_for(tmp_path, {"a": "fail", "b": "pass"}), Console(file=out, width=120), "ja"
    )
    text = out.getvalue()
    assert "FAIL" in text and "PASS" in text
    assert "原因: wrong value" in text
    assert "ヒント: fix mail.example1.jp" in text
    assert "不合格" in text
    assert "hunter2-secret" not in text


def test_good_fixture_grades_with_the_real_library() -> None:
    from maillab_tui.checking.api import load_library

    ch = parse_chapter(FIXTURES / "chapters" / "good.md")
    report = grade(ch, load_library(), make_context(ch, "host2", "debian12"))
    # host2 has the install step's `test -n` check and the send step's `true`.
    assert [o.status for o in report.outcomes] == [Status.PASS, Status.PASS]


def test_grading_is_thread_safe_for_outcome_callbacks(tmp_path) -> None:
    ch = chapter(tmp_path)
    seen: list[str] = []
    lock = threading.Lock()

    def record(outcome) -> None:
        with lock:
            seen.append(outcome.check_id)

    grade(
        ch,
        library({"a": "pass", "b": "pass"}, sleep=0.01),
        make_context(ch, "host1", "debian12"),
        on_outcome=record,
    )
    assert seen == ["probe-1", "probe-2", "slow-1", "slow-2"]
