"""The chapter: markdown steps with commands and checks, parsed into an immutable model."""

from __future__ import annotations

from maillab_tui.chapter.model import (
    Chapter,
    CheckSpec,
    CommandBlock,
    DialogueTurn,
    Hint,
    HostRole,
    Problem,
    Step,
    Variable,
)
from maillab_tui.chapter.parser import ChapterError, find_chapter, load_chapter, parse_chapter

__all__ = [
    "Chapter",
    "ChapterError",
    "CheckSpec",
    "CommandBlock",
    "DialogueTurn",
    "Hint",
    "HostRole",
    "Problem",
    "Step",
    "Variable",
    "find_chapter",
    "load_chapter",
    "parse_chapter",
]
