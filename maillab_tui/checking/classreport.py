"""`maillab-tui report`: many `--check-only --format json` results merged into one class view.

The files come from wherever the instructor collected them (examples/ansible/grade.yml fetches one
per lab machine). This module only reads files: it never talks to the hosts.

Besides graded results it reads the *failure records* the playbook writes when a host could not
be graded, so that such a host shows up instead of being silently missing::

    {"tool": "maillab-tui", "kind": "failure", "unreachable": true, "failed": true,
     "student": "山田太郎", "host": "host1", "inventory_hostname": "yamada-h1",
     "stage": "connect", "rc": null, "message": "ssh: connect to host ... timed out",
     "time": "2026-11-28T19:30:00Z"}

`unreachable: true` (could not connect) or `failed: true` (connected, but installing or grading
failed: `rc` is the exit code of `--check-only`, `stage` says which task) makes a failure record;
everything else in it is optional. A file that is neither a result nor a failure record, or is
not JSON at all (empty, cut short, garbled), is reported by name as unreadable.

Exit codes: 0 when the report was produced from readable files and every host was graded; 1 when
the report was produced but a file was unreadable or a host was unreachable or failed grading;
2 for usage errors (a path that does not exist, no result files at all, an unwritable output).
Students whose checks fail do not change the exit code: that is what the report is for.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maillab_tui import __version__
from maillab_tui.text import Localized, t

PASS, FAIL, UNREACHABLE, FAILED, UNREADABLE = "pass", "fail", "unreachable", "failed", "unreadable"
STATUSES = (PASS, FAIL, UNREACHABLE, FAILED, UNREADABLE)
SORTS = ("student", "score", "host")
FILTERS = ("all", "failing", "passing")
FORMATS = ("text", "csv", "html")

LABELS: dict[str, Localized] = {
    "title": t("クラスの採点結果", "Class grading report"),
    "student": t("学生", "Student"),
    "host": t("ホスト", "Host"),
    "score": t("得点", "Score"),
    "steps": t("ステップ", "Steps"),
    "verdict": t("判定", "Verdict"),
    "first": t("最初に通らなかったステップ", "First failing step"),
    "cause": t("原因 / 内容", "Cause / message"),
    "filter": t("絞り込み", "Filter"),
    "failing_only": t("未合格のみ", "Failing only"),
    "unnamed": t("(名前なし)", "(no name)"),
    "summary": t(
        "{rows} 台 (学生 {students} 人): 合格 {passed}、不合格 {failing}、接続不可 {unreachable}、"
        "採点失敗 {failed}",
        "{rows} machine{rows_s} ({students} student{students_s}): {passed} passed, "
        "{failing} failing, {unreachable} unreachable, {failed} failed grading",
    ),
    "shown": t(
        "表示: {shown} 行 (絞り込み: {filter}、並べ替え: {sort})",
        "Shown: {shown} rows (filter: {filter}, sort: {sort})",
    ),
    "generated": t(
        "作成: {time}、maillab-tui {version}", "Generated {time} by maillab-tui {version}"
    ),
    "unreadable_file": t("読めないファイル: {file}: {why}", "Unreadable file: {file}: {why}"),
    "mixed_chapter": t(
        "注意: 章の版が混在しています (比べられない結果があります): {items}",
        "Warning: results come from different chapter versions (not comparable): {items}",
    ),
    "mixed_version": t(
        "注意: maillab-tui のバージョンが混在しています: {items}",
        "Warning: results come from different maillab-tui versions: {items}",
    ),
    "duplicate": t(
        "注意: 同じ学生とホストの結果が複数あります: {who} ({files})",
        "Warning: several results for the same student and host: {who} ({files})",
    ),
    "no_rows": t("該当する行はありません", "No rows match"),
    PASS: t("合格", "PASS"),
    FAIL: t("不合格", "FAIL"),
    UNREACHABLE: t("接続不可", "UNREACHABLE"),
    FAILED: t("採点失敗", "GRADING FAILED"),
    UNREADABLE: t("読めない", "UNREADABLE"),
}


@dataclass
class Row:
    """One lab machine of one student: a graded result or a record of why there is none."""

    source: str
    status: str
    student: str = ""
    host: str = ""
    hostname: str = ""
    platform: str = ""
    score: float | None = None
    steps_passed: int = 0
    steps_total: int = 0
    step: str = ""
    step_title: str = ""
    check_id: str = ""
    diagnosis: str = ""
    diagnosis_message: str = ""
    message: str = ""
    chapter_id: str = ""
    chapter_hash: str = ""
    version: str = ""
    time: str = ""
    reason: Localized | None = None  # why an unreadable file could not be read, in both languages

    def why(self, language: str) -> str:
        """The message, in `language` when it has a translation."""
        return self.reason.get(language) if self.reason is not None else self.message

    @property
    def failing(self) -> bool:
        """True for anything but a pass: failing checks, no grading, or an unreadable file."""
        return self.status != PASS


@dataclass
class ClassReport:
    """Every row read, the files that could not be read, and warnings about the whole set."""

    rows: list[Row] = field(default_factory=list)
    unreadable: list[Row] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file was read and every host was graded."""
        return not self.unreadable and all(r.status in (PASS, FAIL) for r in self.rows)

    def warnings(self, language: str) -> list[str]:
        """Mixed chapter versions, mixed tool versions, duplicate student/host pairs."""
        out: list[str] = []
        graded = [r for r in self.rows if r.status in (PASS, FAIL)]
        chapters = Counter((r.chapter_id, r.chapter_hash) for r in graded)
        if len(chapters) > 1:
            items = ", ".join(
                f"{cid} sha256 {digest[:12]}… ×{n}" for (cid, digest), n in sorted(chapters.items())
            )
            out.append(LABELS["mixed_chapter"].format(items=items).get(language))
        versions = Counter(r.version for r in self.rows if r.version)
        if len(versions) > 1:
            items = ", ".join(f"{v} ×{n}" for v, n in sorted(versions.items()))
            out.append(LABELS["mixed_version"].format(items=items).get(language))
        seen: dict[tuple[str, str], list[str]] = {}
        for r in self.rows:
            if r.student or r.host:
                seen.setdefault((r.student, r.host), []).append(r.source)
        for (student, host), files in seen.items():
            if len(files) > 1:
                who = f"{student or LABELS['unnamed'].get(language)} {host}"
                message = LABELS["duplicate"].format(who=who, files=", ".join(files))
                out.append(message.get(language))
        return out

    def summary(self, language: str) -> str:
        """How many machines and students, and how they came out."""
        count = Counter(r.status for r in self.rows)
        rows, students = len(self.rows), len({r.student for r in self.rows})
        return (
            LABELS["summary"]
            .format(
                rows=rows,
                rows_s="" if rows == 1 else "s",
                students=students,
                students_s="" if students == 1 else "s",
                passed=count[PASS],
                failing=count[FAIL],
                unreachable=count[UNREACHABLE],
                failed=count[FAILED],
            )
            .get(language)
        )


class Unreadable(Exception):
    """A file that is not a result or failure record; `reason` says why."""

    def __init__(self, reason: Localized) -> None:
        super().__init__(reason.en)
        self.reason = reason


def _unreadable(source: str, reason: Localized) -> Row:
    return Row(source=source, status=UNREADABLE, message=reason.en, reason=reason)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def parse_result(data: Any, source: str) -> Row:
    """A row from one decoded JSON document (a result or a failure record)."""
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise Unreadable(
            t(
                f"maillab-tui の結果ではありません (JSON の {kind})",
                f"not a maillab-tui result (a JSON {kind})",
            )
        )
    if data.get("unreachable") is True or data.get("failed") is True:
        status = UNREACHABLE if data.get("unreachable") is True else FAILED
        message = _text(data.get("message") or data.get("msg"))
        stage, rc = data.get("stage"), data.get("rc")
        if status == FAILED and (stage or rc is not None):
            detail = ", ".join(
                part
                for part in (
                    f"stage {stage}" if stage else "",
                    f"rc {rc}" if rc is not None else "",
                )
                if part
            )
            message = f"[{detail}] {message}".strip()
        return Row(
            source=source,
            status=status,
            student=_text(data.get("student")).strip(),
            host=_text(data.get("host") or data.get("inventory_hostname")),
            hostname=_text(data.get("inventory_hostname") or data.get("hostname")),
            message=message,
            version=_text(data.get("version")),
            time=_text(data.get("time")),
        )
    if data.get("tool") != "maillab-tui":
        raise Unreadable(
            t(
                'maillab-tui の結果ではありません ("tool": "maillab-tui" がない)',
                'not a maillab-tui result (no "tool": "maillab-tui")',
            )
        )
    checks = data.get("checks")
    chapter = data.get("chapter")
    score = data.get("score")
    if (
        not isinstance(checks, list)
        or not all(isinstance(c, dict) for c in checks)
        or not isinstance(chapter, dict)
        or not isinstance(score, int | float)
        or data.get("verdict") not in (PASS, FAIL)
    ):
        raise Unreadable(
            t(
                "maillab-tui の結果ですが、項目が欠けているか壊れています",
                "a maillab-tui result with missing or malformed fields",
            )
        )
    step_order: list[str] = []
    bad_steps: set[str] = set()
    first: dict[str, Any] | None = None
    for check in checks:
        step = _text(check.get("step"))
        if step not in step_order:
            step_order.append(step)
        if check.get("status") in ("fail", "error"):
            bad_steps.add(step)
            if first is None:
                first = check
    first = first or {}
    return Row(
        source=source,
        status=PASS if data["verdict"] == PASS else FAIL,
        student=_text(data.get("student")).strip(),
        host=_text(data.get("host")),
        hostname=_text(data.get("hostname")),
        platform=_text(data.get("platform")),
        score=float(score),
        steps_passed=len(step_order) - len(bad_steps),
        steps_total=len(step_order),
        step=_text(first.get("step")),
        step_title=_text(first.get("step_title")),
        check_id=_text(first.get("check_id")),
        diagnosis=_text(first.get("diagnosis")),
        diagnosis_message=_text(first.get("diagnosis_message")),
        message=_text(first.get("message")),
        chapter_id=_text(chapter.get("id")),
        chapter_hash=_text(chapter.get("sha256")),
        version=_text(data.get("version")),
        time=_text(data.get("time")),
    )


MAX_RESULT = 20_000_000
"""A result file is some kB per check; this is far beyond any real one."""


def read_file(path: Path) -> Row:
    """One file as a row: a result, a failure record, or an `unreadable` row saying why."""
    source = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block, a device never end
            return _unreadable(source, t("通常のファイルではありません", "not a regular file"))
        if info.st_size > MAX_RESULT:
            return _unreadable(source, t(f"大きすぎます（{info.st_size:,} バイト）",
                                         f"too large ({info.st_size:,} bytes)"))
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _unreadable(source, t(f"読めません: {reason}", f"cannot read: {reason}"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _unreadable(
            source, t("UTF-8 のテキストではありません (壊れている?)", "not UTF-8 text (corrupt?)")
        )
    if not text.strip():
        return _unreadable(source, t("空のファイル (途中で切れた?)", "empty file (truncated?)"))
    try:
        data = json.loads(text)
    except RecursionError:
        return _unreadable(source, t("壊れています: JSON の入れ子が深すぎます",
                                     "corrupt: JSON nested too deep"))
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            why = t(
                f"途中で切れています: JSON が終わる前に終わっています ({exc.lineno} 行目、"
                f"{len(raw)} バイト)",
                f"truncated: the JSON stops early (line {exc.lineno}, {len(raw)} bytes)",
            )
        else:
            where = f"line {exc.lineno} column {exc.colno}"
            why = t(
                f"壊れています: 正しい JSON ではありません ({exc.msg}, {where})",
                f"corrupt: not valid JSON ({exc.msg}, {where})",
            )
        return _unreadable(source, why)
    try:
        return parse_result(data, source)
    except Unreadable as exc:
        return _unreadable(source, exc.reason)


def collect(paths: Iterable[str | Path]) -> list[Path]:
    """The JSON files named, and those under the directories named (recursively), in order."""
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.json") if p.is_file())
        else:
            files.append(path)
    seen: set[Path] = set()
    unique = []
    for path in files:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def load(paths: Iterable[str | Path]) -> ClassReport:
    """Read every file into one class report."""
    report = ClassReport()
    for path in collect(paths):
        row = read_file(path)
        (report.unreadable if row.status == UNREADABLE else report.rows).append(row)
    return report


def select(rows: Sequence[Row], sort: str = "student", keep: str = "all") -> list[Row]:
    """The rows kept by `keep` (all, failing, passing), ordered by `sort`.

    `score` puts the machines that need the instructor first: not graded, then lowest score.
    """
    if keep == "failing":
        chosen = [r for r in rows if r.failing]
    elif keep == "passing":
        chosen = [r for r in rows if not r.failing]
    else:
        chosen = list(rows)

    def by_student(r: Row) -> tuple[Any, ...]:
        return (r.student == "", r.student, r.host, r.source)

    if sort == "score":
        return sorted(chosen, key=lambda r: (r.score is not None, r.score or 0.0, *by_student(r)))
    if sort == "host":
        return sorted(chosen, key=lambda r: (r.host, *by_student(r)))
    return sorted(chosen, key=by_student)


def _steps(row: Row) -> str:
    return f"{row.steps_passed}/{row.steps_total}" if row.status in (PASS, FAIL) else "-"


def _score(row: Row) -> str:
    return f"{row.score:.1f}" if row.score is not None else "-"


def _first(row: Row) -> str:
    if not row.step:
        return ""
    title = f" {row.step_title}" if row.step_title and row.step_title != row.step else ""
    return f"{row.step}{title} ({row.check_id})" if row.check_id else f"{row.step}{title}"


def _cause(row: Row) -> str:
    parts = [row.diagnosis_message or row.diagnosis, row.message]
    return " / ".join(p for p in parts if p)


def _student(row: Row, language: str) -> str:
    return row.student or f"{LABELS['unnamed'].get(language)} {Path(row.source).stem}"


def unreadable_lines(report: ClassReport, language: str) -> list[str]:
    """A line per file that could not be read, naming it and saying why."""
    return [
        LABELS["unreadable_file"].format(file=r.source, why=r.why(language)).get(language)
        for r in report.unreadable
    ]


def header_lines(report: ClassReport, language: str) -> list[str]:
    """What goes above the table: unreadable files, then warnings about the whole set."""
    return unreadable_lines(report, language) + report.warnings(language)


def render_text(
    report: ClassReport,
    rows: Sequence[Row],
    language: str,
    width: int | None = None,
    file: Any = None,
    notes: str = "",
) -> None:
    """A rich table with the warnings above it and the counts below."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=file, width=width, highlight=False)
    style = {PASS: "bold green", FAIL: "bold red", UNREACHABLE: "bold magenta", FAILED: "magenta"}

    def label(key: str) -> str:
        return LABELS[key].get(language)

    for line in header_lines(report, language):
        console.print(Text(line, style="bold yellow"))
    table = Table(title=label("title"), show_lines=False)
    table.add_column(label("student"), overflow="fold", max_width=28)
    table.add_column(label("host"), no_wrap=True)
    table.add_column(label("score"), justify="right", no_wrap=True)
    table.add_column(label("steps"), justify="right", no_wrap=True)
    table.add_column(label("verdict"), no_wrap=True)
    table.add_column(label("first"), overflow="fold", max_width=30)
    table.add_column(label("cause"), overflow="fold", ratio=1)
    for r in rows:
        # Text, not str: a name or message with [brackets] must not be read as rich markup.
        table.add_row(
            Text(_student(r, language)),
            Text(r.host),
            _score(r),
            _steps(r),
            Text(label(r.status), style=style.get(r.status, "")),
            Text(_first(r)),
            Text(_cause(r)),
        )
    console.print(table)
    console.print(Text(report.summary(language)))
    if notes:
        console.print(Text(notes, style="dim"))


CSV_FIELDS = (
    "student", "host", "hostname", "platform", "status", "score", "steps_passed", "steps_total",
    "first_failing_step", "first_failing_step_title", "first_failing_check", "diagnosis",
    "diagnosis_message", "message", "chapter_id", "chapter_sha256", "version", "time", "file",
)  # fmt: skip


def _cell(value: str) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def render_csv(report: ClassReport, rows: Sequence[Row]) -> str:
    """One line per row; unreadable files come first as rows of status `unreadable`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for r in [*report.unreadable, *rows]:
        texts = [
            r.student, r.host, r.hostname, r.platform, r.status,
        ]  # fmt: skip
        numbers = [
            _score(r) if r.score is not None else "",
            str(r.steps_passed) if r.status in (PASS, FAIL) else "",
            str(r.steps_total) if r.status in (PASS, FAIL) else "",
        ]
        rest = [
            r.step, r.step_title, r.check_id, r.diagnosis, r.diagnosis_message, r.message,
            r.chapter_id, r.chapter_hash, r.version, r.time, r.source,
        ]  # fmt: skip
        writer.writerow([*map(_cell, texts), *numbers, *map(_cell, rest)])
    return out.getvalue()


HTML_STYLE = """
body{font-family:system-ui,"Hiragino Sans","Noto Sans CJK JP",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}
.notes p{margin:.2em 0;padding:.3em .6em;border-left:4px solid #c80;background:#fff6e0}
.notes p.unreadable{border-color:#b00;background:#fde8e8}
.meta{color:#555;font-size:.9em}
.tools{margin:.8em 0}
input[type=search]{font-size:1em;padding:.2em .4em;width:20em}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#eee;cursor:pointer;user-select:none;white-space:nowrap}
th.asc::after{content:" \\25B2"}th.desc::after{content:" \\25BC"}
td.num{text-align:right;white-space:nowrap}
tr.pass td.verdict{color:#060;font-weight:bold}
tr.fail td.verdict{color:#b00;font-weight:bold}
tr.unreachable td.verdict,tr.failed td.verdict{color:#808;font-weight:bold}
tr.unreachable,tr.failed{background:#f6eef6}
.small{color:#666;font-size:.85em}
@media print{.tools{display:none}body{margin:0}tr{break-inside:avoid}
th{cursor:auto}a{color:inherit}}
"""

HTML_SCRIPT = """
const q=document.getElementById('q'),only=document.getElementById('only'),
body=document.querySelector('#results tbody');
function filt(){const s=q.value.toLowerCase();for(const tr of body.rows){
tr.hidden=!tr.textContent.toLowerCase().includes(s)||(only.checked&&tr.dataset.ok==='1');}}
q.addEventListener('input',filt);only.addEventListener('change',filt);
document.querySelectorAll('#results th').forEach((th,i)=>th.addEventListener('click',()=>{
const dir=th.classList.contains('asc')?-1:1,num=th.dataset.type==='num';
document.querySelectorAll('#results th').forEach(h=>h.classList.remove('asc','desc'));
th.classList.add(dir>0?'asc':'desc');
const key=tr=>{const c=tr.cells[i];return num?parseFloat(c.dataset.v):c.textContent;};
[...body.rows].sort((a,b)=>{const x=key(a),y=key(b);
return dir*(num?x-y:x.localeCompare(y,'ja'));}).forEach(tr=>body.appendChild(tr));}));
"""


def render_html(report: ClassReport, rows: Sequence[Row], language: str, notes: str = "") -> str:
    """A self-contained page: no external assets, a filter box, sortable columns, printable."""
    e = html.escape

    def label(key: str) -> str:
        return e(LABELS[key].get(language))

    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(language)}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{label('title')}</title>",
        f"<style>{HTML_STYLE}</style></head>",
        "<body>",
        f"<h1>{label('title')}</h1>",
    ]
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    generated = LABELS["generated"].format(time=when, version=__version__).get(language)
    parts.append(f'<p class="meta">{e(report.summary(language))}<br>{e(generated)}</p>')
    notes_html = [
        f'<p class="unreadable">{e(line)}</p>' for line in unreadable_lines(report, language)
    ] + [f"<p>{e(line)}</p>" for line in report.warnings(language)]
    if notes_html:
        parts.append('<div class="notes">' + "".join(notes_html) + "</div>")
    parts.append(
        '<div class="tools">'
        f'<label>{label("filter")}: <input type="search" id="q" autocomplete="off"></label> '
        f'<label><input type="checkbox" id="only"> {label("failing_only")}</label></div>'
    )
    heads = [
        ("student", ""), ("host", ""), ("score", "num"), ("steps", "num"),
        ("verdict", ""), ("first", ""), ("cause", ""),
    ]  # fmt: skip
    parts.append('<table id="results"><thead><tr>')
    parts += [f'<th data-type="{kind}">{label(key)}</th>' for key, kind in heads]
    parts.append("</tr></thead><tbody>")
    for r in rows:
        score_v = r.score if r.score is not None else -1
        steps_v = r.steps_passed if r.status in (PASS, FAIL) else -1
        detail = e(r.hostname or "")
        if r.platform:
            detail += f" · {e(r.platform)}"
        parts.append(
            f'<tr class="{e(r.status)}" data-ok="{0 if r.failing else 1}">'
            f"<td>{e(_student(r, language))}</td>"
            f'<td>{e(r.host)}<div class="small">{detail}</div></td>'
            f'<td class="num" data-v="{score_v}">{e(_score(r))}</td>'
            f'<td class="num" data-v="{steps_v}">{e(_steps(r))}</td>'
            f'<td class="verdict">{label(r.status)}</td>'
            f"<td>{e(_first(r))}</td>"
            f"<td>{e(_cause(r))}</td></tr>"
        )
    if not rows:
        parts.append(f'<tr><td colspan="{len(heads)}">{label("no_rows")}</td></tr>')
    parts.append("</tbody></table>")
    if notes:
        parts.append(f'<p class="meta">{e(notes)}</p>')
    parts += [f"<script>{HTML_SCRIPT}</script>", "</body></html>", ""]
    return "\n".join(parts)
