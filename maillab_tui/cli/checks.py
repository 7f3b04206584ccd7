"""`maillab-tui checks [NAME ...]`: the check library as instructors read it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from maillab_tui.checking.api import load_library
from maillab_tui.checking.catalog import markdown, text
from maillab_tui.cli.common import EXIT_OK, EXIT_USAGE


def main(argv: Sequence[str]) -> int:
    """`maillab-tui checks [NAME ...] [--markdown] [--checks-dir DIR]`."""
    parser = argparse.ArgumentParser(prog="maillab-tui checks",
                                     description="List the checks chapters can use.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="show these checks in detail")
    parser.add_argument("--markdown", action="store_true", help="markdown, for docs/checks.md")
    parser.add_argument("--checks-dir", metavar="DIR", action="append", default=[])
    args = parser.parse_args(list(argv))
    library = load_library(args.checks_dir)
    for problem in library.problems:
        print(f"warning: {problem}", file=sys.stderr)
    unknown = [n for n in args.names if n not in library.checks]
    if unknown:
        import difflib

        for name in unknown:
            near = difflib.get_close_matches(name, list(library.checks), n=1)
            print(f"maillab-tui checks: no check named '{name}'"
                  + (f" (did you mean '{near[0]}'?)" if near else ""), file=sys.stderr)
        return EXIT_USAGE
    print(markdown(library) if args.markdown else text(library, args.names), end="")
    return EXIT_OK
