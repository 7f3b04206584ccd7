"""The `maillab-tui` command: the lab (TUI) by default, `--check-only`, and the subcommands.

One module per subcommand; `SUBCOMMANDS` names each one's module, imported only when it runs.
Nothing here imports Textual: `--check-only`, `lint` and `sandbox` must start fast and work on
machines where the UI cannot run.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence

from maillab_tui.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    parse_since,
)
from maillab_tui.cli.options import DESCRIPTION, LabOptions, build_parser

SUBCOMMANDS: Mapping[str, str] = {
    "lint": "maillab_tui.cli.lint",
    "checks": "maillab_tui.cli.checks",
    "sandbox": "maillab_tui.cli.sandbox",
    "selftest": "maillab_tui.cli.selftest",
    "report": "maillab_tui.cli.report",
}
"""Subcommand name -> the module whose `main(argv)` runs it."""


def subcommand(name: str) -> Callable[[Sequence[str]], int]:
    """The `main` of a subcommand."""
    main_of: Callable[[Sequence[str]], int] = importlib.import_module(SUBCOMMANDS[name]).main
    return main_of


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in SUBCOMMANDS:
            return subcommand(args[0])(args[1:])
        from maillab_tui.cli.lab import main as lab_main

        return lab_main(args)
    except BrokenPipeError:
        # The reader went away (`maillab-tui checks | head -1`): nothing more to say to it,
        # and no traceback. stdout is pointed at /dev/null so that the exit's flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:
        # A file-system oddity not met where it was read (a name too long, a file vanishing
        # under a directory walk): the path and the reason, not a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"maillab-tui: {where[:200]}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # Ctrl-C reached every command of the terminal's process group; the checks still in
        # their threads would be waited for at exit (a retrying check for its whole timeout),
        # so leave at once once what was written is flushed.
        print("maillab-tui: interrupted", file=sys.stderr)
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)


__all__ = [
    "DESCRIPTION", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "SUBCOMMANDS", "LabOptions",
    "build_parser", "main", "parse_since", "subcommand",
]
