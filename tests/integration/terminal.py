"""A real terminal (tmux) that a test types into and reads, as a person at the keyboard would.

Every screen the test waited for is kept under test-artifacts/ (numbered, in order), so a
reader of a CI run sees what the learner saw; `leaks()` says whether a secret ever showed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable, Sequence

from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"


def tmux(*args: str) -> str:
    """Run a tmux command; its output."""
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout


class Terminal:
    """One tmux session running one program; keys in, screens out."""

    def __init__(self, name: str, argv: Sequence[str], cols: int = 160, rows: int = 48,
                 env: dict[str, str] | None = None) -> None:
        self.session = f"{name}-{os.getpid()}"
        self.dir = ARTIFACTS / name
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.txt"):
            old.unlink()
        self.count = 0
        self.screens: list[str] = []
        # The pane stays after the program exits, so its last words can be read.
        command = shlex.join(argv) + "; echo; echo '[exited with' $? ']'; sleep 3600"
        setenv = [f"{k}={v}" for k, v in (env or {}).items()]
        tmux("new-session", "-d", "-s", self.session, "-x", str(cols), "-y", str(rows),
             "env", *setenv, "sh", "-c", command)

    def screen(self) -> str:
        """What the terminal shows now."""
        text = tmux("capture-pane", "-p", "-t", self.session)
        self.screens.append(text)
        return text

    def snap(self, label: str, text: str | None = None) -> str:
        """Keep the screen (or `text`) as test-artifacts/<name>/NN-label.txt; return it."""
        text = self.screen() if text is None else text
        self.count += 1
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")
        (self.dir / f"{self.count:02d}-{slug}.txt").write_text(text, encoding="utf-8")
        return text

    def wait(self, condition: str | Callable[[str], bool], label: str = "",
             timeout: float = 60) -> str:
        """The screen once `condition` (a text it shows, or a test) holds; kept as an artifact.

        Fails with the last screen when it does not hold within `timeout` seconds."""
        test = (lambda s: condition in s) if isinstance(condition, str) else condition
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if test(text):
                return self.snap(label or str(condition)[:40], text)
            time.sleep(0.3)
        self.snap(f"TIMEOUT-{label or str(condition)[:40]}", text)
        raise AssertionError(f"timed out waiting for {label or condition!r}; the screen was:\n"
                             f"{text}")

    def keys(self, *keys: str, pause: float = 0.3) -> None:
        """Press keys by tmux's names (Enter, Escape, C-c, n, ...)."""
        for key in keys:
            tmux("send-keys", "-t", self.session, key)
            time.sleep(pause)

    def type(self, text: str, enter: bool = False) -> None:
        """Type text as it is (no key names); Enter after it when asked."""
        tmux("send-keys", "-t", self.session, "-l", text)
        time.sleep(0.2)
        if enter:
            self.keys("Enter")

    def exited(self) -> bool:
        """Whether the program has exited (the pane says so)."""
        return "[exited with" in self.screen()

    def leaks(self, pattern: str) -> list[str]:
        """Every screen line seen so far that matches `pattern` (a secret typed in the walk)."""
        found = re.compile(pattern)
        return sorted({line for s in self.screens for line in s.splitlines()
                       if found.search(line)})

    def close(self) -> None:
        """End the session (and the program in it)."""
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True,
                       timeout=30)
