"""Text in two languages: the project speaks Japanese first, English second."""

from __future__ import annotations

from dataclasses import dataclass

from maillab_tui import config


@dataclass(frozen=True)
class Localized:
    """A message in Japanese and English; `str()` gives the Japanese."""

    ja: str
    en: str = ""

    def get(self, language: str) -> str:
        """The text in `language`, falling back to the other one when it is empty."""
        if language == "en":
            return self.en or self.ja
        return self.ja or self.en

    def __str__(self) -> str:
        return self.get("ja")

    def format(self, **values: object) -> Localized:
        """Both texts with `{name}` fields filled in."""
        return Localized(self.ja.format(**values), self.en.format(**values))


def t(ja: str, en: str = "") -> Localized:
    """A message in Japanese and English."""
    return Localized(ja, en)


Message = Localized | str


def render(message: Message | None, language: str) -> str:
    """A message as text in `language`; plain strings are the same in both."""
    if message is None:
        return ""
    if isinstance(message, Localized):
        return message.get(language)
    return message


def default_language() -> str:
    """`ja` when the locale (MAILLAB_LANG, LC_ALL, LC_MESSAGES, LANG) is Japanese, else `en`."""
    return config.language()
