"""The `maillab-tui` command: the lab (TUI) by default, `--check-only`, and the subcommands.

One module per subcommand; `SUBCOMMANDS` names each one's module, imported only when it runs.
Nothing here imports Textual: `--check-only`, `lint` and `sandbox` must start fast and work on
machines where the UI cannot run.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence

from maillab_tui.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, parse_since
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
    if args and args[0] in SUBCOMMANDS:
        return subcommand(args[0])(args[1:])
    from maillab_tui.cli.lab import main as lab_main

    return lab_main(args)


__all__ = [
    "DESCRIPTION", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "SUBCOMMANDS", "LabOptions",
    "build_parser", "main", "parse_since", "subcommand",
]
