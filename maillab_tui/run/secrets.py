"""Secrets and password prompts: what must never be shown or recorded, and how to spot a prompt."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from maillab_tui.chapter.variables import mask

PromptKind = Literal["sudo", "current", "new", "retype", "other"]

# Checked in this order against the unterminated last line. English and Japanese as printed by
# sudo, PAM (Debian: `新しい パスワード:`) and RHEL (`新しいパスワード:`); see mail-facts.md.
_PROMPTS: tuple[tuple[PromptKind, re.Pattern[str]], ...] = (
    ("sudo", re.compile(
        r"^\[sudo\] (?:password for (?P<user>\S+)|(?P<user_ja>\S+) のパスワード):\s*$")),
    ("current", re.compile(
        r"(?:^|\s)(?:Current|\(current\) UNIX) password:\s*$|現在の ?パスワード:\s*$")),
    ("retype", re.compile(
        r"(?:Retype|Re-enter|Repeat|Confirm)[^:\n]*password:\s*$|パスワードを再入力してください:\s*$"
        r"|再入力[^:\n]*:\s*$", re.IGNORECASE)),
    ("new", re.compile(
        r"(?:New|Enter new)[^:\n]*password:\s*$|新しい ?パスワード:\s*$", re.IGNORECASE)),
    ("other", re.compile(r"password[^:\n]*:\s*$|パスワード[^:\n]*:\s*$", re.IGNORECASE)),
)


@dataclass(frozen=True)
class PasswordPrompt:
    """A program waits for a password: the prompt as shown (masked), its kind, and the try."""

    text: str
    kind: PromptKind
    user: str | None = None
    attempt: int = 1

    @property
    def is_sudo(self) -> bool:
        """True for sudo's own prompt (the learner's password, not the account being set)."""
        return self.kind == "sudo"


def recognise_prompt(partial: str) -> PasswordPrompt | None:
    """The password prompt that `partial` (the last, unterminated line) is, if it is one."""
    text = partial.strip()
    if not text or len(text) > 200:
        return None
    for kind, pattern in _PROMPTS:
        match = pattern.search(text)
        if match:
            user = None
            if kind == "sudo":
                user = match.group("user") or match.group("user_ja")
            return PasswordPrompt(text, kind, user)
    return None


class Secrets:
    """The values to mask everywhere: chapter secrets plus every password typed; thread-safe."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        """Remember a secret (empty values are ignored)."""
        if value and value.strip():
            with self._lock:
                self._values.add(value)

    def values(self) -> tuple[str, ...]:
        """The secrets, longest first."""
        with self._lock:
            return tuple(sorted(self._values, key=len, reverse=True))

    def mask(self, text: str) -> str:
        """`text` with every secret replaced by ********."""
        secrets = self.values()
        return mask(text, secrets) if secrets and text else text

    def mask_lines(self, lines: Iterable[str]) -> list[str]:
        """Each line masked."""
        secrets = self.values()
        return [mask(line, secrets) for line in lines] if secrets else list(lines)

    def __contains__(self, value: object) -> bool:
        with self._lock:
            return value in self._values
