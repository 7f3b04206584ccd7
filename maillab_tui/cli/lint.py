"""`maillab-tui lint [PATH ...]`: check chapters for mistakes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from maillab_tui.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def main(argv: Sequence[str]) -> int:
    """`maillab-tui lint [PATH ...]`: print problems, exit 1 when any is an error."""
    from maillab_tui.chapter.lint import chapter_files, lint

    parser = argparse.ArgumentParser(
        prog="maillab-tui lint", description="Check chapters for mistakes."
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="chapter files or directories (default: the bundled chapters)",
    )
    parser.add_argument("--checks-dir", metavar="DIR", action="append", default=[])
    parser.add_argument("--quiet", "-q", action="store_true", help="only errors, no warnings")
    args = parser.parse_args(list(argv))
    missing = [p for p in args.paths if not Path(p).exists()]
    empty = [p for p in args.paths if Path(p).is_dir() and not chapter_files([p])]
    for path in missing:
        print(f"maillab-tui lint: {path}: no such file or directory", file=sys.stderr)
    for path in empty:
        print(f"maillab-tui lint: {path}: no chapter (*.md) in this directory", file=sys.stderr)
    if missing or empty:
        return EXIT_USAGE
    problems = lint(args.paths, args.checks_dir)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if args.quiet and problem.severity != "error":
            continue
        print(problem)
    warnings = len(problems) - len(errors)
    sys.stdout.flush()
    print(f"{len(errors)} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_FAILED if errors else EXIT_OK
