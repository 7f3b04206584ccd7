"""`maillab-tui lint`: every problem of a chapter as `path:line: message`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from maillab_tui.chapter.model import Chapter, Problem
from maillab_tui.chapter.parser import ChapterError, bundled_chapters_dir, parse_chapter
from maillab_tui.check import Library, load_library


def chapter_files(paths: Iterable[str]) -> list[Path]:
    """The markdown files named: files as they are, directories searched for `*.md`."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.md") if p.name.lower() != "readme.md")
        else:
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
    problems = list(chapter.problems) + check_references(chapter, library)
    if not _translates(path) and (path.parent / "mistakes.yaml").is_file():
        from maillab_tui.selftest import load_mistakes

        try:
            load_mistakes(chapter)
        except ChapterError as exc:
            problems += exc.problems
    source_name = _translates(path)
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
    for path in files:
        if not path.exists():
            problems.append(Problem(str(path), 0, "no such file"))
            continue
        problems += lint_file(path, library)
    return sorted(problems, key=lambda p: (p.path, p.line))


def _translates(path: Path) -> str | None:
    """The `translates:` value of a chapter's front matter, read cheaply."""
    try:
        head = path.read_text(encoding="utf-8").split("\n---", 1)[0]
    except (OSError, UnicodeDecodeError):
        return None
    for line in head.splitlines():
        if line.startswith("translates:"):
            return line.split(":", 1)[1].strip().strip("'\"") or None
    return None


def _near(name: str, known: Iterable[str]) -> str | None:
    """The closest known name to a misspelt one."""
    import difflib

    found = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return found[0] if found else None
