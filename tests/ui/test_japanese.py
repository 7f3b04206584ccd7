"""Japanese lines break between characters, with the basic kinsoku rules, in Textual and Rich."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from textual.content import Content

from maillab_tui.ui import japanese

SENTENCE = ("Debian ではインストールの途中で Postfix の設定画面が表示されます。"
            "「メール設定の一般的なタイプ」には インターネットサイト を選びます。"
            "ホスト名（mail.example1.jp）と「IP アドレス」（192.168.56.101）を確かめます。")


def lines(width: int) -> list[str]:
    return [line.plain.rstrip() for line in Content(SENTENCE).wrap(width)]


def test_japanese_fills_each_line_instead_of_jumping_to_the_next() -> None:
    assert japanese.install()
    got = lines(40)
    assert got[0] == "Debian ではインストールの途中で Postfix"   # 39 cells: as full as it gets
    assert got[1].startswith("の設定画面が表示されます。")
    assert all(Content(line).cell_length <= 40 for line in got)
    assert "".join(got).replace(" ", "") == SENTENCE.replace(" ", "")  # nothing lost


def test_no_line_starts_with_closing_punctuation_or_ends_with_an_opening_one() -> None:
    japanese.install()
    # From 20 columns up: "（192.168.56.101）" (17 cells) fits a line and is never folded.
    for width in range(20, 60):
        for line in lines(width):
            assert not line.startswith(tuple(japanese.NO_LINE_START)), (width, line)
            assert not line.endswith(tuple(japanese.NO_LINE_END)), (width, line)


def test_latin_words_still_break_at_spaces_only() -> None:
    japanese.install()
    wrapped = Text("send mail with the mail command, then read it").wrap(Console(width=20), 20)
    assert [line.plain.rstrip() for line in wrapped] == [
        "send mail with the", "mail command, then", "read it"]
