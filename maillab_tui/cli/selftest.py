"""`maillab-tui selftest`: bring up fresh sandbox hosts and prove the chapter end to end."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from maillab_tui.chapter import ChapterError, load_chapter
from maillab_tui.selftest.engine import SelfTest, load_mistakes, write_output
from maillab_tui.selftest.steps import StepRunner


def main(argv: Sequence[str]) -> int:
    """`maillab-tui selftest [--chapter ID|PATH] [--keep] [--from STEP] [--format ...]`."""
    parser = argparse.ArgumentParser(
        prog="maillab-tui selftest",
        description="Run the whole chapter on fresh sandbox hosts as a learner would, check that "
                    "every step's checks fail before and pass after, that steps can be repeated, "
                    "and that the chapter's learner mistakes are diagnosed. Needs root.")
    parser.add_argument("--chapter", metavar="ID|PATH", default="mail-server")
    parser.add_argument("--keep", action="store_true", help="leave the hosts up afterwards")
    parser.add_argument("--from", dest="from_step", metavar="STEP",
                        help="start at this step (on hosts already walked up to it: use with a "
                             "lab kept by --keep)")
    parser.add_argument("--format", choices=("text", "json", "junit"), default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the --format report here")
    parser.add_argument("--no-mistakes", action="store_true", help="skip the learner-mistake pass")
    parser.add_argument("--platform", default="debian12", choices=("debian12",),
                        help="the sandbox hosts' platform")
    parser.add_argument("--install", choices=("file", "tree"), default=None,
                        help="how the hosts get maillab-tui: file (the one file, as students "
                             "get it; the default) or tree (the working tree, for developing)")
    args = parser.parse_args(list(argv))

    from maillab_tui.sandbox import Lab, SandboxError
    from maillab_tui.sandbox.image import ADMIN_PASSWORD, ADMIN_USER

    try:
        chapter = load_chapter(args.chapter)
        load_mistakes(chapter)
    except ChapterError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    if args.from_step and args.from_step not in [s.id for s in chapter.steps]:
        print(f"maillab-tui selftest: no step '{args.from_step}' in {chapter.path}",
              file=sys.stderr)
        return 2
    chapter_ref = args.chapter
    if Path(args.chapter).exists():
        print("maillab-tui selftest: a chapter outside the working tree is not visible inside the "
              "hosts yet; put it under chapters/ and name it by id", file=sys.stderr)
        return 2
    # With --format json|junit and no --output, stdout carries the report alone (`| jq`, as with
    # --check-only); progress goes to stderr then.
    progress = sys.stderr if args.format != "text" and not args.output else sys.stdout
    try:
        lab = Lab(install=args.install)
    except SandboxError as exc:
        print(f"maillab-tui selftest: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        lab.up(fresh=not args.from_step)
    except SandboxError as exc:
        print(f"maillab-tui selftest: {exc}", file=sys.stderr)
        return 2
    print(f"lab up in {time.monotonic() - started:.1f}s", file=progress, flush=True)
    try:
        driver = StepRunner(lab, chapter, args.platform, ADMIN_USER, ADMIN_PASSWORD)
        test = SelfTest(lab, chapter, driver, args.platform, chapter_ref, args.from_step,
                        progress=lambda line: print(line, file=progress, flush=True))
        report = test.run(mistakes=not args.no_mistakes)
    finally:
        if not args.keep:
            lab.down()
    text = write_output(report, args.format, Path(args.output) if args.output else None)
    if args.format == "text" or args.output:
        print(write_output(report, "text", None), end="")
    else:
        print(text, end="")
    print(f"selftest took {report.duration:.1f}s", file=progress, flush=True)
    return 0 if report.ok else 1
