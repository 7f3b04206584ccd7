"""How step text reads: Japanese line breaks in the markdown source are not spaces."""

from __future__ import annotations

import pytest

from maillab_tui.ui.widgets.stepview import markdown_parser


def joined(source: str) -> str:
    """The paragraph as Textual renders it: text as is, a soft break as one space."""
    (inline,) = [t for t in markdown_parser().parse(source) if t.type == "inline"]
    return "".join(" " if c.type == "softbreak" else c.content for c in inline.children or [])


@pytest.mark.parametrize(("source", "shown"), [
    ("インストールします。\n手順は", "インストールします。手順は"),
    ("メールサーバーを構築し、\nuser1 と", "メールサーバーを構築し、user1 と"),
    ("Dovecot\n（IMAP/POP3）", "Dovecot（IMAP/POP3）"),
    ("届いたメールを\n読みます", "届いたメールを読みます"),
    ("DVD（ISO\nイメージ）", "DVD（ISO イメージ）"),   # Latin next to kana: the author's space
    ("plain\nEnglish text", "plain English text"),
])  # fmt: skip
def test_soft_breaks_in_japanese_are_not_spaces(source: str, shown: str) -> None:
    assert joined(source) == shown


def test_only_soft_breaks_change() -> None:
    source = "## 見出し\n\n本文です。\n次の行\n\n```\n新しい\nパスワード\n```\n"
    tokens = markdown_parser().parse(source)
    assert next(t for t in tokens if t.type == "fence").content == "新しい\nパスワード\n"
    assert next(t for t in tokens if t.type == "inline").content == "見出し"
