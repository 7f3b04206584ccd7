"""Whether the learner may go on to the next step: the gate policy applied to check outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from maillab_tui.chapter.model import Step
from maillab_tui.checking.api import Status
from maillab_tui.checking.grading import Outcome
from maillab_tui.lab.progress import StepState
from maillab_tui.text import Localized, t


@dataclass(frozen=True)
class GateDecision:
    """May the learner move on, and what to tell them (a reason when not, a warning when soft)."""

    allowed: bool
    reason: Localized | None = None
    warning: Localized | None = None


def passed(outcomes: Sequence[Outcome]) -> bool:
    """True when every outcome passed or does not apply (and there is at least one)."""
    return bool(outcomes) and all(o.status in (Status.PASS, Status.SKIP) for o in outcomes)


def decide(step: Step, *, has_checks: bool, state: StepState,
           outcomes: Sequence[Outcome] = (), free: bool = False) -> GateDecision:
    """Apply the step's gate (hard, soft, none) to what is known about it."""
    if free:
        return GateDecision(True, warning=None if passed(outcomes) or not has_checks else t(
            "講師モード: チェックに合格していなくても移動できます。",
            "instructor mode: moving on without passing the checks."))
    if step.gate == "none" or not has_checks:
        return GateDecision(True)
    if state in (StepState.DONE, StepState.SKIPPED) or passed(outcomes):
        return GateDecision(True)
    if step.gate == "soft":
        return GateDecision(True, warning=t(
            "このステップのチェックにはまだ合格していませんが、先に進めます。",
            "this step's checks have not passed yet, but you may go on."))
    return GateDecision(False, reason=t(
        "このステップのチェックに合格すると次へ進めます。"
        "コマンドを実行してから c（チェック）を押してください。",
        "you can go on once this step's checks pass: run the commands, then press c (Check)."))
