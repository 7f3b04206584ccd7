"""The main command's options: `maillab-tui [options]`, typed once parsed."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from maillab_tui import __version__, config

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


@dataclass(frozen=True)
class LabOptions:
    """The main command's options, typed."""

    chapter: str | None
    host: str | None
    platform: str | None
    lang: str | None
    free: bool
    checks_dirs: tuple[str, ...]
    check_only: bool
    format: str
    output: str | None
    student: str | None
    step: str | None
    until: str | None
    since: str | None

    @classmethod
    def parse(cls, argv: Sequence[str]) -> LabOptions:
        """Parse the command line (argparse exits with status 2 on a usage error)."""
        parser = build_parser()
        args = parser.parse_args(list(argv))
        options = cls(
            chapter=args.chapter, host=args.host, platform=args.platform, lang=args.lang,
            free=args.free, checks_dirs=tuple(args.checks_dir), check_only=args.check_only,
            format=args.format, output=args.output, student=args.student, step=args.step,
            until=args.until, since=args.since)
        if not options.check_only:
            for name in ("format", "output", "step", "until", "since"):
                if (name == "format" and options.format != "text") or (
                    name != "format" and getattr(options, name)
                ):
                    parser.error(f"--{name} goes with --check-only")
            if any(a == "--student" or a.startswith("--student=") for a in argv):
                parser.error("--student goes with --check-only")
        return options


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
