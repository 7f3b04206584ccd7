"""The chapter as a page: what a reader on a code-hosting site sees, and the lab leaves out.

A chapter file must still read as a textbook when GitHub or GitLab renders it. Those sites
show a heading's `{...}` as text, never show a fence's attributes, and run no `{{ name }}`.
So the format has four page conventions, each invisible in the lab:

- `<!-- step: gate=soft skip holds="..." -->` under a step's heading carries the step's
  attributes (an HTML comment, hidden on the page); the heading keeps only its `{#id}`.
- `**AlmaLinux 9**` (or `**Debian 12**`, the platform's label) alone in a paragraph just
  before a block for that platform labels the variant for a reader; the lab shows only this
  machine's variant, without its label.
- `<details><summary>...</summary>` ... `</details>` around the solves folds them away on the
  page (a reader would otherwise run them after the real commands); the lab never shows solves.
- `<!-- page-only -->` before a block (a legend of the `{{ name }}` notation, say) shows it
  on the page only: the lab has already put this host's values in.
"""

from __future__ import annotations

import re

from markdown_it.token import Token

from maillab_tui.chapter.model import Hint
from maillab_tui.platform import PLATFORMS

STEP_COMMENT = re.compile(r"^\s*<!--\s*step:\s*(?P<attrs>.*?)\s*-->\s*$", re.S)
PAGE_ONLY = re.compile(r"^\s*<!--\s*page-only\s*-->\s*$")
HINT_MARKER = re.compile(r"^\s*\[!(TIP|HINT)\]\s*$", re.IGNORECASE)
_DETAILS = re.compile(r"^(?:\s|</?details(?:\s[^>]*)?>|<summary>.*?</summary>)*$", re.S | re.I)


def platform_label(text: str) -> str | None:
    """The platform a label paragraph names (`**Debian 12**`, `Debian 12:`), or None."""
    core = text.strip().strip("*").strip().rstrip(":：").strip().strip("*").strip()
    for name, info in PLATFORMS.items():
        if core == info.label:
            return name
    return None


def is_details_markup(token: Token) -> bool:
    """An html block of `<details>`, `<summary>...</summary>` and `</details>` tags only."""
    return token.type == "html_block" and bool(_DETAILS.match(token.content))


def details_depth_change(token: Token) -> int:
    """How many `<details>` this html block opens, minus those it closes."""
    content = token.content.lower()
    return content.count("<details") - content.count("</details")


def block_end(tokens: list[Token], i: int) -> tuple[int, int]:
    """For the block starting at token `i`: the index after its last token, and its end line."""
    first = tokens[i]
    end = first.map[1] if first.map else 0
    j = i + 1
    while j < len(tokens):
        here = tokens[j].map
        if here is not None and here[0] >= end:
            break
        j += 1
    return j, end


def label_before(tokens: list[Token], i: int) -> tuple[str | None, tuple[int, int] | None]:
    """The label paragraph right before the fence at `i`: its platform and its lines."""
    if i < 3:
        return None, None
    close, inline, opening = tokens[i - 1], tokens[i - 2], tokens[i - 3]
    if (close.type != "paragraph_close" or inline.type != "inline"
            or opening.type != "paragraph_open" or opening.level != 0 or opening.map is None):
        return None, None
    platform = platform_label(inline.content)
    if platform is None:
        return None, None
    return platform, (opening.map[0], opening.map[1])


def cut_lines(lines: list[str], cuts: list[tuple[int, int]], start: int, end: int) -> str:
    """Lines `start`..`end` without the cut ranges, as text."""
    keep = [n for n in range(start, end) if not any(a <= n < b for a, b in cuts)]
    return "\n".join(lines[n] for n in keep)


def markup_cut(tokens: list[Token], i: int, details: int) -> tuple[int, tuple[int, int], int]:
    """For the html block at `i`: the next token index, the lines the lab leaves out, and the
    `<details>` depth after it. `<!-- page-only -->` takes the block after it along."""
    token = tokens[i]
    start, end = token.map if token.map else (0, 0)
    if is_details_markup(token):
        return i + 1, (start, end), max(0, details + details_depth_change(token))
    if PAGE_ONLY.match(token.content) and i + 1 < len(tokens):
        after, end = block_end(tokens, i + 1)
        return after, (start, end), details
    return i + 1, (start, end), details


def label_cut(tokens: list[Token], i: int, platform: str | None, solve: bool,
              details: int) -> tuple[tuple[int, int] | None, str]:
    """For the command fence at `i`: the label paragraph's lines to leave out, and what a
    reader of the page would miss (no label for a platform's variant, a solve not folded)."""
    problems = []
    cut = None
    if platform:
        labelled, lines = label_before(tokens, i)
        if labelled == platform:
            cut = lines
        else:
            info = PLATFORMS.get(platform)
            problems.append(f"a block for {platform} without its label: a reader of the page "
                            "cannot tell the variants apart; put "
                            f"'**{info.label if info else platform}**' alone on the line before it")
    if solve and not details:
        problems.append("a solve outside '<details>': on the page it reads as one more "
                        "instruction; fold it in <details><summary>...</summary>")
    return cut, "; ".join(problems)


def hint(lines: list[str], token: Token) -> Hint | None:
    """A `> [!TIP]` blockquote (from its `blockquote_open` token) as a hint, or None for an
    ordinary quote."""
    assert token.map is not None
    start, end = token.map
    raw = [re.sub(r"^\s*>\s?", "", line) for line in lines[start:end]]
    if not raw or not HINT_MARKER.match(raw[0]):
        return None
    return Hint(start + 1, "\n".join(raw[1:]).strip())
