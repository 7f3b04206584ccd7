"""The one file against the installed package: size on disk and start-up time.

Run from the repository: `.venv/bin/python bench/onefile.py [--runs N] [--file PATH]`. Without
--file it builds dist/maillab-tui first (scripts/build-pyz.py). Prints:

- the file's size, what it unpacks to in ~/.shiv/, and the installed package with its
  dependencies in this venv (the same distributions, as pip installed them);
- `maillab-tui --version` and `maillab-tui --check-only` of a small chapter: the installed
  package, the file's first run (unpacking into an empty SHIV_ROOT) and its later runs; the
  file is started with this Python directly, so that the shell preamble's search for a
  python3.N (a few ms on a plain machine, more behind pyenv's shims) is not counted;
- the first TUI screen from the file and from the package (bench/tui_startup.py's way).

Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tui_startup import CHAPTER, one_run  # noqa: E402
from maillab_tui.sandbox.onefile import build  # noqa: E402

GOOD = ROOT / "tests" / "fixtures" / "chapters" / "good.md"
DISTRIBUTIONS = ("maillab-tui", "textual", "rich", "sh", "pexpect", "ptyprocess", "markdown-it-py",
                 "mdit-py-plugins", "mdurl", "PyYAML", "pygments", "platformdirs",
                 "typing_extensions", "linkify-it-py", "uc-micro-py")


def installed_size() -> tuple[int, int]:
    """Bytes and files of maillab-tui and its dependencies as installed in this venv."""
    total = count = 0
    for name in DISTRIBUTIONS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for f in dist.files or []:
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                total += path.stat().st_size
                count += 1
    return total, count


def tree_size(top: Path) -> tuple[int, int]:
    files = [p for p in top.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    return elapsed


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:6.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--file", type=Path, help="a built file (default: build dist/maillab-tui)")
    args = parser.parse_args()
    onefile = args.file or build(ROOT / "dist" / "maillab-tui")
    python = sys.executable
    check = ["--check-only", "--chapter", str(GOOD), "--host", "host2", "--platform",
             "debian12", "--format", "json"]
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}   # as on a student VM
        env = {**base, "SHIV_ROOT": f"{tmp}/shiv", "XDG_STATE_HOME": f"{tmp}/state"}
        package = [python, "-m", "maillab_tui"]
        ways = (("installed package", package), ("the one file", [python, str(onefile)]))
        first_runs = []
        for n in range(args.runs):
            first_runs.append(timed([python, str(onefile), "--version"],
                                    {**env, "SHIV_ROOT": f"{tmp}/first{n}"}))
        rows: dict[str, dict[str, list[float]]] = {}
        for label, argv in ways:
            timed([*argv, "--version"], env)  # warm: bytecode, and the file's unpacking
            rows[label] = {"version": [timed([*argv, "--version"], env) for _ in range(args.runs)],
                           "check": [timed([*argv, *check], env) for _ in range(args.runs)]}
        tui_env = {**env, "TERM": "xterm-256color", "LANG": "C.UTF-8", "MAILLAB_LANG": "en"}
        tui_args = ["--chapter", str(CHAPTER), "--host", "host1", "--platform", "debian12",
                    "--lang", "en"]
        tui = {label: [one_run([*argv, *tui_args], tui_env) for _ in range(args.runs)]
               for label, argv in ways}
        unpacked = tree_size(Path(tmp) / "shiv")
    size, files = installed_size()
    print(f"the one file {onefile}: {onefile.stat().st_size / 1e6:.1f} MB; unpacked in "
          f"~/.shiv: {unpacked[0] / 1e6:.1f} MB in {unpacked[1]} files")
    print(f"installed package and dependencies in this venv: {size / 1e6:.1f} MB in {files} files")
    print(f"medians of {args.runs} runs:")
    print(f"  the one file, first run (unpacks)  --version       {ms(first_runs)}")
    for label, row in rows.items():
        print(f"  {label:<33}  --version       {ms(row['version'])}")
        print(f"  {label:<33}  --check-only    {ms(row['check'])}")
    for label, values in tui.items():
        print(f"  {label:<33}  first TUI step  {ms(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
