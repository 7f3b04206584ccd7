"""The current step: its text as markdown, each command as a card with Run and Copy, its checks.

One step is rendered at a time (a whole chapter of markdown takes too long to mount).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Markdown, Static

from maillab_tui.chapter.model import CheckSpec, CommandBlock, Step
from maillab_tui.chapter.variables import PLACEHOLDER, UndefinedVariable, expand_shell, mask
from maillab_tui.checking.api import Status
from maillab_tui.checking.grading import Outcome
from maillab_tui.lab.progress import StepState
from maillab_tui.lab.session import LabSession
from maillab_tui.ui.strings import state_label, tr

_FENCE_INFO = re.compile(r"^(\s*(?:```+|~~~+)\s*[\w+-]*)\s*\{[^}\n]*\}\s*$", re.MULTILINE)


def fill(template: str, values: Mapping[str, str]) -> str:
    """Fill in the variables that have a value; leave the others (not captured yet) as they are."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def clean_fences(markdown: str) -> str:
    """Drop `{attributes}` from fence lines so that shown blocks highlight as their language."""
    return _FENCE_INFO.sub(r"\1", markdown)


def shown_text(template: str, values: Mapping[str, str], secrets: Sequence[str],
               reveal: bool = False) -> str:
    """Prose with this host's values, secrets masked unless revealed."""
    text = fill(template, values)
    return text if reveal else mask(text, list(secrets))


def shown_command(block: CommandBlock, values: Mapping[str, str], secrets: Sequence[str],
                  reveal: bool = False) -> str:
    """The exact command that will run on this host (quoted as the runner quotes it), masked."""
    try:
        text = expand_shell(block.code, values)
    except UndefinedVariable:
        text = fill(block.code, values)
    return text if reveal else mask(text, list(secrets))


def readable_pattern(pattern: str) -> str:
    """What a dialogue's `expect:` regex looks like on screen: the first alternative, unescaped.

    `(New|新しい) ?(password|パスワード):|新しいパスワード:` reads `New password:`.
    """
    depth = 0
    for index, char in enumerate(pattern):
        if char == "\\":
            continue
        if char == "(" and (index == 0 or pattern[index - 1] != "\\"):
            depth += 1
        elif char == ")" and (index == 0 or pattern[index - 1] != "\\"):
            depth -= 1
        elif char == "|" and depth == 0 and (index == 0 or pattern[index - 1] != "\\"):
            pattern = pattern[:index]
            break
    text = re.sub(r"(?<!\\)\(([^()|]*)(?:\|[^()]*)?\)", r"\1", pattern)
    text = text.replace(" ?", " ").replace("^", "").replace("$", "")
    return re.sub(r"\\(.)", r"\1", text)


@dataclass(frozen=True)
class RunRequest:
    """Which card, and whether the learner drives it."""

    index: int
    interactive: bool


class CommandCard(Vertical):
    """One command block: what will run, how, Run and Copy, and how it went."""

    DEFAULT_CSS = """
    CommandCard {
        height: auto;
        border: round $secondary 70%;
        padding: 0 1;
        margin: 0 0 1 0;
        &:focus-within { border: round $accent; }
        .cmd-text { color: $text; text-style: bold; }
        .cmd-note { color: $text-muted; }
        .cmd-script { color: $text-muted; }
        .cmd-bar { height: 1; }
        .cmd-bar Button { margin-right: 1; min-width: 6; }
        .cmd-status { width: 1fr; text-align: right; color: $text-muted; }
        .cmd-status.ok { color: $success; }
        .cmd-status.bad { color: $error; text-style: bold; }
        .cmd-status.running { color: $warning; text-style: bold; }
    }
    """

    class RunPressed(Message):
        """The learner asked to run this card's command."""

        def __init__(self, index: int, interactive: bool) -> None:
            super().__init__()
            self.index = index
            self.interactive = interactive

    class CopyPressed(Message):
        """The learner asked to copy this card's command."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, index: int, block: CommandBlock, command: str, language: str,
                 script: Sequence[str] = (), status: str = "idle", user: str = "") -> None:
        super().__init__(id=f"card-{index}")
        self.user = user or block.user or ""
        self.index = index
        self.block = block
        self.command = command
        self.language = language
        self.script = list(script)
        self.status_key = status

    def compose(self) -> ComposeResult:
        """Command text, notes, buttons and status."""
        lang = self.language
        block = self.block
        prefix = "$ "
        shown = "\n".join(prefix + line if i == 0 or not line.startswith(" ") else "  " + line
                          for i, line in enumerate(self.command.splitlines() or [""]))
        yield Static(Text(shown), classes="cmd-text")
        notes = []
        if block.kind in ("dialogue", "edit", "terminal", "follow", "password"):
            notes.append(tr(f"cmd.kind.{block.kind}", lang))
        if block.user:
            notes.append(tr("cmd.as", lang, user=self.user))
        if notes:
            yield Static(Text(" · ".join(notes)), classes="cmd-note")
        if self.script:
            yield Static(Text("\n".join([tr("interactive.script", lang), *self.script])),
                         classes="cmd-script")
        with Horizontal(classes="cmd-bar"):
            if block.kind == "dialogue":
                yield Button(tr("cmd.autopilot", lang), id=f"run-{self.index}", compact=True,
                             variant="primary")
                yield Button(tr("cmd.interactive", lang), id=f"drive-{self.index}", compact=True)
            else:
                label = {"edit": "cmd.edit", "terminal": "cmd.terminal"}.get(block.kind, "cmd.run")
                yield Button(tr(label, lang), id=f"run-{self.index}", compact=True,
                             variant="primary")
            yield Button(tr("cmd.copy", lang), id=f"copy-{self.index}", compact=True)
            yield Static(tr(f"cmd.status.{self.status_key}", lang), classes="cmd-status",
                         id=f"status-{self.index}")

    def set_status(self, key: str, detail: str = "") -> None:
        """Show how the run is going: idle, running, ok, failed, skipped, cancelled ..."""
        self.status_key = key
        status = self.query_one(".cmd-status", Static)
        text = tr(f"cmd.status.{key}", self.language)
        status.update(f"{text} {detail}".strip())
        status.set_class(key == "ok" or key == "skipped", "ok")
        status.set_class(key in ("failed", "error", "timeout"), "bad")
        status.set_class(key == "running", "running")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons become requests to the app."""
        event.stop()
        button_id = event.button.id or ""
        if button_id.startswith("copy-"):
            self.post_message(self.CopyPressed(self.index))
        else:
            self.post_message(self.RunPressed(self.index, button_id.startswith("drive-")))


def check_label(spec: CheckSpec, values: Mapping[str, str], secrets: Sequence[str]) -> str:
    """A short name for a check: its description, else its name and main parameters."""
    if spec.description:
        return mask(fill(spec.description, values), list(secrets))
    params = " ".join(f"{k}={fill(str(v), values)}" for k, v in spec.params.items()
                      if k not in ("password",))
    text = f"{spec.name} {params}".strip()
    if len(text) > 70:
        text = text[:69] + "…"
    return mask(text, list(secrets))


STATUS_KEYS = {Status.PASS: "check.pass", Status.FAIL: "check.fail", Status.ERROR: "check.error",
               Status.SKIP: "check.skip"}


class CheckRow(Static):
    """One check: its name and, once run, status, message, evidence, cause and hints."""

    DEFAULT_CSS = """
    CheckRow { height: auto; margin-bottom: 0; }
    CheckRow.pass { color: $success; }
    CheckRow.fail, CheckRow.error { color: $error; }
    CheckRow.running { color: $warning; }
    """

    def __init__(self, index: int, label: str, language: str) -> None:
        super().__init__(id=f"check-{index}")
        self.index = index
        self.label = label
        self.language = language
        self.outcome: Outcome | None = None
        self.show_idle()

    def show_idle(self) -> None:
        """Not run yet."""
        self.outcome = None
        self.update(Text(f"・ {self.label}"))
        self.set_classes("")

    def show_running(self, waited: int = 0, total: int = 0) -> None:
        """Running, or waiting for readiness (`待機中 3/10 秒`)."""
        lang = self.language
        state = (tr("check.waiting", lang, now=waited, total=total) if total
                 else tr("check.running", lang))
        self.update(Text(f"⏳ {state}  {self.label}"))
        self.set_classes("running")

    def show_outcome(self, outcome: Outcome) -> None:
        """The result, with what to do when it did not pass."""
        self.outcome = outcome
        lang = self.language
        text = Text()
        text.append(f"{tr(STATUS_KEYS[outcome.status], lang)}  ", style="bold")
        text.append(self.label)
        if outcome.message:
            text.append(f"\n   {outcome.message}", style="not bold")
        if outcome.status in (Status.FAIL, Status.ERROR):
            for line in outcome.evidence[:5]:
                text.append(f"\n   {tr('check.evidence', lang)}: {line}", style="dim")
            if outcome.diagnosis_message:
                text.append(f"\n   {tr('check.cause', lang)}: {outcome.diagnosis_message}",
                            style="bold")
            for hint in outcome.hints:
                text.append(f"\n   {tr('check.hint', lang)}: {hint}")
        self.update(text)
        self.set_classes(str(outcome.status))


def step_meta(step: Step, state: StepState, language: str, has_checks: bool) -> str:
    """`✘ 失敗 · チェック必須 · スキップ可` under the title."""
    parts = [state_label(state, language)]
    if has_checks:
        parts.append(tr(f"gate.{step.gate}", language))
    else:
        parts.append(tr("gate.none", language))
    if step.skippable:
        parts.append(tr("state.skipped", language) + ("可" if language == "ja" else " allowed"))
    return " · ".join(parts)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _joins_without_space(before: str, after: str) -> bool:
    """Whether a line break between these two characters is no space in the text.

    Japanese has no spaces between words: a break between two wide characters is nothing (as
    Pandoc's east_asian_line_breaks has it), and neither is one next to wide punctuation
    (`、` `。` `（`). A break between `ISO` and `イメージ` stays a space, as authors write it.
    """
    if _wide(before) and _wide(after):
        return True
    return any(_wide(c) and unicodedata.category(c).startswith("P") for c in (before, after))


def join_japanese_lines(state: StateCore) -> None:
    """A markdown-it core rule: soft line breaks inside Japanese text become nothing."""
    for token in state.tokens:
        children = token.children or []
        for index, child in enumerate(children):
            if child.type != "softbreak":
                continue
            before = next((c.content[-1] for c in reversed(children[:index])
                           if c.type in ("text", "code_inline") and c.content), "")
            after = next((c.content[0] for c in children[index + 1:]
                          if c.type in ("text", "code_inline") and c.content), "")
            if before and after and _joins_without_space(before, after):
                child.type, child.content = "text", ""


def markdown_parser() -> MarkdownIt:
    """Textual's own parser ("gfm-like"), reading Japanese line breaks as Japanese."""
    parser = MarkdownIt("gfm-like")
    parser.core.ruler.push("join_japanese_lines", join_japanese_lines)
    return parser


def markdown_widget(text: str) -> Markdown:
    """A markdown chunk of a step (links are not followed from a lab terminal)."""
    return Markdown(clean_fences(text), open_links=False, classes="step-text",
                    parser_factory=markdown_parser)


def dialogue_script(block: CommandBlock, values: dict[str, str], secrets: list[str],
                    language: str, reveal: bool) -> list[str]:
    """A dialogue's turns as the learner reads them: what appears, what to type."""
    lines = []
    for turn in block.dialogue:
        if turn.expect is not None:
            if turn.ends:
                lines.append("  " + tr("script.end", language))
            else:
                shown = readable_pattern(fill(turn.expect, values))
                lines.append(f"  {tr('script.shows', language)}: {shown}")
        elif turn.send is not None:
            sent = shown_text(turn.send, values, secrets, reveal)
            shown = "ctrl+d" if sent == "^D" else (sent or "Enter")
            lines.append(f"  {tr('script.type', language)}: {shown}")
    return lines


def intro_text(intro: str) -> str:
    """The chapter's introduction without its level-1 title (shown above the first step)."""
    lines = [ln for ln in intro.strip().splitlines() if not ln.startswith("# ")]
    return "\n".join(lines).strip()


class StepView(VerticalScroll):
    """The current step: title, text, command cards and check rows (one step at a time)."""

    async def show(self, session: LabSession, index: int, *, reveal: bool,
                   outcomes: Sequence[Outcome | None],
                   block_status: Mapping[tuple[str, int], tuple[str, str]]) -> None:
        """Mount step `index` of the session's steps, with the outcomes and card states known."""
        _, _, progress = session.here()
        step = session.steps[index]
        lang = session.language
        values = session.values()
        secrets = session.secrets()
        checks = session.checks(step)
        widgets: list[Static | Markdown | CommandCard] = [
            Static(Text(f"{index + 1}/{len(session.steps)}  {step.title}"),
                   classes="step-title"),
            Static(Text(step_meta(step, progress.state(step.id), lang, bool(checks))),
                   classes="step-meta"),
        ]
        if index == 0 and session.chapter.intro.strip():
            widgets.append(markdown_widget(shown_text(intro_text(session.chapter.intro), values,
                                                      secrets, reveal)))
        cards = session.cards(step)
        for part in step.parts:
            if isinstance(part, str):
                widgets.append(markdown_widget(shown_text(part, values, secrets, reveal)))
            elif part in cards:
                number = cards.index(part)
                status, _detail = block_status.get((step.id, number), ("idle", ""))
                script = dialogue_script(part, values, secrets, lang, reveal) \
                    if part.kind == "dialogue" else []
                widgets.append(CommandCard(number, part, shown_command(part, values, secrets,
                                                                       reveal),
                                           lang, script, status, fill(part.user or "", values)))
        widgets.append(Static(tr("checks", lang), classes="section"))
        if checks:
            for i, spec in enumerate(checks):
                row = CheckRow(i, check_label(spec, values, secrets), lang)
                outcome = outcomes[i] if i < len(outcomes) else None
                if outcome is not None:
                    row.show_outcome(outcome)
                widgets.append(row)
        else:
            widgets.append(Static(tr("check.none", lang), classes="check-none"))
        with self.app.batch_update():
            await self.remove_children()
            await self.mount_all(widgets)
        for (step_id, number), (status, detail) in block_status.items():
            if step_id == step.id and status != "idle":
                for card in self.query(CommandCard):
                    if card.index == number:
                        card.set_status(status, detail)
        self.scroll_home(animate=False)
