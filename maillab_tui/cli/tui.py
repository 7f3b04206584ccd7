"""Open the lab's TUI from the command line's options (imports Textual only when called)."""

from __future__ import annotations

import sys
import time

from maillab_tui.cli.common import EXIT_USAGE, load_or_report
from maillab_tui.cli.options import LabOptions
from maillab_tui.text import default_language


def run_tui(options: LabOptions) -> int:
    """Load the chapter, decide host and platform, and run the app; the exit code."""
    from maillab_tui.lab.session import LabSession, resolve_target

    started = time.monotonic()
    language = options.lang or default_language()
    chapter = load_or_report(options.chapter, language)
    if chapter is None:
        return EXIT_USAGE
    target = resolve_target(chapter, options.host, options.platform)
    if options.host and target.host is None:
        # A role given on the command line that the chapter does not have is a usage error;
        # an undetectable machine is not: the app asks (and remembers the answer).
        print(f"maillab-tui: {target.why}", file=sys.stderr)
        return EXIT_USAGE
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        print("maillab-tui: the lab needs a terminal (use --check-only to grade without one)",
              file=sys.stderr)
        return EXIT_USAGE
    session = LabSession(chapter, target.host, target.platform, language=language,
                         free=options.free, why=target.why, checks_dirs=options.checks_dirs)
    from maillab_tui.ui.app import LabApp

    app = LabApp(session)
    app.started_at = started
    app.run()
    return app.return_code or 0
