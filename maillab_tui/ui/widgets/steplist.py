"""The list of the host's steps, each with its state by symbol and word (never colour alone)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from maillab_tui.chapter import Step
from maillab_tui.lab.progress import Progress, StepState
from maillab_tui.ui.strings import STATE_ICONS, tr


def step_prompt(number: int, step: Step, progress: Progress, language: str) -> Text:
    """`✔完了 3. main.cf の設定`."""
    state = progress.state(step.id)
    word = tr(f"state.{state}", language)
    text = Text()
    text.append(f"{STATE_ICONS[state]}{word} ",
                style="bold" if state != StepState.NOT_STARTED else "dim")
    text.append(f"{number}. {step.title}")
    return text


class StepList(OptionList):
    """The steps; Enter or a click on one goes there (the app decides whether it may)."""

    def show(self, steps: Sequence[Step], progress: Progress, language: str, index: int) -> None:
        """All steps with their states, the current one highlighted."""
        self.clear_options()
        self.add_options([Option(step_prompt(i + 1, s, progress, language), id=s.id)
                          for i, s in enumerate(steps)])
        self.highlighted = index

    def refresh_states(self, steps: Sequence[Step], progress: Progress, language: str,
                       index: int) -> None:
        """Update the prompts after a state change."""
        for i, step in enumerate(steps):
            self.replace_option_prompt_at_index(i, step_prompt(i + 1, step, progress, language))
        self.highlighted = index
