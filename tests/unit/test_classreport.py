"""`maillab-tui report`: merging a class's --check-only results into one text/CSV/HTML report."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from maillab_tui.checking.classreport import load, render_csv, render_html, select
from tests.conftest import ROOT

HASH_A = "a" * 64
HASH_B = "b" * 64
STEPS = [
    ("hostname", "ホスト名の設定"),
    ("postfix-install", "Postfix のインストール"),
    ("postfix-main-cf", "main.cf の設定"),
    ("dovecot", "Dovecot の設定"),
]


def result(
    student: str | None,
    host: str = "host1",
    failing: tuple[str, ...] = (),
    chapter_hash: str = HASH_A,
    version: str = "0.1.0",
) -> dict[str, Any]:
    """A result as `--check-only --format json` writes it: two checks per step."""
    checks = []
    for step, title in STEPS:
        for n in (1, 2):
            bad = step in failing and n == 2
            checks.append(
                {
                    "step": step,
                    "step_title": title,
                    "check_id": f"{step}-{n}",
                    "check": "postconf" if "postfix" in step else "shell",
                    "status": "fail" if bad else "pass",
                    "message": f"{step} check {n} failed: myhostname is wrong" if bad else "ok",
                    "evidence": ["myhostname = localhost"] if bad else [],
                    "diagnosis": "postconf.mismatch" if bad else None,
                    "diagnosis_message": "main.cf の myhostname が違います" if bad else "",
                    "hints": ["postconf myhostname を確認"] if bad else [],
                    "weight": 1.0,
                    "duration": 0.01,
                    "attempts": 1,
                    "line": 10,
                }
            )
    passed = sum(c["status"] == "pass" for c in checks)
    fqdn = "mail.example1.jp" if host == "host1" else "mail.example2.jp"
    data: dict[str, Any] = {
        "tool": "maillab-tui",
        "version": version,
        "chapter": {"id": "mail-server", "sha256": chapter_hash, "path": "/x/mail-server"},
        "host": host,
        "platform": "almalinux9",
        "hostname": fqdn,
        "language": "ja",
        "time": "2026-11-28T10:00:00+00:00",
        "duration": 1.2,
        "score": round(100.0 * passed / len(checks), 1),
        "verdict": "fail" if failing else "pass",
        "counts": {"pass": passed, "fail": len(checks) - passed, "error": 0, "skip": 0},
        "checks": checks,
    }
    if student is not None:
        data["student"] = student
    return data


def write(directory: Path, name: str, data: Any) -> Path:
    path = directory / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def classdir(tmp_path: Path) -> Path:
    """Three students, two hosts each: one passes, one fails a step, one host unreachable."""
    d = tmp_path / "results"
    d.mkdir()
    write(d, "yamada-h1.json", result("山田太郎", "host1"))
    write(d, "yamada-h2.json", result("山田太郎", "host2"))
    write(d, "suzuki-h1.json", result("鈴木花子", "host1", failing=("postfix-main-cf",)))
    write(d, "suzuki-h2.json", result("鈴木花子", "host2"))
    write(d, "abe-h1.json", result("阿部一郎", "host1", failing=("hostname", "dovecot")))
    write(
        d,
        "abe-h2.json",
        {
            "tool": "maillab-tui",
            "kind": "failure",
            "unreachable": True,
            "student": "阿部一郎",
            "host": "host2",
            "inventory_hostname": "abe-host2",
            "stage": "connect",
            "message": "ssh: connect to host 10.0.0.12 port 22: No route to host",
        },
    )
    (d / "notes.txt").write_text("not a result", encoding="utf-8")
    return d


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "maillab_tui", "report", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
    )


def test_merges_every_student_and_host(classdir: Path) -> None:
    report = load([classdir])
    assert report.unreadable == []
    got = {(r.student, r.host): r for r in report.rows}
    assert set(got) == {
        (s, h) for s in ("山田太郎", "鈴木花子", "阿部一郎") for h in ("host1", "host2")
    }
    suzuki = got[("鈴木花子", "host1")]
    assert (suzuki.status, suzuki.score, suzuki.steps_passed, suzuki.steps_total) == (
        "fail",
        87.5,
        3,
        4,
    )
    assert suzuki.step == "postfix-main-cf" and suzuki.check_id == "postfix-main-cf-2"
    assert suzuki.diagnosis == "postconf.mismatch"
    assert "myhostname" in suzuki.diagnosis_message and "myhostname" in suzuki.message
    # The first failing step in chapter order, not the last one.
    assert got[("阿部一郎", "host1")].step == "hostname"
    assert got[("山田太郎", "host2")].status == "pass" and got[("山田太郎", "host2")].step == ""


def test_unreachable_host_is_shown_not_missing(classdir: Path) -> None:
    report = load([classdir])
    abe = next(r for r in report.rows if r.student == "阿部一郎" and r.host == "host2")
    assert abe.status == "unreachable" and abe.score is None and "No route" in abe.message
    assert not report.ok
    text = cli(str(classdir), "--lang", "en")
    assert text.returncode == 1, text.stderr
    assert "UNREACHABLE" in text.stdout and "No route to host" in text.stdout


def test_failed_grading_record(tmp_path: Path) -> None:
    write(tmp_path, "a.json", result("A", "host1"))
    record = {"failed": True, "student": "A", "host": "host2", "stage": "grade", "rc": 2}
    write(tmp_path, "b.json", {**record, "message": "chapter has errors"})
    report = load([tmp_path])
    row = next(r for r in report.rows if r.host == "host2")
    assert row.status == "failed" and "rc 2" in row.message and "stage grade" in row.message
    assert not report.ok
    proc = cli(str(tmp_path), "--lang", "en")
    assert proc.returncode == 1
    assert "GRADING FAILED" in proc.stdout and "[stage grade, rc 2]" in proc.stdout


def test_text_shows_brackets_literally(tmp_path: Path) -> None:
    write(tmp_path, "a.json", result("[bold]Sato[/bold] [red]", "host1"))
    proc = cli(str(tmp_path), "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert "[bold]Sato[/bold] [red]" in proc.stdout


def test_all_good_exits_0(tmp_path: Path) -> None:
    write(tmp_path, "a.json", result("A", "host1", failing=("dovecot",)))
    write(tmp_path, "b.json", result("A", "host2"))
    proc = cli(str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--lang", "en")
    # A failing student is what the report is for, not an error of the report.
    assert proc.returncode == 0, proc.stderr
    assert "FAIL" in proc.stdout and "PASS" in proc.stdout


def test_sort_and_filter(classdir: Path) -> None:
    rows = load([classdir]).rows
    by_score = select(rows, "score")
    assert by_score[0].status == "unreachable"  # not graded comes first
    scores = [r.score for r in by_score[1:]]
    assert scores == sorted(scores)
    assert by_score[1].student == "阿部一郎"
    by_host = select(rows, "host")
    assert [r.host for r in by_host] == ["host1"] * 3 + ["host2"] * 3
    by_student = select(rows, "student")
    assert [r.student for r in by_student] == sorted(r.student for r in rows)
    failing = select(rows, "student", "failing")
    assert {(r.student, r.host) for r in failing} == {
        ("鈴木花子", "host1"),
        ("阿部一郎", "host1"),
        ("阿部一郎", "host2"),
    }
    passing = select(rows, "student", "passing")
    assert len(passing) == 3 and all(r.status == "pass" for r in passing)


def test_csv_content(classdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "class.csv"
    proc = cli(str(classdir), "--format", "csv", "--sort", "score", "-o", str(out))
    assert proc.returncode == 1  # the unreachable host
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheets and Japanese
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 6
    assert rows[0]["status"] == "unreachable" and rows[0]["host"] == "host2"
    suzuki = next(r for r in rows if r["student"] == "鈴木花子" and r["host"] == "host1")
    assert suzuki["score"] == "87.5" and suzuki["steps_passed"] == "3"
    assert suzuki["steps_total"] == "4" and suzuki["first_failing_step"] == "postfix-main-cf"
    assert suzuki["diagnosis"] == "postconf.mismatch" and suzuki["chapter_sha256"] == HASH_A
    assert suzuki["file"].endswith("suzuki-h1.json")


def test_csv_cells_are_not_formulas(tmp_path: Path) -> None:
    write(tmp_path, "a.json", result('=HYPERLINK("http://x")', "host1"))
    text = render_csv(load([tmp_path]), load([tmp_path]).rows)
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["student"].startswith("'=")


class Page(HTMLParser):
    """Tags opened and closed, the text, and the table cells."""

    VOID = frozenset({"meta", "br", "input", "link", "img", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.cells: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.in_td = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "td":
            self.in_td = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()
        if tag == "td":
            self.in_td = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.in_td:
            self.cells[-1] += data


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def test_html_is_well_formed_and_self_contained(classdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "class.html"
    proc = cli(str(classdir), "--format", "html", "--lang", "en", "--output", str(out))
    assert proc.returncode == 1
    page = out.read_text(encoding="utf-8")
    parsed = parse(page)
    assert parsed.errors == [] and parsed.stack == []
    assert page.startswith("<!DOCTYPE html>")
    for tag, attrs in parsed.tags:  # nothing fetched from elsewhere
        assert "src" not in attrs and tag != "link", (tag, attrs)
    assert any(tag == "input" and attrs.get("type") == "search" for tag, attrs in parsed.tags)
    assert "@media print" in page and "<script>" in page
    cells = parsed.cells
    assert any(c.startswith("host1mail.example1.jp") for c in cells)
    assert any(c.startswith("host2mail.example2.jp") for c in cells)
    assert "87.5" in cells and "100.0" in cells
    assert "UNREACHABLE" in cells
    for name in ("山田太郎", "鈴木花子", "阿部一郎"):
        assert name in cells


def test_html_escapes_a_malicious_student_name(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    write(tmp_path, "evil.json", result(evil, "host1", failing=("dovecot",)))
    report = load([tmp_path])
    page = render_html(report, report.rows, "ja")
    assert evil not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    parsed = parse(page)
    assert parsed.errors == []
    assert evil in parsed.cells  # shown as text, exactly as the student wrote it
    assert not any(tag == "img" for tag, _ in parsed.tags)
    assert sum(tag == "script" for tag, _ in parsed.tags) == 1  # only the page's own


def test_corrupt_and_truncated_files_are_named(tmp_path: Path) -> None:
    write(tmp_path, "good.json", result("A", "host1"))
    whole = json.dumps(result("B", "host1"), ensure_ascii=False, indent=2)
    write(tmp_path, "truncated.json", whole[: len(whole) // 2])
    write(tmp_path, "corrupt.json", '{"tool": "maillab-tui",, garbage}')
    write(tmp_path, "empty.json", "")
    write(tmp_path, "other.json", {"hello": "world"})
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    report = load([tmp_path])
    assert [r.student for r in report.rows] == ["A"]
    why = {Path(r.source).name: r.message for r in report.unreadable}
    assert set(why) == {"truncated.json", "corrupt.json", "empty.json", "other.json", "binary.json"}
    assert why["truncated.json"].startswith("truncated")
    assert why["corrupt.json"].startswith("corrupt")
    assert "not a maillab-tui result" in why["other.json"]
    proc = cli(str(tmp_path), "--lang", "en")
    assert proc.returncode == 1
    for name in why:
        assert f"Unreadable file: {tmp_path / name}" in proc.stdout, name
    csv_proc = cli(str(tmp_path), "--format", "csv")
    unreadable = [
        r for r in csv.DictReader(io.StringIO(csv_proc.stdout)) if r["status"] == "unreadable"
    ]
    assert {Path(r["file"]).name for r in unreadable} == set(why)
    page = cli(str(tmp_path), "--format", "html", "--lang", "en").stdout
    assert "truncated.json" in page and "corrupt.json" in page
    ja = cli(str(tmp_path), "--lang", "ja")
    assert f"読めないファイル: {tmp_path / 'truncated.json'}: 途中で切れています" in ja.stdout
    assert f"読めないファイル: {tmp_path / 'corrupt.json'}: 壊れています" in ja.stdout


def test_mixed_chapter_versions_are_flagged(tmp_path: Path) -> None:
    write(tmp_path, "a.json", result("A", "host1"))
    write(tmp_path, "b.json", result("B", "host1", chapter_hash=HASH_B, version="0.2.0"))
    proc = cli(str(tmp_path), "--lang", "en")
    assert proc.returncode == 0
    first_lines = proc.stdout.splitlines()[:2]
    assert any(
        "different chapter versions" in line and "bbbbbbbbbbbb" in line for line in first_lines
    )
    assert any("different maillab-tui versions" in line and "0.2.0" in line for line in first_lines)
    page = cli(str(tmp_path), "--format", "html", "--lang", "en").stdout
    assert "different chapter versions" in page


def test_one_chapter_version_is_not_flagged(tmp_path: Path) -> None:
    write(tmp_path, "a.json", result("A", "host1"))
    write(tmp_path, "b.json", result("B", "host1"))
    report = load([tmp_path])
    assert report.warnings("en") == []
    assert report.ok


def test_duplicate_student_host_is_flagged(tmp_path: Path) -> None:
    write(tmp_path, "a.json", result("A", "host1"))
    write(tmp_path, "a-again.json", result("A", "host1", failing=("dovecot",)))
    warnings = load([tmp_path]).warnings("en")
    assert len(warnings) == 1 and "a-again.json" in warnings[0]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert cli(str(tmp_path / "nope")).returncode == 2
    assert cli(str(tmp_path)).returncode == 2  # an empty directory: nothing to report
    write(tmp_path, "a.json", result("A"))
    bad_out = cli(str(tmp_path), "-o", str(tmp_path / "no" / "such" / "dir.txt"))
    assert bad_out.returncode == 2


def test_filter_option_on_the_command_line(classdir: Path) -> None:
    proc = cli(str(classdir), "--format", "csv", "--filter", "passing")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert {r["status"] for r in rows} == {"pass"} and len(rows) == 3
    assert proc.returncode == 1  # filtering does not hide that a host was not graded


def test_result_without_student_names_its_file(tmp_path: Path) -> None:
    write(tmp_path, "mail.example1.jp.json", result(None))
    proc = cli(str(tmp_path), "--lang", "en")
    assert proc.returncode == 0
    assert "(no name) mail.example1.jp" in proc.stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to parse the page's script")
def test_html_script_is_valid_javascript(classdir: Path, tmp_path: Path) -> None:
    report = load([classdir])
    page = render_html(report, report.rows, "en")
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    path = tmp_path / "page.js"
    path.write_text(script, encoding="utf-8")
    proc = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_report_never_imports_textual(classdir: Path) -> None:
    from tests.unit.test_cli import NO_TEXTUAL

    for fmt in ("text", "html"):
        proc = subprocess.run(
            [sys.executable, "-c", NO_TEXTUAL, "report", str(classdir), "--format", fmt],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert proc.stderr.strip().endswith("NO-TEXTUAL"), proc.stderr


def test_summary_counts_one_student_in_the_singular(tmp_path: Path) -> None:
    write(tmp_path, "a-host1.json", result("山田太郎", "host1"))
    write(tmp_path, "a-host2.json", result("山田太郎", "host2"))
    report = load([tmp_path])
    assert report.summary("en").startswith("2 machines (1 student): 2 passed")
    write(tmp_path, "b-host1.json", result("鈴木花子", "host1"))
    assert load([tmp_path]).summary("en").startswith("3 machines (2 students)")
    assert load([tmp_path]).summary("ja").startswith("3 台 (学生 2 人)")
