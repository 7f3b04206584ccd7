"""Grading speed on a completed sandbox host: the whole chapter at once vs one check at a time.

Run after `maillab-tui selftest --keep` (or any lab whose hosts finished the chapter):

    sudo .venv/bin/python bench/grading.py [--host host1] [--runs 5]

Prints medians of several runs of `maillab-tui --check-only` inside the host: concurrent (the
default), sequential (MAILLAB_WORKERS=1: the cost of no concurrency), the slowest single check
(the floor), and Python's own start-up (`--version`) for reference. Target: under 1 s, within
1.5x of the slowest check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maillab_tui.sandbox import Lab


def timed(lab: Lab, host: str, argv: list[str]) -> tuple[float, str]:
    """Wall time of one command inside the host, and its stdout."""
    started = time.monotonic()
    proc = lab.exec(host, argv, timeout=600)
    return time.monotonic() - started, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="host1")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lab = Lab()
    if not lab.is_up():
        print("the lab is not up: run `maillab-tui selftest --keep` first", file=sys.stderr)
        return 2
    grade = ["maillab-tui", "--check-only", "--host", args.host, "--format", "json"]
    startup = [timed(lab, args.host, ["maillab-tui", "--version"])[0] for _ in range(args.runs)]
    concurrent, sequential, slowest, inside, verdicts = [], [], [], [], set()
    for _ in range(args.runs):
        seconds, out = timed(lab, args.host, grade)
        data = json.loads(out)
        concurrent.append(seconds)
        verdicts.add(data["verdict"])
        slowest.append(max(c["duration"] for c in data["checks"]))
        inside.append(data["duration"])
        seconds, _ = timed(lab, args.host, ["env", "MAILLAB_WORKERS=1", *grade])
        sequential.append(seconds)
    checks = len(data["checks"])
    med = statistics.median
    print(f"host {args.host}: {checks} checks, verdict {'/'.join(sorted(verdicts))}, "
          f"medians of {args.runs} runs")
    print(f"  python start-up (--version)      {med(startup):6.2f} s")
    print(f"  --check-only, concurrent          {med(concurrent):6.2f} s")
    print(f"  --check-only, one at a time       {med(sequential):6.2f} s  "
          f"({med(sequential) / med(concurrent):.1f}x the concurrent run)")
    print(f"  slowest single check              {med(slowest):6.2f} s")
    grading = med(concurrent) - med(startup)
    print(f"  concurrent minus start-up         {grading:6.2f} s  "
          f"({grading / med(slowest):.2f}x the slowest check; target <= 1.5x, whole run < 1 s)")
    print(f"  the grading itself (JSON duration) {med(inside):5.2f} s  "
          f"({med(inside) / med(slowest):.2f}x the slowest check: without loading the chapter "
          "and the check library)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
