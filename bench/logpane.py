"""The mail log pane under load: lines appended to a followed file at 20,000 and 100,000 lines/s.

Run from the repository: `.venv/bin/python bench/logpane.py [--seconds S]`. The lab app runs
headless (80x24) following a temporary file; a writer thread appends mail-log-like lines
carrying their write time. Printed for each rate: the lag from write to display (median and
95th percentile of the newest line of each batch shown), lines dropped to keep up (the
follower's bounded buffer), the process's peak memory, and the CPU used while idle afterwards.
Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maillab_tui.chapter import load_chapter
from maillab_tui.checking.api import BUILTIN, Library
from maillab_tui.lab.session import LabSession
from maillab_tui.ui.app import LabApp
from maillab_tui.ui.widgets.logview import LogPane

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "tests" / "fixtures" / "chapters" / "lab-ui" / "ja.md"
TEMPLATES = [
    "postfix/smtpd[{n}]: connect from mail.example2.jp[192.168.56.102]",
    "postfix/smtpd[{n}]: 4F1C2: client=mail.example2.jp[192.168.56.102]",
    "postfix/cleanup[{n}]: 4F1C2: message-id=<{n}@mail.example2.jp>",
    "postfix/qmgr[{n}]: 4F1C2: from=<user2@example2.jp>, size=512, nrcpt=1 (queue active)",
    "postfix/local[{n}]: 4F1C2: to=<user1@example1.jp>, relay=local, delay=0.01, "
    "status=sent (delivered to mailbox)",
    "postfix/smtpd[{n}]: warning: unknown smtpd restriction: \"reject_unauth_destinaition\"",
]


def writer(path: Path, rate: int, seconds: float, done: threading.Event,
           written: list[int]) -> None:
    """Append `rate` lines a second for `seconds`, in 10 ms slices; each line ends in its time."""
    count = 0
    started = time.monotonic()
    with open(path, "a", encoding="utf-8") as handle:
        while (now := time.monotonic()) - started < seconds:
            due = int((now - started) * rate)
            lines = []
            while count < due:
                template = TEMPLATES[count % len(TEMPLATES)]
                lines.append(f"2025-04-10T09:30:00+09:00 mail {template.format(n=count)} "
                             f"t={time.monotonic():.6f}\n")
                count += 1
            handle.write("".join(lines))
            handle.flush()
            time.sleep(0.01)
    written.append(count)
    done.set()


async def measure(rate: int, seconds: float) -> dict[str, float]:
    """One rate: run the app, write, and collect the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "maillog"
        log.write_text("")
        chapter = load_chapter(CHAPTER, "ja")
        session = LabSession(
            chapter, "host1", "debian12", library=Library(dict(BUILTIN), []),
            runner_factory=lambda c, h, p: None,  # type: ignore[arg-type,return-value]
            progress_dir=Path(tmp) / "progress",
            clock=lambda: dt.datetime(2025, 4, 10, 9, 30, tzinfo=dt.UTC))
        app = LabApp(session, log_path=log)
        lags: list[float] = []
        shown = [0]
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            view = app.query_one(LogPane).view
            original = view.write_lines

            def write_lines(lines: list[str]) -> None:
                original(lines)
                shown[0] += len(lines)
                if lines and " t=" in lines[-1]:
                    lags.append(time.monotonic() - float(lines[-1].rsplit("t=", 1)[1]))

            view.write_lines = write_lines  # type: ignore[method-assign]
            done = threading.Event()
            written: list[int] = []
            thread = threading.Thread(target=writer, args=(log, rate, seconds, done, written))
            thread.start()
            while not done.is_set():
                await pilot.pause(0.05)
            deadline = time.monotonic() + 30
            while shown[0] + app.buffer.total_dropped < written[0] and time.monotonic() < deadline:
                await pilot.pause(0.05)
            thread.join()
            cpu0, wall0 = time.process_time(), time.monotonic()
            await pilot.pause(3.0)
            idle_cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        lags.sort()
        return {
            "written": written[0],
            "shown": shown[0],
            "dropped": app.buffer.total_dropped,
            "lag_median_ms": 1000 * statistics.median(lags) if lags else float("nan"),
            "lag_p95_ms": 1000 * lags[int(len(lags) * 0.95) - 1] if lags else float("nan"),
            "peak_rss_mib": peak,
            "idle_cpu_percent": 100 * idle_cpu,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    for rate in (20_000, 100_000):
        figures = asyncio.run(measure(rate, args.seconds))
        print(f"{rate:>7,} lines/s for {args.seconds:g} s: written {figures['written']:,}, "
              f"shown {figures['shown']:,}, dropped {figures['dropped']:,}; "
              f"lag median {figures['lag_median_ms']:.0f} ms, p95 {figures['lag_p95_ms']:.0f} ms; "
              f"peak RSS {figures['peak_rss_mib']:.0f} MiB; "
              f"idle CPU afterwards {figures['idle_cpu_percent']:.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
