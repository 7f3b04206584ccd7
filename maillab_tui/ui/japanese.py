"""Japanese line breaking for Textual: lines may break between any two Japanese characters.

Textual wraps text at spaces only, so a Japanese sentence, which has none, is one long word:
it moves whole to the next line, leaving the line before half empty, or is cut anywhere,
even before `。`. This teaches the wrappers (Rich's `re_word`, which Textual's Content
wraps with, and Textual's own `re_chunk`: the patterns that split text into unbreakable
pieces) that each wide character is a piece of its own, keeping the
basic kinsoku rules: no line starts with closing punctuation or a small kana (`、。）」ッー`),
none ends with opening punctuation (`（「`), and a Latin word keeps the punctuation after it.
"""

from __future__ import annotations

import re

WIDE = ("\u2e80-\u2fff\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
        "\uff00-\uffef")
"""CJK symbols and punctuation, kana, ideographs and full-width forms."""
NO_LINE_START = ("、。，．・：；？！ー…‥）」』】〕〉》〙〗｝］"
                 "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々")
NO_LINE_END = "（「『【〔〈《〘〖｛［"
_UNIT = (rf"[{NO_LINE_END}]*"                 # opening brackets stay with what they open
         rf"(?:[{WIDE}]|[^\s{WIDE}]+)"         # one wide character, or a word of others
         rf"[{NO_LINE_START}]*")                # and the closing punctuation after it

RICH_WORD = re.compile(rf"\s*(?:{_UNIT})\s*")
"""For Rich's `re_word` (`\\s*\\S+\\s*`): Textual's Content and Rich's Text wrap with it."""
TEXTUAL_CHUNK = re.compile(rf"(?:{_UNIT})\s*|\s+")
"""Textual's own `re_chunk` (`\\S+\\s*|\\s+`)."""


def install() -> bool:
    """Break Japanese lines between characters in Rich's and Textual's wrappers.

    Returns False, changing nothing, where either no longer has the pattern this replaces.
    """
    from rich import _wrap as rich_wrap
    from textual import _wrap as textual_wrap

    if not (isinstance(getattr(rich_wrap, "re_word", None), re.Pattern)
            and isinstance(getattr(textual_wrap, "re_chunk", None), re.Pattern)):
        return False
    rich_wrap.re_word = RICH_WORD
    textual_wrap.re_chunk = TEXTUAL_CHUNK
    return True
