"""Modal screens: password, host role and platform choice, confirmations, help, log explanation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from maillab_tui.mail.patterns import Explanation
from maillab_tui.ui.strings import KEY_HELP, KEYS, tr
from maillab_tui.ui.widgets.stepview import markdown_parser

MODAL_CSS = """
ModalScreen { align: center middle; }
ModalScreen > Vertical {
    width: 72; max-width: 95%; height: auto; max-height: 90%;
    border: thick $primary; background: $panel; padding: 0 1;
}
ModalScreen .modal-title { text-style: bold; width: 1fr; margin-bottom: 1; }
ModalScreen .modal-note { color: $text-muted; margin-top: 1; }
ModalScreen .buttons { height: auto; align-horizontal: right; margin-top: 1; }
ModalScreen .buttons Button { margin-left: 1; }
ModalScreen OptionList { height: auto; max-height: 12; }
ModalScreen VerticalScroll { height: auto; max-height: 20; }
"""


class PasswordScreen(ModalScreen[str | None]):
    """Ask for a password in an input that never shows what is typed; None when cancelled."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, prompt_text: str, kind: str, language: str, attempt: int = 1) -> None:
        super().__init__()
        self.prompt_text = prompt_text
        self.kind = kind
        self.language = language
        self.attempt = attempt

    def compose(self) -> ComposeResult:
        """The program's prompt, what it wants, the hidden input, OK and Cancel."""
        lang = self.language
        why = {"sudo": "password.sudo", "new": "password.new", "retype": "password.new"}.get(
            self.kind, "password.other")
        title = tr("password.title", lang)
        if self.attempt > 1:
            title += " " + tr("password.attempt", lang, n=self.attempt)
        with Vertical():
            yield Label(title, classes="modal-title")
            yield Static(Text(self.prompt_text), id="password-prompt")
            yield Label(tr(why, lang))
            yield Input(password=True, id="password-input")
            yield Label(tr("password.note", lang), classes="modal-note")
            with Horizontal(classes="buttons"):
                yield Button(tr("ok", lang), variant="primary", id="password-ok")
                yield Button(tr("cancel", lang), id="password-cancel")

    def on_mount(self) -> None:
        """Type straight away."""
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter answers."""
        event.stop()
        self.dismiss(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """OK answers, Cancel cancels."""
        event.stop()
        if event.button.id == "password-ok":
            self.dismiss(self.query_one(Input).value)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape cancels."""
        self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """Choose one of a few options (the host role, the platform); None when cancelled."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, title: str, note: str, options: Sequence[tuple[str, str]],
                 language: str, *, cancellable: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.note = note
        self.options = list(options)
        self.language = language
        self.cancellable = cancellable

    def compose(self) -> ComposeResult:
        """Title, the options, a note."""
        with Vertical():
            yield Label(self.title_text, classes="modal-title")
            yield OptionList(*[Option(Text(label), id=value) for value, label in self.options],
                             id="choices")
            if self.note:
                yield Label(self.note, classes="modal-note")

    def on_mount(self) -> None:
        """Arrow keys and Enter right away."""
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click chooses."""
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Escape cancels when that is allowed."""
        if self.cancellable:
            self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; Escape means no."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "no", show=False), Binding("y", "yes", show=False),
        Binding("n", "no", show=False)]

    def __init__(self, question: str, language: str) -> None:
        super().__init__()
        self.question = question
        self.language = language

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        with Vertical():
            yield Static(Text(self.question), classes="modal-title")
            with Horizontal(classes="buttons"):
                yield Button(tr("yes", self.language) + " (y)", variant="error", id="confirm-yes")
                yield Button(tr("no", self.language) + " (n)", id="confirm-no")

    def on_mount(self) -> None:
        """No is the safe default."""
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer."""
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_yes(self) -> None:
        """y answers yes."""
        self.dismiss(True)

    def action_no(self) -> None:
        """n or Escape answers no."""
        self.dismiss(False)


class ExplainScreen(ModalScreen[None]):
    """What a log line means, in the learner's language."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,e,q", "close", show=False)]

    def __init__(self, line: str, explanation: Explanation | None, language: str) -> None:
        super().__init__()
        self.line = line
        self.explanation = explanation
        self.language = language

    def compose(self) -> ComposeResult:
        """The line as it is, then the meaning and the fix."""
        lang = self.language
        with Vertical():
            yield Label(tr("explain.title", lang), classes="modal-title")
            with VerticalScroll():
                yield Static(Text(self.line, style="bold"), id="explain-line")
                if self.explanation is not None:
                    yield Static(Text(self.explanation.meaning.get(lang)), id="explain-meaning")
                    fix = self.explanation.fix.get(lang)
                    if fix:
                        yield Static(Text("→ " + fix), id="explain-fix")
                else:
                    yield Static(Text(tr("log.unknown", lang)), id="explain-meaning")
            with Horizontal(classes="buttons"):
                yield Button(tr("close", lang), id="explain-close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close."""
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Escape closes."""
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key and what it does, in the current language."""

    DEFAULT_CSS = MODAL_CSS + """
    HelpScreen > Vertical { width: 90; }
    HelpScreen VerticalScroll { max-height: 30; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "close", show=False)]

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def key_table(self) -> str:
        """The keys as a markdown table."""
        lang = self.language
        head = ("| キー | 操作 | 説明 |\n|---|---|---|" if lang == "ja"
                else "| key | action | what it does |\n|---|---|---|")
        rows = []
        for key in KEYS:
            shown = ", ".join(k.replace("question_mark", "?").replace("less_than_sign", "<")
                              .replace("greater_than_sign", ">") for k in key.keys.split(","))
            rows.append(f"| `{shown}` | {key.label.get(lang)} | {KEY_HELP[key.action].get(lang)} |")
        extra = ([
            "| `tab` / `shift+tab` | 移動 | ボタン・一覧・ログ欄の間を移動します |",
            "| `↑` `↓` `enter` | 選ぶ | 一覧ではステップを、ログ欄では行を選びます |",
            "| `ctrl+p` | コマンド | すべての操作を検索して実行できます（テーマの変更も） |",
        ] if lang == "ja" else [
            "| `tab` / `shift+tab` | move | between buttons, the step list and the log |",
            "| `↑` `↓` `enter` | choose | a step in the list, a line in the log pane |",
            "| `ctrl+p` | commands | search every action (and change the theme) |",
        ])
        return "\n".join([head, *rows, *extra])

    def compose(self) -> ComposeResult:
        """Intro, the key table, states and log markers."""
        lang = self.language
        with Vertical():
            yield Label(tr("help.title", lang), classes="modal-title")
            with VerticalScroll():
                yield Static(Text(tr("help.intro", lang)))
                yield Markdown(self.key_table(), id="help-keys", parser_factory=markdown_parser)
                yield Static(Text(tr("help.states", lang)))
                yield Static(Text(tr("help.log", lang)))
            with Horizontal(classes="buttons"):
                yield Button(tr("close", lang), id="help-close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close."""
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Escape closes."""
        self.dismiss(None)
