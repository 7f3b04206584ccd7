"""A graded run for people (a rich table) and for machines (JSON, JUnit XML)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from rich.console import Console
from rich.table import Table
from rich.text import Text

from maillab_tui.checking.api import Status
from maillab_tui.checking.grading import Report
from maillab_tui.text import t

STATUS_STYLE = {
    Status.PASS: ("PASS", "bold green"),
    Status.FAIL: ("FAIL", "bold red"),
    Status.ERROR: ("ERROR", "bold magenta"),
    Status.SKIP: ("SKIP", "dim"),
}

LABELS = {
    "step": t("ステップ", "Step"),
    "check": t("チェック", "Check"),
    "result": t("結果", "Result"),
    "message": t("内容", "Message"),
    "cause": t("原因", "Likely cause"),
    "hint": t("ヒント", "Hint"),
    "evidence": t("根拠", "Evidence"),
    "score": t("得点", "Score"),
    "verdict_pass": t("合格: すべてのチェックに通りました", "PASS: every check passed"),
    "verdict_fail": t("不合格: 通らなかったチェックがあります", "FAIL: some checks did not pass"),
    "verdict_none": t("不合格: 採点したチェックがありません（0 件）。章か --step を確かめて"
                      "ください",
                      "FAIL: no check was graded (0): check the chapter or --step"),
}


def render_table(report: Report, console: Console, language: str = "ja") -> None:
    """Print the report as a table with hints under each failure, then the verdict."""

    def label(key: str) -> str:
        return LABELS[key].get(language)

    title = f"{report.chapter_id} — {report.host} ({report.platform}, {report.hostname})"
    if report.student:
        title = f"{report.student}: {title}"
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column(label("step"), overflow="fold", max_width=24)
    table.add_column(label("check"), overflow="fold", max_width=22)
    table.add_column(label("result"), no_wrap=True)
    table.add_column(label("message"), overflow="fold", ratio=1)
    for o in report.outcomes:
        word, style = STATUS_STYLE[o.status]
        detail = Text(o.message)
        if o.status in (Status.FAIL, Status.ERROR):
            if o.diagnosis_message:
                detail.append(f"\n{label('cause')}: ", style="bold")
                detail.append(o.diagnosis_message)
            for hint in o.hints:
                detail.append(f"\n{label('hint')}: ", style="bold yellow")
                detail.append(hint)
            for line in o.evidence[:3]:
                detail.append(f"\n  {line}", style="dim")
        table.add_row(o.step_id, o.check_id, Text(word, style=style), detail)
    console.print(table)
    counts = report.counts()
    summary = (
        f"{label('score')}: {report.score:.1f}%  "
        f"pass {counts['pass']} / fail {counts['fail']} / error {counts['error']} / "
        f"skip {counts['skip']}  ({report.duration:.2f}s)"
    )
    console.print(summary)
    verdict = label("verdict_pass" if report.passed else
                    "verdict_fail" if report.graded else "verdict_none")
    console.print(Text(verdict, style="bold green" if report.passed else "bold red"))


def to_json(report: Report) -> str:
    """The report as JSON."""
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


def to_junit(report: Report) -> str:
    """The report as JUnit XML: a test suite per step, a test case per check."""
    suites = ET.Element(
        "testsuites",
        name=f"maillab-tui {report.chapter_id}",
        tests=str(len(report.outcomes)),
        time=f"{report.duration:.3f}",
    )
    by_step: dict[str, ET.Element] = {}
    for o in report.outcomes:
        suite = by_step.get(o.step_id)
        if suite is None:
            suite = ET.SubElement(
                suites,
                "testsuite",
                name=f"{report.host}.{o.step_id}",
                tests="0",
                failures="0",
                errors="0",
                skipped="0",
            )
            by_step[o.step_id] = suite
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{report.host}.{o.step_id}",
            name=o.check_id,
            time=f"{o.duration:.3f}",
        )
        text = "\n".join([o.message, o.diagnosis_message, *o.hints, *o.evidence]).strip()
        if o.status == Status.FAIL:
            suite.set("failures", str(int(suite.get("failures", "0")) + 1))
            node = ET.SubElement(case, "failure", message=o.message, type=o.diagnosis or "fail")
            node.text = text
        elif o.status == Status.ERROR:
            suite.set("errors", str(int(suite.get("errors", "0")) + 1))
            node = ET.SubElement(case, "error", message=o.message)
            node.text = text
        elif o.status == Status.SKIP:
            suite.set("skipped", str(int(suite.get("skipped", "0")) + 1))
            ET.SubElement(case, "skipped", message=o.message)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
