"""`maillab-tui report RESULTS...`: merge a class's --check-only results into one report.

exit codes: 0 report produced, every file read and every host graded; 1 report produced, but a
file was unreadable or a host was unreachable or failed grading; 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from maillab_tui.checking.classreport import (
    FILTERS,
    FORMATS,
    LABELS,
    SORTS,
    header_lines,
    load,
    render_csv,
    render_html,
    render_text,
    select,
)
from maillab_tui.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from maillab_tui.text import default_language


def build_parser() -> argparse.ArgumentParser:
    """The options of `maillab-tui report`."""
    parser = argparse.ArgumentParser(
        prog="maillab-tui report",
        description=(
            "Merge `maillab-tui --check-only --format json` results (files, or directories of "
            "them) into one class report. Reads files only; never contacts the hosts."
        ),
        epilog=(
            "exit codes: 0 report produced, every file read and every host graded; "
            "1 report produced, but a file was unreadable or a host was unreachable or failed "
            "grading; 2 usage error (missing path, no results, output not writable)"
        ),
    )
    parser.add_argument("results", nargs="+", metavar="RESULTS", help="JSON files or directories")
    parser.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--sort",
        choices=SORTS,
        default="student",
        help="row order (default: student; score puts ungraded and lowest scores first)",
    )
    parser.add_argument(
        "--filter",
        choices=FILTERS,
        default="all",
        help="failing: anything not passed (incl. unreachable); passing; all (default)",
    )
    parser.add_argument("--lang", choices=("ja", "en"), default=None, help="default: the locale")
    return parser


def main(argv: Sequence[str]) -> int:
    """`maillab-tui report RESULTS...`: the exit code (see the module's docstring)."""
    args = build_parser().parse_args(list(argv))
    language = args.lang or default_language()
    missing = [p for p in args.results if not Path(p).exists()]
    if missing:
        for path in missing:
            print(f"maillab-tui report: {path}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    report = load(args.results)
    if not report.rows and not report.unreadable:
        print(
            "maillab-tui report: no result files (*.json) in " + " ".join(args.results),
            file=sys.stderr,
        )
        return EXIT_USAGE
    rows = select(report.rows, args.sort, args.filter)
    notes = LABELS["shown"].format(shown=len(rows), filter=args.filter, sort=args.sort)
    note = notes.get(language)
    try:
        if args.format == "text":
            if args.output:
                with open(args.output, "w", encoding="utf-8") as handle:
                    render_text(report, rows, language, width=160, file=handle, notes=note)
            else:
                render_text(report, rows, language, notes=note)
        else:
            text = (
                render_csv(report, rows)
                if args.format == "csv"
                else render_html(report, rows, language, note)
            )
            if args.output:
                # A byte-order mark lets spreadsheet programs read the Japanese in a CSV file.
                encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
                with open(args.output, "w", encoding=encoding, newline="") as handle:
                    handle.write(text)
            else:
                sys.stdout.write(text)
    except OSError as exc:
        print(f"maillab-tui report: cannot write {args.output}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.output:
        print(report.summary(language), file=sys.stderr)
    for line in header_lines(report, language):
        if args.output or args.format != "text":
            print(line, file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED
