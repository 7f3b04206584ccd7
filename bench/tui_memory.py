"""Peak memory of the TUI over a full chapter walk, next to a bare Textual app's.

    .venv/bin/python bench/tui_memory.py [--size 160x48] [--lines 20000]

Walks every step of the bundled chapter forward and back in instructor mode (no commands or
checks run), with the mail-log pane following a temporary log that receives `--lines` lines
during the walk. Prints the process's peak RSS (ru_maxrss) for the walk and, measured in a
separate process, for a bare Textual app with one Markdown widget. Run it on its own: each
measurement is a fresh Python process, so the figures do not include each other.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_mib() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def walk(size: tuple[int, int], lines: int) -> tuple[int, float]:
    """Walk the chapter; the number of steps visited and seconds taken."""
    from maillab_tui.chapter import load_chapter
    from maillab_tui.lab.session import LabSession
    from maillab_tui.ui.app import LabApp

    chapter = load_chapter("mail-server")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "mail.log"
        log.write_text("")
        app = LabApp(LabSession(chapter, "host1", "debian12", language="ja", free=True,
                                progress_dir=tmp), log_path=log)
        started = time.monotonic()
        visited = 0
        async with app.run_test(size=size) as pilot:
            per_step = max(1, lines // (2 * len(chapter.steps)))
            for direction in ("n", "p"):
                for _ in chapter.steps:
                    with log.open("a") as handle:
                        for i in range(per_step):
                            handle.write(f"2026-11-28T10:00:00.000000+09:00 mail postfix/smtp"
                                         f"[{i}]: ABC{i}: to=<user2@example2.jp>, status=sent\n")
                    await pilot.press(direction)
                    await pilot.pause(0.05)
                    visited += 1
        return visited, time.monotonic() - started


BARE = """
import resource
from textual.app import App
from textual.widgets import Markdown
class Bare(App):
    def compose(self):
        yield Markdown("# hello\\n\\ntext " * 50)
async def main():
    async with Bare().run_test(size=(%d, %d)) as pilot:
        await pilot.pause(0.5)
import asyncio
asyncio.run(main())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="160x48")
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    if args.child:
        visited, seconds = asyncio.run(walk((cols, rows), args.lines))
        print(f"{visited} {seconds:.2f} {peak_mib():.1f}")
        return 0
    walked = subprocess.run([sys.executable, __file__, "--child", "--size", args.size,
                             "--lines", str(args.lines)], capture_output=True, text=True)
    if walked.returncode != 0:
        print(walked.stderr[-2000:], file=sys.stderr)
        return 1
    visited, seconds, tui = walked.stdout.split()[-3:]
    bare = subprocess.run([sys.executable, "-c", BARE % (cols, rows)], capture_output=True,
                          text=True).stdout.split()[-1]
    print(f"terminal {args.size}, {visited} step views, {args.lines} log lines, "
          f"{float(seconds):.1f} s")
    print(f"  bare Textual app with a Markdown widget   peak RSS {float(bare):7.1f} MiB")
    print(f"  maillab-tui over the whole chapter        peak RSS {float(tui):7.1f} MiB"
          f"  ({float(tui) / float(bare):.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
