"""`maillab-tui report` over a large class: 1,000 generated result files (500 students x 2 hosts).

    .venv/bin/python bench/report.py [--files 1000] [--checks 60] [--runs 5]

Writes realistic results (a tenth failing a step, 2% unreachable records) to a temporary
directory, then prints medians of several runs: the whole command for each format (text, CSV,
HTML, written to a file), reading and merging alone (in process), and Python's start-up
(`maillab-tui --version`) for reference. No target is asserted; the aim is "instant" for a class:
well under 2 s for 1,000 files.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from maillab_tui.checking.classreport import load, render_csv, render_html, select  # noqa: E402


def result(student: str, host: str, checks: int, failing_step: int | None) -> dict[str, Any]:
    """One result as `--check-only --format json` writes it, `checks` checks over 20 steps."""
    items = []
    for n in range(checks):
        step = n * 20 // checks
        bad = failing_step is not None and step == failing_step and n % 3 == 0
        items.append(
            {
                "step": f"step-{step:02d}",
                "step_title": f"ステップ {step}",
                "check_id": f"check-{n:03d}",
                "check": "postconf",
                "status": "fail" if bad else "pass",
                "message": "myhostname = localhost (mail.example1.jp のはず)" if bad else "ok",
                "evidence": ["postconf -n myhostname", "myhostname = localhost"] if bad else [],
                "diagnosis": "postconf.mismatch" if bad else None,
                "diagnosis_message": "main.cf の myhostname が違います" if bad else "",
                "hints": ["postconf myhostname で確かめましょう"] if bad else [],
                "weight": 1.0,
                "duration": 0.012,
                "attempts": 1,
                "line": 100 + n,
            }
        )
    passed = sum(c["status"] == "pass" for c in items)
    return {
        "tool": "maillab-tui",
        "version": "0.1.0",
        "chapter": {"id": "mail-server", "sha256": "c" * 64, "path": "/usr/share/mail-server"},
        "host": host,
        "platform": "almalinux9",
        "hostname": "mail.example1.jp" if host == "host1" else "mail.example2.jp",
        "language": "ja",
        "time": "2026-11-28T10:00:00+00:00",
        "duration": 0.9,
        "score": round(100.0 * passed / len(items), 1),
        "verdict": "pass" if passed == len(items) else "fail",
        "counts": {"pass": passed, "fail": len(items) - passed, "error": 0, "skip": 0},
        "checks": items,
        "student": student,
    }


def generate(directory: Path, files: int, checks: int) -> None:
    rng = random.Random(9)
    for i in range(files):
        student, host = f"学生{i // 2:04d}", f"host{i % 2 + 1}"
        path = directory / f"s{i // 2:04d}-{host}.json"
        if rng.random() < 0.02:
            data: dict[str, Any] = {"unreachable": True, "student": student, "host": host}
            data["message"] = "ssh: connect to host: No route to host"
        else:
            failing = rng.randrange(20) if rng.random() < 0.1 else None
            data = result(student, host, checks, failing)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def timed(argv: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=False, timeout=600)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=60, help="checks per result")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    med = statistics.median
    with tempfile.TemporaryDirectory(prefix="maillab-report-bench-") as tmp:
        results = Path(tmp) / "results"
        results.mkdir()
        generate(results, args.files, args.checks)
        size = sum(p.stat().st_size for p in results.iterdir()) / 1e6
        cmd = [sys.executable, "-m", "maillab_tui"]
        print(f"{args.files} result files, {args.checks} checks each, {size:.1f} MB; "
              f"medians of {args.runs} runs")  # fmt: skip
        startup = med(timed([*cmd, "--version"]) for _ in range(args.runs))
        print(f"  python start-up (--version)        {startup:6.2f} s")
        loads = []
        for _ in range(args.runs):
            started = time.monotonic()
            report = load([results])
            rows = select(report.rows, "score")
            render_html(report, rows, "ja")
            render_csv(report, rows)
            loads.append(time.monotonic() - started)
        print(f"  read+merge+render, in process      {med(loads):6.2f} s  "
              f"({len(report.rows)} rows, {len(report.unreadable)} unreadable)")  # fmt: skip
        for fmt in ("text", "csv", "html"):
            out = Path(tmp) / f"class.{fmt}"
            argv = [*cmd, "report", str(results), "--format", fmt, "-o", str(out), "--lang", "ja"]
            seconds = med(timed(argv) for _ in range(args.runs))
            print(f"  maillab-tui report --format {fmt:<5}  {seconds:6.2f} s  "
                  f"({out.stat().st_size / 1e3:.0f} kB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
