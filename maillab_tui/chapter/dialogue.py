"""A dialogue fence: `$ command`, then `expect: REGEX` and `send: TEXT` lines, in order."""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it.token import Token

from maillab_tui.chapter.model import DialogueTurn

ProblemSink = Callable[[int, str], None]
"""Told each problem with its line (1-based)."""


def read_dialogue(token: Token, problem: ProblemSink) -> tuple[str, tuple[DialogueTurn, ...]]:
    """A dialogue fence: `$ command`, then `expect: REGEX` and `send: TEXT` lines."""
    assert token.map is not None
    first = token.map[0] + 2
    command = ""
    turns: list[DialogueTurn] = []
    for offset, raw in enumerate(token.content.splitlines()):
        line = first + offset
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("$ ") and not command and not turns:
            command = text[2:].strip()
        elif raw.startswith("expect:"):
            pattern = raw[len("expect:") :].strip()
            if pattern != "EOF":
                try:
                    re.compile(pattern)
                except re.error as exc:
                    problem(line, f"expect pattern is not a valid regex: {exc}")
            turns.append(DialogueTurn(line, expect=pattern))
        elif raw.startswith("send:"):
            value = raw[len("send:") :]
            turns.append(DialogueTurn(line, send=value[1:] if value.startswith(" ") else value))
        else:
            problem(line, "a dialogue line starts with '$ ', 'expect:' or 'send:'")
    if not command:
        problem(first - 1, "a dialogue starts with the command it runs: '$ command'")
    if not any(t.expect for t in turns):
        problem(
            first - 1,
            "a dialogue has no 'expect:' line, so nothing documents what the learner sees",
        )
    if not turns or not turns[-1].ends:
        problem(
            first - 1,
            "dialogue never ends: its last line must be 'expect: EOF' (the program exits)",
        )
    return command, tuple(turns)
