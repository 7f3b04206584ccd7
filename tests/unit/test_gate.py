"""The gate: hard, soft and none, free mode, and steps already finished."""

from __future__ import annotations

from maillab_tui.chapter.model import Step
from maillab_tui.checking.api import Status
from maillab_tui.checking.grading import Outcome
from maillab_tui.lab.gate import decide, passed
from maillab_tui.lab.progress import StepState


def outcome(status: Status) -> Outcome:
    return Outcome("s", "S", "c1", "shell", status, "m")


HARD = Step("s", "S", 1, "", gate="hard")
SOFT = Step("s", "S", 1, "", gate="soft")
NONE = Step("s", "S", 1, "", gate="none")


def test_passed() -> None:
    assert not passed([])
    assert passed([outcome(Status.PASS), outcome(Status.SKIP)])
    assert not passed([outcome(Status.PASS), outcome(Status.ERROR)])


def test_hard_gate_waits_for_passing_checks() -> None:
    blocked = decide(HARD, has_checks=True, state=StepState.NOT_STARTED)
    assert not blocked.allowed and blocked.reason is not None and "c" in blocked.reason.en
    assert not decide(HARD, has_checks=True, state=StepState.FAILED,
                      outcomes=[outcome(Status.FAIL)]).allowed
    assert decide(HARD, has_checks=True, state=StepState.FAILED,
                  outcomes=[outcome(Status.PASS)]).allowed
    assert decide(HARD, has_checks=True, state=StepState.DONE).allowed
    assert decide(HARD, has_checks=True, state=StepState.SKIPPED).allowed
    assert decide(HARD, has_checks=False, state=StepState.NOT_STARTED).allowed


def test_soft_gate_warns_and_none_says_nothing() -> None:
    soft = decide(SOFT, has_checks=True, state=StepState.NOT_STARTED)
    assert soft.allowed and soft.warning is not None
    none = decide(NONE, has_checks=True, state=StepState.NOT_STARTED)
    assert none.allowed and none.warning is None


def test_free_mode_moves_anywhere() -> None:
    free = decide(HARD, has_checks=True, state=StepState.FAILED, free=True)
    assert free.allowed and free.warning is not None
