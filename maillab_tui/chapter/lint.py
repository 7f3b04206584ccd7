"""`maillab-tui lint`: every problem of a chapter as `path:line: message`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from maillab_tui.chapter.model import Chapter, Problem
from maillab_tui.chapter.parser import (
    ChapterError,
    bundled_chapters_dir,
    parse_chapter,
    parsing_once,
    translates_of,
)
from maillab_tui.chapter.variables import PLACEHOLDER, host_values
from maillab_tui.chapter.yamlread import read_small_text
from maillab_tui.checking.api import Library, load_library


def chapter_files(paths: Iterable[str]) -> list[Path]:
    """The markdown files named: files as they are, directories searched for `*.md`."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                found = []
                for p in path.rglob("*.md"):   # a file vanishing under the walk is skipped
                    if p.name.lower() != "readme.md":
                        found.append(p)
                out += sorted(found)
                continue
        except OSError:
            pass  # named as it is: reading it says what is wrong
        out.append(path)
    return out


def check_references(chapter: Chapter, library: Library) -> list[Problem]:
    """Unknown check names and parameters the check does not declare (or lacks)."""
    problems: list[Problem] = []
    for step in chapter.steps:
        for spec in step.checks:
            definition = library.get(spec.name)
            if definition is None:
                near = _near(spec.name, library.checks)
                extra = f" (did you mean '{near}'?)" if near else ""
                problems.append(
                    Problem(str(chapter.path), spec.line, f"unknown check '{spec.name}'{extra}")
                )
                continue
            for message in definition.problems_with(spec.params):
                problems.append(Problem(str(chapter.path), spec.line, message))
            for code in spec.hints:
                if not code:
                    problems.append(Problem(str(chapter.path), spec.line, "empty hint code"))
    return problems


def regex_words(pattern: str) -> list[str] | None:
    """The literal runs a regex needs to match (3+ characters each), or None when it has
    alternatives (`a|b`: which one the learner was told cannot be known)."""
    words: list[str] = []
    run = ""
    i = 0

    def cut() -> None:
        nonlocal run
        if len(run.strip()) >= 3:
            words.append(run.strip())
        run = ""

    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt.isalnum():  # \s \d \w \b \n ... are classes, not text
                cut()
            else:
                run += nxt
            i += 2
            continue
        if ch == "|":
            return None
        if ch in "*?":
            run = run[:-1]
            cut()
        elif ch == "[":
            cut()
            close = pattern.find("]", i + 2)
            i = len(pattern) if close < 0 else close
        elif ch == "{":
            cut()
            close = pattern.find("}", i)
            i = len(pattern) if close < 0 else close
        elif ch == "(" and pattern.startswith("(?", i):
            cut()
            close = pattern.find(")", i) if pattern[i + 2 : i + 3] not in (":", "P") else i + 2
            i = len(pattern) if close < 0 else close
        elif ch in ".^$+()":
            cut()
        else:
            run += ch
        i += 1
    cut()
    return words


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _lenient(template: str, values: dict[str, str]) -> str:
    """Variables filled in; unknown ones (captured at run time) left as they are."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def hidden_knowledge(chapter: Chapter, library: Library) -> list[Problem]:
    """A check may expect only what the learner was told: a literal a check requires (a
    subject, a file's content, a value) must appear in the text or commands of its step or an
    earlier one, as the learner on that host sees them. Solve blocks do not count."""
    problems: list[Problem] = []
    for host in chapter.hosts:
        platforms = chapter.platforms or ("",)
        for platform in platforms:
            values = host_values(chapter, host, platform)
            seen = ""
            for step in chapter.steps:
                if not step.applies_to_host(host):
                    continue
                seen += "\n" + _lenient(step.body, values)
                folded = _fold(seen)
                for spec in step.checks_for(platform, host):
                    definition = library.get(spec.name)
                    if definition is None or spec.params.get("absent") in (True, "yes"):
                        continue
                    for key, param in definition.params.items():
                        value = spec.params.get(key)
                        if not param.told or not isinstance(value, str):
                            continue
                        expanded = _lenient(value, values)
                        words = [expanded] if param.told == "literal" else regex_words(expanded)
                        for word in words or ():
                            if len(word) >= 3 and _fold(word) not in folded:
                                problems.append(Problem(
                                    str(chapter.path), spec.line,
                                    f"check '{spec.name}' expects '{word}' ({key}) on {host}, "
                                    "but the learner is not told it in this step or before: "
                                    "say it in the text or a command the learner sees"))
    unique: dict[tuple[int, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.line, problem.message.split(" on ", 1)[0]), problem)
    return list(unique.values())


def compare_translation(translation: Chapter, source: Chapter) -> list[Problem]:
    """A translation has the same step ids, in order, and the same checks in each step."""
    path = str(translation.path)
    problems: list[Problem] = []
    ours = [s.id for s in translation.steps]
    theirs = [s.id for s in source.steps]
    for step in translation.steps:
        if step.id not in theirs:
            problems.append(
                Problem(path, step.line, f"step '{step.id}' is not in {source.path.name}")
            )
    for step_id in theirs:
        if step_id not in ours:
            problems.append(
                Problem(path, 1, f"step '{step_id}' of {source.path.name} is missing here")
            )
    common = [s for s in ours if s in theirs]
    if common != [s for s in theirs if s in ours]:
        problems.append(
            Problem(path, 1, f"steps are in a different order than in {source.path.name}")
        )
    for step in translation.steps:
        if step.id not in theirs:
            continue
        other = source.step(step.id)
        if [c.signature() for c in step.checks] != [c.signature() for c in other.checks]:
            problems.append(
                Problem(
                    path,
                    step.line,
                    f"step '{step.id}' has other checks than in {source.path.name}"
                    f" (line {other.line})",
                )
            )
    return problems


def lint_file(path: Path, library: Library) -> list[Problem]:
    """Every problem of one chapter file, its translation source included when it has one."""
    try:
        chapter = parse_chapter(path)
    except ChapterError as exc:
        return list(exc.problems)
    problems = (list(chapter.problems) + check_references(chapter, library)
                + hidden_knowledge(chapter, library) + broken_placeholders(path))
    if not translates_of(path) and (path.parent / "mistakes.yaml").is_file():
        from maillab_tui.selftest.engine import load_mistakes

        try:
            load_mistakes(chapter)
        except ChapterError as exc:
            problems += exc.problems
    source_name = translates_of(path)
    if source_name:
        source_path = path.parent / source_name
        if source_path.is_file():
            problems += compare_translation(chapter, parse_chapter(source_path))
    return problems


def lint(paths: Iterable[str] = (), extra_check_dirs: Iterable[str] = ()) -> list[Problem]:
    """Lint the named chapters (default: the bundled ones), sorted by file and line."""
    library = load_library(list(extra_check_dirs))
    files = chapter_files(list(paths) or [str(bundled_chapters_dir())])
    problems: list[Problem] = [Problem("checks", 0, p) for p in library.problems]
    with parsing_once():
        for path in files:
            if not path.exists():
                problems.append(Problem(str(path), 0, "no such file"))
                continue
            problems += lint_file(path, library)
    return sorted(problems, key=lambda p: (p.path, p.line))


def _near(name: str, known: Iterable[str]) -> str | None:
    """The closest known name to a misspelt one."""
    import difflib

    found = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return found[0] if found else None


_OPENING = re.compile(r"\{\{")


def broken_placeholders(path: Path) -> list[Problem]:
    """A warning for each `{{` that does not open a variable (`{{ fqdn }`, `{{ 1x }}`,
    `{{ }}`): it would stay in the text as it is."""
    try:
        lines = read_small_text(path).splitlines()
    except (OSError, UnicodeDecodeError, ValueError):
        return []  # the parser said why already
    out = []
    for number, line in enumerate(lines, start=1):
        for opening in _OPENING.finditer(line):
            if not PLACEHOLDER.match(line, opening.start()):
                shown = line[opening.start():opening.start() + 24]
                out.append(Problem(str(path), number, f"'{shown}' is not a variable (write "
                                   "{{ name }}: letters, digits, _): it stays in the text as "
                                   "it is", "warning"))
    return out
