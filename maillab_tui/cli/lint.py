"""`maillab-tui lint [PATH ...]`: check chapters for mistakes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from maillab_tui.cli.common import EXIT_FAILED, EXIT_OK


def main(argv: Sequence[str]) -> int:
    """`maillab-tui lint [PATH ...]`: print problems, exit 1 when any is an error."""
    from maillab_tui.chapter.lint import lint

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
