"""A seeded fuzzer of chapters: mutants of the bundled chapter, each linted and parsed in a
child process with a time and memory bound.

    .venv/bin/python -m tests.fuzz.chapters [--cases N] [--seed S] [--show KIND]

prints how many mutants of each class ended how: `ok`, `traceback` (lint or the parser raised
something other than a ChapterError), `hang` (over the time bound), `memory` (over the memory
bound), `silent-loss` (the parsed chapter has fewer steps or checks than the original and lint
reported nothing, neither error nor warning). tests/fuzz/test_fuzz.py runs a few hundred
and wants only `ok`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "chapters" / "mail-server" / "ja.md"
SECONDS = 10
MEMORY = 1 << 30  # 1 GiB of address space beyond what the parent has mapped

Mutation = Callable[[random.Random, list[str]], list[str]]


def _at(rng: random.Random, lines: list[str]) -> int:
    return rng.randrange(len(lines)) if lines else 0


def truncate(rng: random.Random, lines: list[str]) -> list[str]:
    text = "".join(lines)
    return [text[: rng.randrange(len(text))]]


def delete_line(rng: random.Random, lines: list[str]) -> list[str]:
    i = _at(rng, lines)
    return lines[:i] + lines[i + 1:]


def duplicate_line(rng: random.Random, lines: list[str]) -> list[str]:
    i = _at(rng, lines)
    return lines[: i + 1] + lines[i:]


def bad_bytes(rng: random.Random, lines: list[str]) -> list[str]:
    i = _at(rng, lines)
    return [*lines[:i], rng.choice(["\udcff\udcfe", "\x00", "\udcc3(", "\x1b[2J"]) + lines[i],
            *lines[i + 1:]]


def bom(rng: random.Random, lines: list[str]) -> list[str]:
    return ["\ufeff" + lines[0], *lines[1:]]


def crlf(rng: random.Random, lines: list[str]) -> list[str]:
    return [line.replace("\n", "\r\n") for line in lines]


def huge_line(rng: random.Random, lines: list[str]) -> list[str]:
    i = _at(rng, lines)
    filler = rng.choice(["x" * 200_000, " " * 100_000 + "b {#x}",
                         "## a" + " " * 100_000 + "b {#x}", "## a" + " " * 100_000 + "b {#x"])
    return [*lines[:i], filler + "\n", *lines[i:]]


def deep_list(rng: random.Random, lines: list[str]) -> list[str]:
    i = _at(rng, lines)
    depth = rng.randrange(8, 40)
    nested = "".join("  " * d + "- item\n" for d in range(depth))
    if rng.random() < 0.5:
        nested = "1. " * rng.randrange(10, 60) + "x\n"
    return [*lines[:i], "\n", nested, "\n", *lines[i:]]


def fence(rng: random.Random, lines: list[str]) -> list[str]:
    fences = [i for i, line in enumerate(lines) if line.startswith("```")]
    i = rng.choice(fences)
    if rng.random() < 0.5:
        return lines[:i] + lines[i + 1:]                    # a lost opener or closer
    return [*lines[:i], "```\n", *lines[i:]]               # a stray one


def odd_value(rng: random.Random, lines: list[str]) -> list[str]:
    checks = [i for i, line in enumerate(lines) if line.startswith("- ")]
    i = rng.choice(checks)
    key = rng.choice(["timeout", "weight", "retries", "interval", "port", "since"])
    value = rng.choice([".nan", ".inf", "-.inf", "1e9", "-5", "[x]", "{a: 1}", "9" * 5000,
                        "[" * 2000 + "]" * 2000, "~", "''", "true"])
    return [*lines[: i + 1], f"  {key}: {value}\n", *lines[i + 1:]]


def front_matter(rng: random.Random, lines: list[str]) -> list[str]:
    end = next(i for i, line in enumerate(lines[1:], 1) if line.startswith("---"))
    choice = rng.choice([
        "network: [x]\n", "hosts: 5\n", "vars: 7\n", "platforms: nope\n",
        "translates: ja.md\n", "id: [1]\n", "learner: {a: b}\n", f"x: {'9' * 5000}\n",
        "y: " + "[" * 3000 + "]" * 3000 + "\n",
        "a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e]\n",
    ])
    return [*lines[:end], choice, *lines[end:]]


def info_string(rng: random.Random, lines: list[str]) -> list[str]:
    out = list(lines)
    i = rng.choice([i for i, line in enumerate(lines) if "{check}" in line])
    out[i] = out[i].replace("{check}", rng.choice(["{chek}", "{checks}", "{ check }", "check"]))
    return out


def lost_check_line(rng: random.Random, lines: list[str]) -> list[str]:
    checks = [i for i, line in enumerate(lines) if line.startswith("- ")]
    i = rng.choice(checks)
    out = list(lines)
    out[i] = "  " + out[i][2:]                              # `- check:` lost its dash
    return out


MUTATIONS: dict[str, Mutation] = {m.__name__.replace("_", "-"): m for m in (
    truncate, delete_line, duplicate_line, bad_bytes, bom, crlf, huge_line, deep_list, fence,
    odd_value, front_matter, info_string, lost_check_line)}


def mutants(seed: int, cases: int) -> Iterator[tuple[str, str]]:
    """`cases` (mutation class, chapter text) pairs, the same for the same seed."""
    rng = random.Random(seed)
    lines = SOURCE.read_text(encoding="utf-8").splitlines(keepends=True)
    names = sorted(MUTATIONS)
    for n in range(cases):
        name = names[n % len(names)]
        yield name, "".join(MUTATIONS[name](rng, list(lines)))


def counts(path: Path = SOURCE) -> tuple[int, int]:
    """(steps, checks) of a chapter file as parsed."""
    from maillab_tui.chapter.parser import parse_chapter

    chapter = parse_chapter(path)
    return len(chapter.steps), sum(len(s.checks) for s in chapter.steps)


def _child(path: Path, out: int) -> None:
    """In the forked child: lint and parse `path`, write the outcome as JSON to `out`."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY + _mapped(), resource.RLIM_INFINITY))
    signal.alarm(SECONDS)
    outcome: dict[str, object]
    try:
        from maillab_tui.chapter.lint import lint
        from maillab_tui.chapter.parser import ChapterError

        problems = lint([str(path)])
        errors = [p for p in problems if p.severity == "error"]
        try:
            steps, checks = counts(path)
        except ChapterError:
            steps, checks = -1, -1
        outcome = {"errors": len(errors), "warnings": len(problems) - len(errors),
                   "steps": steps, "checks": checks}
    except MemoryError:
        outcome = {"memory": True}
    except BaseException:
        outcome = {"traceback": traceback.format_exc()[-3000:]}
    os.write(out, json.dumps(outcome).encode())
    os._exit(0)


def _mapped() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def run_case(text: str, workdir: Path, original: tuple[int, int]) -> tuple[str, str]:
    """(outcome, detail) of one mutant: ok, traceback, hang, memory or silent-loss."""
    path = workdir / "chapter.md"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _child(path, write)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return ("hang", f"over {SECONDS} s") if sig == signal.SIGALRM else ("memory",
                                                                         f"signal {sig}")
    data = json.loads(b"".join(chunks) or b"{}")
    if "traceback" in data:
        return "traceback", str(data["traceback"])
    if data.get("memory") or not data:
        return "memory", "MemoryError"
    lost = 0 <= int(data["steps"]) < original[0] or 0 <= int(data["checks"]) < original[1]
    if lost and not data["errors"] and not data["warnings"]:
        return "silent-loss", f"{data['steps']} steps, {data['checks']} checks, no problem"
    return "ok", ""


def fuzz(seed: int, cases: int) -> list[tuple[str, str, str]]:
    """(class, outcome, detail) of every mutant."""
    original = counts()
    out = []
    with tempfile.TemporaryDirectory(prefix="maillab-fuzz-") as tmp:
        for name, text in mutants(seed, cases):
            outcome, detail = run_case(text, Path(tmp), original)
            out.append((name, outcome, detail))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=260)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--show", help="print the details of this outcome (e.g. traceback)")
    args = parser.parse_args()
    results = fuzz(args.seed, args.cases)
    table = Counter((name, outcome) for name, outcome, _ in results)
    outcomes = sorted({o for _, o, _ in results})
    print(f"{args.cases} mutants of {SOURCE.relative_to(ROOT)}, seed {args.seed}")
    print(f"{'class':<16}" + "".join(f"{o:>13}" for o in outcomes))
    for name in sorted(MUTATIONS):
        print(f"{name:<16}" + "".join(f"{table[name, o]:>13}" for o in outcomes))
    total = Counter(o for _, o, _ in results)
    print(f"{'all':<16}" + "".join(f"{total[o]:>13}" for o in outcomes))
    if args.show:
        for name, outcome, detail in results:
            if outcome == args.show:
                print(f"--- {name}: {detail.strip().splitlines()[-1] if detail else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
