"""`maillab-tui [options]`: the lab itself (the TUI), or `--check-only` to grade this machine."""

from __future__ import annotations

from collections.abc import Sequence

from maillab_tui.cli.options import LabOptions


def main(argv: Sequence[str]) -> int:
    """The lab, or `--check-only`; the exit code."""
    options = LabOptions.parse(argv)
    if options.check_only:
        from maillab_tui.cli.check_only import check_only

        return check_only(options)
    from maillab_tui.cli.tui import run_tui

    return run_tui(options)
