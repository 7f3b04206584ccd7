"""`maillab-tui --check-only`: grade this machine against the chapter, without the UI."""

from __future__ import annotations

import sys
from pathlib import Path

from maillab_tui.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, load_or_report, parse_since
from maillab_tui.cli.options import LabOptions
from maillab_tui.text import default_language


def check_only(args: LabOptions) -> int:
    """`--check-only`: grade this machine; print a table, JSON or JUnit; exit 0/1/2."""
    from rich.console import Console

    from maillab_tui.chapter.lint import check_references
    from maillab_tui.checking.api import load_library
    from maillab_tui.checking.grading import grade, make_context, select_steps
    from maillab_tui.checking.render import render_table, to_json, to_junit
    from maillab_tui.lab.session import LabSession, resolve_target

    language = args.lang or default_language()
    chapter = load_or_report(args.chapter, language)
    if chapter is None:
        return EXIT_USAGE
    if args.output and (why := unwritable(args.output)):
        print(f"maillab-tui: --output {args.output}: {why}", file=sys.stderr)
        return EXIT_USAGE
    library = load_library(args.checks_dirs)
    if library.problems and args.checks_dirs:
        for loading in library.problems:  # a check directory asked for that did not load
            print(f"maillab-tui: {loading}", file=sys.stderr)
        return EXIT_USAGE
    problems = [p for p in check_references(chapter, library) if p.severity == "error"]
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    target = resolve_target(chapter, args.host, args.platform)
    if target.host is None or target.platform is None:
        print(f"maillab-tui: {target.why}", file=sys.stderr)
        return EXIT_USAGE
    session = LabSession(chapter, target.host, target.platform, language=language,
                         library=library, checks_dirs=args.checks_dirs)
    host, platform = target.host, target.platform
    try:
        steps = select_steps(chapter, host, args.step, args.until)
    except KeyError as exc:
        print(f"maillab-tui: no step with id {exc} in {chapter.path}", file=sys.stderr)
        return EXIT_USAGE
    since = None
    if args.since:
        since = parse_since(args.since)
        if since is None:
            print(
                f"maillab-tui: --since {args.since}: not a time (epoch seconds, ISO time, "
                "or a duration like 10m)",
                file=sys.stderr,
            )
            return EXIT_USAGE
    ctx = make_context(chapter, host, platform, language, since=since)
    report = grade(chapter, session.library, ctx, steps)
    report.student = args.student.strip() if args.student and args.student.strip() else None
    if args.format == "json":
        text = to_json(report)
    elif args.format == "junit":
        text = to_junit(report)
    else:
        text = ""
    if args.output:
        try:
            if args.format == "text":
                with open(args.output, "w", encoding="utf-8") as handle:
                    render_table(report, Console(file=handle, width=120), language)
            else:
                Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"maillab-tui: cannot write {args.output}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    elif text:
        sys.stdout.write(text)
    else:
        render_table(report, Console(), language)
    return EXIT_OK if report.passed else EXIT_FAILED


def unwritable(path: str) -> str | None:
    """Why `--output PATH` cannot be written, checked before grading; None when it can."""
    import os

    target = Path(path)
    if target.is_dir():
        return "is a directory"
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        return f"no such directory {folder}"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return "permission denied"
    return None
