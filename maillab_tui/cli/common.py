"""What every subcommand shares: exit codes, loading a chapter without a traceback, times."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maillab_tui.chapter import Chapter

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
"""Ctrl-C: 128 + SIGINT, as a shell reports a program the signal ended."""


def load_or_report(ref: str | None, language: str) -> Chapter | None:
    """The chapter, or None after printing its errors as lint does (never a traceback)."""
    from maillab_tui.chapter import ChapterError, load_chapter

    try:
        return load_chapter(ref, language)
    except ChapterError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("the chapter has errors: fix them (maillab-tui lint shows them all)", file=sys.stderr)
        return None


def parse_since(text: str) -> float | None:
    """Epoch seconds from epoch seconds, an ISO time, or a duration ago (`10m`)."""
    import datetime as dt
    import time

    from maillab_tui.checking.probes import parse_duration

    now = time.time()
    try:
        when: float | None = float(text)
    except ValueError:
        ago = parse_duration(text)
        try:
            when = now - ago if ago is not None else dt.datetime.fromisoformat(text).timestamp()
        except (ValueError, OverflowError):
            when = None
    # a time between 1970 and a day from now, finite (not nan, inf or 1e300)
    return when if when is not None and 0 <= when <= now + 86400 else None
