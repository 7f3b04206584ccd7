"""A seeded fuzzer of the command line: misused options, values and subcommands.

    .venv/bin/python -m tests.fuzz.cli [--cases N] [--seed S]

Each case runs `maillab-tui ARGS` in a subprocess with no terminal (so the TUI itself never
opens) and a time bound, and must end with exit code 0, 1 or 2 and no traceback. Nothing that
starts a lab is generated (`sandbox up`, `selftest` without a bad option).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD = str(ROOT / "tests" / "fixtures" / "chapters" / "good.md")
SECONDS = 60

VALUES = ["", " ", "-", "--", "x" * 5000, "\udcff", "nan", "inf", "-1", "0", "1e309",
          "/nonexistent", "/dev/null", "/", GOOD, "host1", "host9", "debian12", "windows",
          "json", "junit", "html", "[bold]x[/bold]", "{{ fqdn }}", "../../etc/passwd", "10m",
          "2026-13-45", "ja", "zz"]
CHECK_ONLY = ["--chapter", "--host", "--platform", "--format", "--output", "--lang",
              "--step", "--until", "--since", "--student", "--checks-dir"]
COMMANDS = [
    ["--check-only"], ["lint"], ["checks"], ["report"], [], ["--version"],
    ["sandbox", "--nope"], ["sandbox", "dns", "hide"], ["sandbox", "exec"],
    ["selftest", "--format", "xml"], ["selftest", "--chapter", "/nonexistent/x.md"],
    ["--lang"], ["nosuchcommand"],
]


def cases(seed: int, count: int) -> list[list[str]]:
    """`count` argument lists, the same for the same seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        argv = list(rng.choice(COMMANDS))
        if argv[:1] == ["--check-only"] or not argv:
            argv += ["--chapter", GOOD] if rng.random() < 0.5 else []
            for option in rng.sample(CHECK_ONLY, rng.randrange(0, 5)):
                argv.append(option)
                if rng.random() < 0.9:
                    argv.append(rng.choice(VALUES))
        elif argv[:1] in (["lint"], ["checks"], ["report"]):
            argv += [rng.choice(VALUES) for _ in range(rng.randrange(0, 3))]
            if rng.random() < 0.3:
                argv += [rng.choice(["--format", "--checks-dir", "-o", "--sort", "--quiet"]),
                         rng.choice(VALUES)]
        else:
            argv += [rng.choice(VALUES)] if rng.random() < 0.5 else []
        out.append(argv)
    return out


def run(argv: list[str], workdir: Path) -> tuple[str, str]:
    """(outcome, detail): ok, traceback, hang or exit-N."""
    env = {**os.environ, "XDG_STATE_HOME": str(workdir / "state"), "MAILLAB_LANG": "en"}
    env.pop("MAILLAB_CHECKS_PATH", None)
    try:
        proc = subprocess.run([sys.executable, "-m", "maillab_tui", *argv], cwd=workdir,
                              capture_output=True, text=True, timeout=SECONDS, env=env,
                              stdin=subprocess.DEVNULL, errors="replace")
    except subprocess.TimeoutExpired:
        return "hang", f"over {SECONDS} s"
    if "Traceback (most recent call last)" in proc.stderr + proc.stdout:
        return "traceback", (proc.stderr or proc.stdout)[-1500:]
    if proc.returncode not in (0, 1, 2):
        return f"exit-{proc.returncode}", proc.stderr[-500:]
    return "ok", ""


def fuzz(seed: int, count: int) -> list[tuple[list[str], str, str]]:
    with tempfile.TemporaryDirectory(prefix="maillab-clifuzz-") as tmp:
        return [(argv, *run(argv, Path(tmp))) for argv in cases(seed, count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    results = fuzz(args.seed, args.cases)
    print(f"{args.cases} command lines, seed {args.seed}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(Counter(o for _, o, _ in results).items())))
    for argv, outcome, detail in results:
        if outcome != "ok":
            shown = [a if len(a) < 40 else a[:20] + f"...({len(a)})" for a in argv]
            print(f"--- {outcome}: {shown!r}\n{detail.strip().splitlines()[-1] if detail else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
