"""The chapter fuzzer in the suite: a few hundred seeded mutants of the bundled chapter, each
linted and parsed in a child bounded in time and memory (tests/fuzz/chapters.py). None may
raise, hang, exhaust memory, or lose a step or a check without lint saying so."""

from __future__ import annotations

from collections import Counter

from tests.fuzz.chapters import MUTATIONS, fuzz

SEED, CASES = 16, 260


def test_no_mutant_crashes_hangs_or_loses_a_step_silently() -> None:
    results = fuzz(SEED, CASES)
    assert len(results) == CASES and {name for name, _, _ in results} == set(MUTATIONS)
    outcomes = Counter(outcome for _, outcome, _ in results)
    bad = [(name, outcome, detail.strip().splitlines()[-1] if detail.strip() else "")
           for name, outcome, detail in results if outcome != "ok"]
    assert bad == [], f"{dict(outcomes)}\n" + "\n".join(map(str, bad[:20]))


def test_no_misused_command_line_crashes_or_hangs() -> None:
    from tests.fuzz.cli import fuzz as fuzz_cli

    results = fuzz_cli(3, 150)
    bad = [(argv[:4], outcome, detail.strip().splitlines()[-1] if detail.strip() else "")
           for argv, outcome, detail in results if outcome != "ok"]
    assert bad == [], "\n".join(map(str, bad[:20]))
