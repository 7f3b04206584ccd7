"""What a chapter's markdown can lose without markdown-it saying so, found after parsing.

- Lists or quotes nested deeper than markdown-it's limit (`1. 1. 1. ...` on one line is as
  deep): block parsing stops there and every later step and check is silently gone.
- A fence never closed: it runs to the end of the file and swallows what follows.
- A file that does not end in a newline: most often one cut short (a copy that stopped).
"""

from __future__ import annotations

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
    covered = max((t.map[1] for t in tokens if t.map is not None), default=0)
    rest = next((n for n in range(covered, len(lines)) if lines[n].strip()), None)
    if rest is not None:
        out.append((rest + 1, "markdown stops being read here; nothing below this line is "
                    "part of the chapter", "error"))
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
