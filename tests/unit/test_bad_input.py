"""Broken chapters and misused commands: each is named with its file and line, never passes
and never crashes (issue 16's classes, one regression test each; tests/fuzz/ finds more)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from maillab_tui.chapter.attrs import heading_attrs
from maillab_tui.chapter.lint import lint
from maillab_tui.chapter.model import Problem
from maillab_tui.chapter.parser import ChapterError, parse_chapter
from maillab_tui.chapter.yamlread import YamlProblem, read_small_text, read_yaml
from maillab_tui.cli.common import parse_since
from maillab_tui.lab.progress import ProgressStore
from maillab_tui.mail.logfollow import FileFollower
from tests.conftest import FIXTURES, ROOT

SOURCE = (ROOT / "chapters" / "mail-server" / "ja.md").read_text(encoding="utf-8")
GOOD = str(FIXTURES / "chapters" / "good.md")


@contextmanager
def bounded(seconds: int = 10) -> Iterator[None]:
    """Fail instead of hanging (a bound on a hang, not a timing)."""
    def stop(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def lint_text(tmp_path: Path, text: str, name: str = "ja.md") -> list[Problem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with bounded():
        return lint([str(path)])


def errors(problems: list[Problem]) -> list[str]:
    return [f"{p.line}: {p.message}" for p in problems if p.severity == "error"]


def replace_front(key: str, value: object) -> str:
    _, front, body = SOURCE.split("---\n", 2)
    data = yaml.safe_load(front)
    data[key] = value
    return "---\n" + yaml.safe_dump(data, allow_unicode=True) + "---\n" + body


def cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "maillab_tui", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, **kw)  # type: ignore[call-overload]


# -- silent loss -------------------------------------------------------------------------------

@pytest.mark.parametrize("nesting", ["".join("  " * d + "- item\n" for d in range(30)),
                                     "1. " * 40 + "x\n"])
def test_nesting_past_markdowns_limit_is_an_error_not_lost_steps(tmp_path: Path,
                                                                 nesting: str) -> None:
    at = SOURCE.index("\n## ", 2000)
    text = SOURCE[:at] + "\n\n" + nesting + SOURCE[at:]
    found = errors(lint_text(tmp_path, text))
    assert any("stops being read" in e for e in found), found
    first = SOURCE[:at].count("\n") + 3                   # the nested list's first line
    lines = [int(e.split(":")[0]) for e in found if "stops being read" in e]
    assert first <= lines[0] < first + nesting.count("\n"), (first, found)


def test_a_lost_fence_line_is_an_error_at_the_swallowed_block(tmp_path: Path) -> None:
    opener = SOURCE.index("```sh\n", 3000)
    text = SOURCE[:opener] + SOURCE[opener + len("```sh\n"):]   # the opener lost
    found = errors(lint_text(tmp_path, text))
    assert any("a ``` above this line is missing" in e for e in found), found


def test_a_misspelt_check_attribute_is_an_error(tmp_path: Path) -> None:
    text = SOURCE.replace("```yaml {check}", "```yaml {chek}", 1)
    found = errors(lint_text(tmp_path, text))
    assert any("{chek}: did you mean {check}?" in e for e in found), found


def test_a_lost_dash_joins_two_checks_and_is_an_error(tmp_path: Path) -> None:
    first = SOURCE.index("```yaml {check}\n")
    item = SOURCE.index("\n- ", SOURCE.index("\n- ", first) + 1)   # the block's second item
    text = SOURCE[:item + 1] + "  " + SOURCE[item + 3:]
    found = errors(lint_text(tmp_path, text))
    assert any("is given twice" in e and "lost '- '" in e for e in found), found


@pytest.mark.parametrize("value", [".nan", ".inf", "1e9", "-1"])
def test_timeouts_and_weights_are_finite_and_bounded(tmp_path: Path, value: str) -> None:
    check = SOURCE.index("\n- ", SOURCE.index("```yaml {check}\n"))
    for key in ("timeout", "weight"):
        text = SOURCE[:check + 1] + SOURCE[check + 1:].replace("\n", f"\n  {key}: {value}\n", 1)
        found = errors(lint_text(tmp_path, text))
        assert any(f"check {key} must be a number" in e for e in found), (key, value, found)


def test_a_truncated_chapter_is_named(tmp_path: Path) -> None:
    text = SOURCE[: len(SOURCE) // 2].rstrip("\n") + " cut"
    problems = lint_text(tmp_path, text)
    assert any("cut short" in p.message for p in problems)


def test_a_lost_heading_is_warned_about(tmp_path: Path) -> None:
    heading = SOURCE.index("\n## ", 5000)
    end = SOURCE.index("\n", heading + 1)
    problems = lint_text(tmp_path, SOURCE[:heading] + SOURCE[end:])
    assert any("second check block" in p.message for p in problems)


# -- crashes and hangs -------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "value", "says"), [
    ("network", ["x"], "'network' must map names"),
    ("hosts", 5, "declares no hosts"),
    ("learner", {"a": "b"}, "'learner' must be a single value"),
    ("vars", {"password": {"value": [1]}}, "variable 'password' must be"),
    ("id", [1], "'id' must be a single value"),
])
def test_badly_typed_front_matter_is_an_error_not_a_traceback(tmp_path: Path, key: str,
                                                                value: object, says: str) -> None:
    found = errors(lint_text(tmp_path, replace_front(key, value)))
    assert any(says in e for e in found), found


@pytest.mark.parametrize(("text", "says"), [
    ("a: " + "9" * 5000, "cannot be read"),
    ("a: " + "[" * 5000 + "]" * 5000, "nested more than"),
    ("a: &a [x, x]\nb: [*a, *a]", "aliases"),
    ("a: 1\na: 2", "given twice"),
    ("a: \x1b", "does not allow"),
])
def test_yaml_that_would_crash_or_explode_is_a_problem(text: str, says: str) -> None:
    with pytest.raises(YamlProblem, match=says):
        read_yaml(text)


def test_a_translation_loop_is_an_error_not_a_recursion(tmp_path: Path) -> None:
    ja = SOURCE.replace("language: ja\n", "language: ja\ntranslates: en.md\n", 1)
    en = (ROOT / "chapters/mail-server/en.md").read_text(encoding="utf-8")
    (tmp_path / "en.md").write_text(en, encoding="utf-8")
    found = errors(lint_text(tmp_path, ja))
    assert any("is itself a translation" in e for e in found), found
    selfish = SOURCE.replace("language: ja\n", "language: ja\ntranslates: self.md\n", 1)
    assert any("leads back to this chapter" in e
               for e in errors(lint_text(tmp_path, selfish, "self.md")))


def test_the_heading_attributes_are_read_in_linear_time() -> None:
    line = "a" + " " * 200_000 + "b {#x"
    with bounded(5):
        assert heading_attrs(line) is None
        assert heading_attrs(line + "}") == ("a" + " " * 200_000 + "b", "#x")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_only_regular_files_of_sane_size_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.md"
    zero.symlink_to("/dev/zero")
    loop = tmp_path / "loop.md"
    loop.symlink_to(loop)
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 3_000_000)
    with bounded():
        for path in (fifo, zero, loop, big):
            with pytest.raises(ChapterError, match="cannot read chapter"):
                parse_chapter(path)
        with pytest.raises(ValueError, match="not a regular file"):
            read_small_text(fifo)


def test_utf8_errors_name_the_line_and_a_bom_is_accepted(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    lines = SOURCE.splitlines(keepends=True)
    bad.write_bytes("".join(lines[:40]).encode() + b"\xff\xfe bad\n" + "".join(lines[40:]).encode())
    with pytest.raises(ChapterError) as caught:
        parse_chapter(bad)
    assert caught.value.problems[0].line == 41
    bom = tmp_path / "bom.md"
    bom.write_bytes(b"\xef\xbb\xbf" + SOURCE.encode())
    assert errors(lint([str(bom)])) == []


def test_an_empty_shell_check_is_an_error(tmp_path: Path) -> None:
    text = SOURCE.replace("```yaml {check}\n", "```yaml {check}\n- shell:\n", 1)
    assert any("empty 'shell:'" in e for e in errors(lint_text(tmp_path, text)))


# -- exit codes and messages -------------------------------------------------------------------

def test_a_chapter_with_no_checks_does_not_pass(tmp_path: Path) -> None:
    text = (FIXTURES / "chapters" / "good.md").read_text(encoding="utf-8")
    cut = text.split("```yaml {check}")
    bare = cut[0] + "".join("```text" + part for part in cut[1:])
    path = tmp_path / "bare.md"
    path.write_text(bare, encoding="utf-8")
    proc = cli("--check-only", "--chapter", str(path), "--host", "host1", "--platform",
               "debian12", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["verdict"] == "fail" and report["score"] == 0.0
    table = cli("--check-only", "--chapter", str(path), "--host", "host1", "--platform",
                "debian12", "--lang", "en")
    assert "no check was graded" in table.stdout


@pytest.mark.parametrize("args", [["checks"], ["lint", "chapters"],
                                  ["--check-only", "--chapter", GOOD, "--host", "host2",
                                   "--platform", "debian12", "--format", "json"]])
def test_a_closed_pipe_is_no_traceback(args: list[str]) -> None:
    proc = subprocess.run(f"{sys.executable} -m maillab_tui {' '.join(args)} | true",
                          shell=True, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in proc.stderr


def test_ctrl_c_during_check_only_stops_and_exits_130(tmp_path: Path) -> None:
    slow = tmp_path / "slow.md"
    text = (FIXTURES / "chapters" / "good.md").read_text(encoding="utf-8")
    slow.write_text(text.replace('- shell: "true"', '- shell: "sleep 30"'), encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "maillab_tui", "--check-only", "--chapter",
                              str(slow), "--host", "host1", "--platform", "debian12"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        with bounded(5):
            while child.poll() is None:  # bounded by the alarm
                try:
                    child.wait(timeout=1.5)
                except subprocess.TimeoutExpired:
                    break
        os.killpg(child.pid, signal.SIGINT)     # as the terminal does: the whole group
        _, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 130 and "Traceback" not in err, err


@pytest.mark.parametrize(("args", "says"), [
    (["lint", "/nonexistent"], "no such file"),
    (["checks", "smtp_auht"], "did you mean 'smtp_auth'"),
    (["--check-only", "--chapter", GOOD, "--host", "host1", "--platform", "debian12",
      "--checks-dir", "/nonexistent"], "does not exist"),
    (["--check-only", "--chapter", GOOD, "--host", "host1", "--platform", "debian12",
      "--output", "/nonexistent/[bold]r.json"], "/nonexistent/[bold]r.json: no such directory"),
    (["--check-only", "--chapter", GOOD, "--host", "host1", "--platform", "debian12",
      "--since", "1e300"], "not a time"),
    (["report", "x" * 5000], "File name too long"),
    (["checks", "--checks-dir", "x" * 5000], "File name too long"),
])
def test_usage_errors_exit_2_and_say_what(args: list[str], says: str) -> None:
    proc = cli(*args)
    assert proc.returncode == 2 and says in proc.stderr, proc.stderr


def test_since_is_a_finite_time() -> None:
    assert parse_since("nan") is None and parse_since("inf") is None
    assert parse_since("10m") is not None and parse_since("0") == 0.0


# -- the progress store ------------------------------------------------------------------------

def _store(tmp_path: Path, **kw: object) -> ProgressStore:

    return ProgressStore(tmp_path / "progress", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("content", [b"\x00\xff\xfe binary", b"[" * 100_000 + b"]" * 100_000,
                                     b'{"format": 1, "chapter": "mail-server", "steps": 5}'])
def test_a_broken_progress_file_is_moved_aside_not_a_crash(tmp_path: Path,
                                                           content: bytes) -> None:
    store = _store(tmp_path)
    path = store.path_for("mail-server", "host1")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    loaded = store.load("mail-server", "host1")
    assert loaded.moved_aside is not None and loaded.moved_aside.read_bytes() == content
    assert loaded.notice is not None and str(loaded.moved_aside) in loaded.notice.en
    store.save(loaded.progress)                              # and saving works again


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("kind", ["fifo", "directory", "unreadable", "unmovable"])
def test_a_progress_file_that_cannot_be_read_is_kept_and_the_lab_goes_on(
        tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from maillab_tui.lab import progress as mod
    from maillab_tui.lab.progress import NotSaved, StepState

    store = _store(tmp_path)
    path = store.path_for("mail-server", "host1")
    path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.write_text("not json" if kind == "unmovable" else '{"x": 1}', encoding="utf-8")
        if kind == "unreadable":   # as a learner meets it (root could read it anyway)
            monkeypatch.setattr(mod, "_read_regular",
                                lambda p: (_ for _ in ()).throw(PermissionError(13, "denied")))
        else:
            monkeypatch.setattr(store, "move_aside", lambda p: None)
    before = path.read_bytes() if path.is_file() else None
    with bounded():
        loaded = store.load("mail-server", "host1")
    assert loaded.notice is not None and "kept in memory" in loaded.notice.en
    assert loaded.moved_aside is None and str(path) in loaded.notice.en
    progress = loaded.progress
    progress.steps["x"] = mod.StepRecord(StepState.DONE, "now")
    with pytest.raises(NotSaved):
        store.save(progress)
    if before is not None:
        assert path.read_bytes() == before                    # never overwritten
    else:
        assert not path.is_file()


def test_the_session_keeps_working_and_says_once_where_it_could_not_save(tmp_path: Path) -> None:
    from maillab_tui.chapter.parser import parse_chapter
    from maillab_tui.lab.progress import StepState
    from maillab_tui.lab.session import LabSession

    chapter = parse_chapter(GOOD)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the progress directory should be", encoding="utf-8")
    session = LabSession(chapter, "host1", "debian12", progress_dir=blocked / "progress")
    told: list[str] = []
    session.on_unsaved = lambda why: told.append(why.en)
    session.open("host1")
    session.begin()
    for step in session.steps:
        session.enter(step)
        session.record(step.id, StepState.DONE)
    assert len(told) == 1 and "kept in memory" in told[0]
    assert all(session.progress is not None and session.progress.finished(s.id)
               for s in session.steps)


def test_a_secret_with_quotes_is_masked_before_the_json_is_written(tmp_path: Path) -> None:
    from maillab_tui.lab.progress import StepRecord, StepState

    secret = 'pa"ss\\word'
    store = _store(tmp_path, secrets=[secret, "step"])
    loaded = store.load("mail-server", "host1")
    loaded.progress.steps["step-one"] = StepRecord(StepState.FAILED, "now", f"typed {secret}")
    path = store.save(loaded.progress)
    text = path.read_text(encoding="utf-8")
    assert secret not in text and json.dumps(secret)[1:-1] not in text
    json.loads(text)                       # still JSON, even with a secret as common as "step"


# -- the log follower ----------------------------------------------------------------------------

def _follow(path: Path) -> tuple[FileFollower, list[str]]:

    got: list[str] = []
    return FileFollower(path, got.extend, busy_interval=0.01, idle_interval=0.01), got


def _poll(follower: FileFollower, got: list[str], rounds: int = 5) -> list[str]:
    for _ in range(rounds):
        got += follower.poll()
    return got


def _started(tmp_path: Path, text: str | None) -> tuple[Path, FileFollower, list[str]]:
    """A log (absent when `text` is None) and a follower that has polled it."""
    log = tmp_path / "maillog"
    if text is not None:
        log.write_text(text)
    follower, got = _follow(log)
    _poll(follower, got, 1)
    return log, follower, got


def test_copytruncate_then_a_longer_write_loses_no_line(tmp_path: Path) -> None:
    log, follower, got = _started(tmp_path, "".join(f"old {i}\n" for i in range(100)))
    with open(log, "r+") as handle:            # copytruncate, then more than before at once
        handle.truncate(0)
        handle.write("".join(f"new {i}\n" for i in range(400)))
    _poll(follower, got)
    assert [x for x in got if x.startswith("new")] == [f"new {i}" for i in range(400)]


def test_a_same_size_rewrite_is_read_again(tmp_path: Path) -> None:
    log, follower, got = _started(tmp_path, "aaaa\nbbbb\n")
    with open(log, "r+") as handle:
        handle.write("cccc\ndddd\n")
    _poll(follower, got)
    assert got[-2:] == ["cccc", "dddd"]


def test_a_file_that_comes_late_is_read_from_its_start(tmp_path: Path) -> None:
    log, follower, got = _started(tmp_path, None)
    log.write_text("".join(f"line {i}\n" for i in range(1000)))
    _poll(follower, got, 20)
    assert got[0] == "line 0" and len(got) == 1000


def test_a_writer_still_on_the_rotated_file_is_followed(tmp_path: Path) -> None:
    log, follower, got = _started(tmp_path, "first\n")
    with open(log, "a") as writer:
        os.rename(log, tmp_path / "maillog.1")
        log.write_text("in the new file\n")
        _poll(follower, got)
        writer.write("".join(f"late {i}\n" for i in range(300)))
        writer.flush()
        _poll(follower, got)
    assert [x for x in got if x.startswith("late")] == [f"late {i}" for i in range(300)]
    assert "in the new file" in got


def test_a_huge_line_does_not_hold_back_the_next(tmp_path: Path) -> None:
    log, follower, got = _started(tmp_path, "")
    with open(log, "ab") as handle:
        handle.write(b"x" * 50_000_000 + b"\nreal line\n")
    _poll(follower, got, 3)                    # a handful of polls, not 50 MB / 1 MB of them
    assert got[-1] == "real line" and got[0].endswith("…")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_a_symlink_loop_is_an_error_state_not_a_block(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    for path in (fifo, loop):
        follower, _ = _follow(path)
        with bounded(5):
            assert follower.prime() == []
        assert follower.state == "error"


# -- report, placeholders --------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_report_reads_neither_a_fifo_nor_json_nested_too_deep(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    os.mkfifo(results / "fifo.json")
    (results / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with bounded(60):
        proc = cli("report", str(results), str(results / "fifo.json"), "--lang", "en")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "not a regular file" in proc.stdout and "nested too deep" in proc.stdout


@pytest.mark.parametrize("broken", ["{{ fqdn }", "{{ 1x }}", "{{ }}"])
def test_a_broken_placeholder_is_warned_about(tmp_path: Path, broken: str) -> None:
    text = SOURCE.replace("この章では、", f"この章では {broken} で、", 1)
    problems = lint_text(tmp_path, text)
    assert any("is not a variable" in p.message and p.severity == "warning" for p in problems)


def test_linting_a_translation_parses_its_source_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from maillab_tui.chapter import parser

    parsed: list[str] = []
    original = parser._Parser.parse

    def counting(self: parser._Parser, *args: object, **kwargs: object) -> object:
        parsed.append(self.path.name)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parser._Parser, "parse", counting)
    lint([str(ROOT / "chapters" / "mail-server")])
    assert sorted(parsed) == ["en.md", "ja.md"]


def test_a_secret_is_masked_in_its_base64_forms_too() -> None:
    import base64

    from maillab_tui.chapter.variables import mask

    secret = "userpass"
    encoded = [base64.b64encode(s.encode()).decode() for s in (secret, secret + "\n")]
    text = f"typed {secret}; echo | base64: {encoded[1]}; printf | base64: {encoded[0]}"
    shown = mask(text, [secret])
    assert secret not in shown and not any(e.rstrip("=") in shown for e in encoded)
    assert mask("ab", ["ab"]) == "********" and mask("YWI=", ["ab"]) == "YWI="  # short: literal


def test_a_chapter_ending_in_a_link_reference_lints_clean(tmp_path: Path) -> None:
    """markdown-it makes no token of `[name]: url`: that is no lost text."""
    text = SOURCE.rstrip("\n") + "\n\n[textbook]: https://example.com/mail\n"
    assert not any("stops being read" in e for e in errors(lint_text(tmp_path, text)))
