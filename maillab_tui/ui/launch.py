"""Start the TUI from the command line's options (imports Textual only when called)."""

from __future__ import annotations

import argparse
import sys
import time

from maillab_tui.text import default_language


def run_tui(args: argparse.Namespace) -> int:
    """Load the chapter, decide host and platform, and run the app; the exit code."""
    from maillab_tui.cli import EXIT_USAGE, load_or_report, resolve_target

    started = time.monotonic()
    language = args.lang or default_language()
    chapter = load_or_report(args.chapter, language)
    if chapter is None:
        return EXIT_USAGE
    host, platform, why = resolve_target(args, {k: dict(v.vars) for k, v in chapter.hosts.items()})
    if args.host and host is None:
        # A role given on the command line that the chapter does not have is a usage error;
        # an undetectable machine is not: the app asks (and remembers the answer).
        print(f"maillab-tui: {why}", file=sys.stderr)
        return EXIT_USAGE
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        print("maillab-tui: the lab needs a terminal (use --check-only to grade without one)",
              file=sys.stderr)
        return EXIT_USAGE
    from maillab_tui.ui.app import LabApp

    app = LabApp(chapter, host=host, platform=platform, language=language, free=args.free,
                 why=why, checks_dirs=getattr(args, "checks_dir", []) or [])
    app.started_at = started
    app.run()
    return app.return_code or 0
