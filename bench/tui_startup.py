"""Start-up time of the lab TUI in a real pty, against a bare Textual app showing one Markdown.

Run from the repository: `.venv/bin/python bench/tui_startup.py [--runs N]`. Each run starts
the program in a pseudo-terminal (80x24) and measures the time until the first step's text is
on the terminal (the first interactive screen), then quits it with ctrl+q. Prints medians and
the ratio; the target is within 1.3x of the bare app. Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "tests" / "fixtures" / "chapters" / "lab-ui" / "en.md"
MARKER = "Reading only."

BARE_APP = f'''
from textual.app import App
from textual.widgets import Footer, Header, Markdown

class Bare(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield Markdown("## Introduction\\n\\n{MARKER} This machine is **mail.example1.jp**.")
        yield Footer()

Bare().run()
'''


def one_run(argv: list[str], env: dict[str, str], timeout: float = 30.0) -> float:
    """Seconds from spawning `argv` in a pty to MARKER on its screen."""
    started = time.monotonic()
    child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(24, 80), encoding="utf-8",
                          codec_errors="replace", timeout=timeout)
    try:
        child.expect_exact(MARKER)
        elapsed = time.monotonic() - started
        child.sendcontrol("q")
        child.expect(pexpect.EOF, timeout=10)
    finally:
        if child.isalive():
            child.terminate(force=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "TERM": "xterm-256color", "XDG_STATE_HOME": state,
               "LANG": "C.UTF-8", "MAILLAB_LANG": "en", "COLUMNS": "80", "LINES": "24"}
        env.pop("NO_COLOR", None)
        lab = [python, "-m", "maillab_tui", "--chapter", str(CHAPTER), "--host", "host1",
               "--platform", "debian12", "--lang", "en"]
        bare = [python, "-c", BARE_APP]
        one_run(bare, env)  # warm the file cache and bytecode
        one_run(lab, env)
        bare_times, lab_times = [], []
        for _ in range(args.runs):
            bare_times.append(one_run(bare, env))
            lab_times.append(one_run(lab, env))
    bare_median = statistics.median(bare_times)
    lab_median = statistics.median(lab_times)
    print(f"bare Textual app + Markdown: median {bare_median * 1000:.0f} ms "
          f"({', '.join(f'{t * 1000:.0f}' for t in bare_times)})")
    print(f"maillab-tui first step:      median {lab_median * 1000:.0f} ms "
          f"({', '.join(f'{t * 1000:.0f}' for t in lab_times)})")
    print(f"ratio: {lab_median / bare_median:.2f}x (target: within 1.3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
