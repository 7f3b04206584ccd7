"""Helpers for the runner tests: a recording listener, fake programs, process checks."""

from __future__ import annotations

import os
import shlex
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from maillab_tui.chapter.model import CommandBlock, DialogueTurn
from maillab_tui.run import Listener, PasswordPrompt, Run, RunEvent, TerminalRequest
from maillab_tui.run.proctree import snapshot

FAKES = Path(__file__).resolve().parent.parent / "fixtures" / "runner"
PY = shlex.quote(sys.executable)


def fake(name: str, *args: str) -> str:
    """The shell command that runs a fake program from tests/fixtures/runner."""
    return " ".join([PY, shlex.quote(str(FAKES / f"{name}.py")), *map(shlex.quote, args)])


def block(code: str, **attrs: object) -> CommandBlock:
    """A command block as the parser would make it (line 10 unless given)."""
    attrs.setdefault("line", 10)
    return CommandBlock(code=code, **attrs)  # type: ignore[arg-type]


def dialogue(code: str, *turns: tuple[str, str], line: int = 20, **attrs: object) -> CommandBlock:
    """A dialogue block: turns are ("expect", REGEX) or ("send", TEXT), one chapter line each."""
    made = tuple(
        DialogueTurn(line + 1 + i, **{k: v}) for i, (k, v) in enumerate(turns)
    )
    return CommandBlock(line=line, code=code, kind="dialogue", dialogue=made, **attrs)  # type: ignore[arg-type]


class Recorder(Listener):
    """Keeps everything a run says; answers password prompts from a list."""

    def __init__(self, passwords: list[str | None] | None = None,
                 on_wait: Callable[[str], None] | None = None,
                 terminal: Callable[[TerminalRequest], int | None] | None = None) -> None:
        self.events: list[RunEvent] = []
        self.batches: list[tuple[float, list[str]]] = []
        self.waiting: list[str] = []
        self.chunks: list[str] = []
        self.prompts: list[PasswordPrompt] = []
        self.requests: list[TerminalRequest] = []
        self.passwords = list(passwords or [])
        self._on_wait = on_wait
        self._terminal = terminal
        self.lock = threading.Lock()

    def on_event(self, event: RunEvent) -> None:
        self.events.append(event)

    def on_output(self, lines: list[str]) -> None:
        self.batches.append((time.monotonic(), list(lines)))

    def on_waiting(self, partial: str) -> None:
        self.waiting.append(partial)
        if self._on_wait:
            self._on_wait(partial)

    def on_chunk(self, data: str) -> None:
        with self.lock:
            self.chunks.append(data)

    def on_password_prompt(self, prompt: PasswordPrompt) -> str | None:
        self.prompts.append(prompt)
        return self.passwords.pop(0) if self.passwords else None

    def on_needs_terminal(self, request: TerminalRequest) -> int | None:
        self.requests.append(request)
        return self._terminal(request) if self._terminal else None

    @property
    def lines(self) -> list[str]:
        return [line for _, batch in self.batches for line in batch]

    def screen(self) -> str:
        with self.lock:
            return "".join(self.chunks)

    def everything(self) -> str:
        """All that reached the listener, as text, to grep for secrets."""
        return "\n".join([*map(repr, self.events), *self.lines, *self.waiting, *self.chunks,
                          *map(repr, self.prompts), *map(repr, self.requests)])


def in_thread(run: Run) -> tuple[threading.Thread, dict[str, object]]:
    """Execute a run in a worker thread, as the UI does; the result lands in the dict."""
    out: dict[str, object] = {}
    thread = threading.Thread(target=lambda: out.setdefault("result", run.execute()), daemon=True)
    thread.start()
    return thread, out


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll until `condition()` is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains `marker` (other than this test process)."""
    found = []
    for pid, info in snapshot().items():
        if pid == os.getpid() or info.dead:
            continue
        try:
            cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(pid)
    return found


def session_members(sid: int) -> list[int]:
    """Living processes in the session (or process group) `sid`."""
    return [p.pid for p in snapshot().values() if sid in (p.sid, p.pgid) and not p.dead]
