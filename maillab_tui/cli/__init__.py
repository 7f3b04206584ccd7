"""The `maillab-tui` command: the TUI by default, `--check-only`, `lint`, `sandbox`.

Nothing here imports Textual at module level: `--check-only`, `lint` and `sandbox` must start
fast and work on machines where the UI cannot run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from maillab_tui import __version__, config
from maillab_tui.text import default_language

if TYPE_CHECKING:
    from maillab_tui.chapter import Chapter

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SUBCOMMANDS = ("lint", "checks", "sandbox", "selftest", "report")

DESCRIPTION = """\
A guided lab for building a mail server (Postfix, Dovecot) step by step.
Run without arguments to open the lab; --check-only grades this machine.

subcommands:
  lint [PATH ...]     check chapters for mistakes (default: the bundled chapters)
  checks [NAME ...]   list the checks a chapter can use, with their parameters
  sandbox ...         two lab hosts on this machine (see: maillab-tui sandbox --help)
  selftest            run the whole chapter on fresh sandbox hosts and prove every check
  report RESULTS ...  merge --check-only JSON results of a class into one report
                      (see: maillab-tui report --help)
"""


def build_parser() -> argparse.ArgumentParser:
    """The options of the main command."""
    parser = argparse.ArgumentParser(
        prog="maillab-tui",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"maillab-tui {__version__}")
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="grade this machine against the chapter's checks, without the UI",
    )
    parser.add_argument(
        "--chapter",
        metavar="ID|PATH",
        default=config.cli_default("chapter"),
        help="chapter id or markdown file/directory (default: mail-server)",
    )
    parser.add_argument(
        "--host",
        metavar="ROLE",
        default=config.cli_default("host"),
        help="this machine's role, e.g. host1 or host2 (default: detected)",
    )
    parser.add_argument(
        "--platform",
        choices=("almalinux9", "debian12"),
        help="default: detected from /etc/os-release",
    )
    parser.add_argument(
        "--lang",
        choices=("ja", "en"),
        default=None,
        help="language of the chapter and messages (default: from the locale)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="--check-only output format (default: text)",
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write --check-only results to FILE")
    parser.add_argument(
        "--student",
        metavar="NAME",
        default=config.cli_default("student"),
        help="--check-only: the student this machine belongs to, recorded in the results "
        "(also MAILLAB_STUDENT)",
    )
    parser.add_argument("--step", metavar="ID", help="--check-only: grade only this step")
    parser.add_argument(
        "--until", metavar="ID", help="--check-only: grade the steps up to this one"
    )
    parser.add_argument(
        "--since",
        metavar="TIME",
        help="--check-only: log checks look at lines from TIME on (epoch seconds, "
        "an ISO time, or a duration ago like 10m)",
    )
    parser.add_argument(
        "--checks-dir",
        metavar="DIR",
        action="append",
        default=[],
        help="an extra directory of check modules (repeatable; also MAILLAB_CHECKS_PATH)",
    )
    parser.add_argument(
        "--free",
        action="store_true",
        help="instructor mode: move to any step without passing the checks",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "lint":
        return lint_main(args_list[1:])
    if args_list and args_list[0] == "checks":
        from maillab_tui.checking.catalog import main as checks_main

        return checks_main(args_list[1:])
    if args_list and args_list[0] == "selftest":
        from maillab_tui.cli.selftest import main as selftest_main

        return selftest_main(args_list[1:])
    if args_list and args_list[0] == "report":
        from maillab_tui.checking.classreport import main as report_main

        return report_main(args_list[1:])
    if args_list and args_list[0] == "sandbox":
        from maillab_tui.sandbox.cli import main as sandbox_main

        return sandbox_main(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.check_only:
        return check_only(args)
    for name in ("format", "output", "step", "until", "since"):
        if (name == "format" and args.format != "text") or (
            name != "format" and getattr(args, name)
        ):
            parser.error(f"--{name} goes with --check-only")
    if any(a == "--student" or a.startswith("--student=") for a in args_list):
        parser.error("--student goes with --check-only")
    from maillab_tui.ui.launch import run_tui

    return run_tui(args)


def lint_main(argv: Sequence[str]) -> int:
    """`maillab-tui lint [PATH ...]`: print problems, exit 1 when any is an error."""
    from maillab_tui.chapter.lint import lint

    parser = argparse.ArgumentParser(
        prog="maillab-tui lint", description="Check chapters for mistakes."
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="chapter files or directories (default: the bundled chapters)",
    )
    parser.add_argument("--checks-dir", metavar="DIR", action="append", default=[])
    parser.add_argument("--quiet", "-q", action="store_true", help="only errors, no warnings")
    args = parser.parse_args(list(argv))
    problems = lint(args.paths, args.checks_dir)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if args.quiet and problem.severity != "error":
            continue
        print(problem)
    warnings = len(problems) - len(errors)
    sys.stdout.flush()
    print(f"{len(errors)} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_FAILED if errors else EXIT_OK


def resolve_target(
    args: argparse.Namespace, chapter_hosts: dict[str, dict[str, str]]
) -> tuple[str | None, str | None, str]:
    """The host role and platform to use, and an explanation when one cannot be decided."""
    from maillab_tui import platform as plat

    platform = args.platform or plat.detect_platform()
    host = args.host or plat.detect_host(chapter_hosts)
    if host is None:
        roles = ", ".join(chapter_hosts)
        example = next(iter(chapter_hosts), "host1")
        return (
            None,
            platform,
            (
                "cannot tell which lab machine this is (its host name and addresses match none "
                f"of: {roles}); choose one with --host ROLE, e.g. --host {example}"
            ),
        )
    if host not in chapter_hosts:
        return (
            None,
            platform,
            f"unknown host role '{host}' (the chapter has: {', '.join(chapter_hosts)})",
        )
    if platform is None:
        return (
            host,
            None,
            (
                "cannot tell the platform from /etc/os-release; "
                "choose one with --platform almalinux9|debian12"
            ),
        )
    return host, platform, ""


def parse_since(text: str) -> float | None:
    """Epoch seconds from epoch seconds, an ISO time, or a duration ago (`10m`)."""
    import datetime as dt
    import time

    from maillab_tui.checking.probes import parse_duration

    try:
        return float(text)
    except ValueError:
        pass
    ago = parse_duration(text)
    if ago is not None:
        return time.time() - ago
    try:
        return dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


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


def check_only(args: argparse.Namespace) -> int:
    """`--check-only`: grade this machine; print a table, JSON or JUnit; exit 0/1/2."""
    from rich.console import Console

    from maillab_tui.chapter.lint import check_references
    from maillab_tui.checking.api import load_library
    from maillab_tui.checking.grading import grade, make_context, select_steps
    from maillab_tui.checking.render import render_table, to_json, to_junit

    language = args.lang or default_language()
    err = Console(stderr=True)
    chapter = load_or_report(args.chapter, language)
    if chapter is None:
        return EXIT_USAGE
    library = load_library(args.checks_dir)
    problems = [p for p in check_references(chapter, library) if p.severity == "error"]
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    host, platform, why = resolve_target(args, {k: dict(v.vars) for k, v in chapter.hosts.items()})
    if host is None or platform is None:
        print(f"maillab-tui: {why}", file=sys.stderr)
        return EXIT_USAGE
    try:
        steps = select_steps(chapter, host, args.step, args.until)
    except KeyError as exc:
        print(f"maillab-tui: no step with id {exc} in {chapter.path}", file=sys.stderr)
        return EXIT_USAGE
    since = None
    if args.since:
        since = parse_since(args.since)
        if since is None:
            print(
                f"maillab-tui: --since {args.since}: not a time (epoch seconds, ISO time, "
                "or a duration like 10m)",
                file=sys.stderr,
            )
            return EXIT_USAGE
    ctx = make_context(chapter, host, platform, language, since=since)
    report = grade(chapter, library, ctx, steps)
    report.student = args.student.strip() if args.student and args.student.strip() else None
    if args.format == "json":
        text = to_json(report)
    elif args.format == "junit":
        text = to_junit(report)
    else:
        text = ""
    if args.output:
        try:
            if args.format == "text":
                with open(args.output, "w", encoding="utf-8") as handle:
                    render_table(report, Console(file=handle, width=120), language)
            else:
                Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            err.print(f"maillab-tui: cannot write {args.output}: {exc}")
            return EXIT_USAGE
    elif text:
        sys.stdout.write(text)
    else:
        render_table(report, Console(), language)
    return EXIT_OK if report.passed else EXIT_FAILED
