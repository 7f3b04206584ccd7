"""What a chapter's markdown can lose without markdown-it saying so, found after parsing.

- Lists or quotes nested deeper than markdown-it's limit (`1. 1. 1. ...` on one line is as
  deep): block parsing stops there and every later step and check is silently gone.
- A fence never closed: it runs to the end of the file and swallows what follows.
- A file that does not end in a newline: most often one cut short (a copy that stopped).
- A fence that lost its opening or closing line swallows the next block; a block of checks
  not marked `{check}` (or marked `{chek}`) is shown, not graded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

Found = tuple[int, str, str]
"""(1-based line, message, severity)."""


def dropped(tokens: Sequence[Token], lines: Sequence[str], text: str,
            max_nesting: int) -> list[Found]:
    """Problems of what the token stream does not cover."""
    out: list[Found] = []
    line = 0
    for token in tokens:
        line = token.map[0] + 1 if token.map is not None else line
        if token.level >= max_nesting - 2:  # markdown-it stops reading blocks at its limit
            out.append((line, "markdown stops being read here: lists or quotes nested more "
                        f"than {max_nesting - 2} deep (or '1. ' repeated on one line); nothing "
                        "from here to the end of the file is part of the chapter", "error"))
            break
    for token in tokens:
        if token.type == "fence" and token.map is not None and token.map[1] >= len(lines):
            last = lines[-1].strip() if lines else ""
            marker = token.markup
            if token.map[1] - token.map[0] < 2 or not last.startswith(marker[:3]):
                out.append((token.map[0] + 1, f"this {marker} block is never closed: it "
                            "swallows everything to the end of the file", "error"))
    if text and not text.endswith(("\n", "\r")):
        out.append((len(lines), "the file does not end with a newline: is it cut short "
                    "(an interrupted copy)?", "warning"))
    return out


_CHECK_ITEM = re.compile(r"^-[ \t]+(check|shell)[ \t]*:", re.MULTILINE)


def missed_check_block(lang: str, attrs: dict[str, str | bool], content: str) -> str | None:
    """Why a fence that is not marked `{check}` looks like a check block (a misspelt or lost
    `{check}`), or None. Its checks would silently not be graded."""
    import difflib

    near = [key for key in attrs if difflib.SequenceMatcher(None, key, "check").ratio() >= 0.6]
    if near:
        return (f"unknown block attribute {{{near[0]}}}: did you mean {{check}}? As it is, "
                "its checks are not graded")
    if lang in ("yaml", "yml", "") and _CHECK_ITEM.search(content):
        return ("this block lists checks ('- check:' / '- shell:') but is not marked "
                "```yaml {check}: its checks are not graded")
    return None


def fence_problems(lang: str, attrs: dict[str, str | bool], content: str,
                   line: int) -> list[tuple[int, str]]:
    """(line, error) of a fence at `line` that lost something: checks not marked `{check}`,
    or a fence marker inside it (a fence above lost its opening or closing line, so this
    block swallowed the next)."""
    out = []
    if not ("check" in attrs or lang == "check"):
        missed = missed_check_block(lang, attrs, content)
        if missed:
            out.append((line, missed))
    for number, text in enumerate(content.splitlines()):
        if text.lstrip().startswith(("```", "~~~")):
            out.append((line + 1 + number, "a fence line inside a block: a ``` above this line "
                        "is missing (a block lost its opening or closing line)"))
            break
    return out
