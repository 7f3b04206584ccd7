"""What was run, for the instructor: one JSON line per block in the XDG state directory.

`$XDG_STATE_HOME/maillab-tui/transcripts/<chapter-id>-<host>.jsonl` (default
`~/.local/state/...`). Each record is written with a single `write()` on a file opened for
appending, so records from two processes never interleave; a record is bounded in size (long
output keeps its head and tail with a note of what was left out); a corrupt line is skipped
when reading, never fatal.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from maillab_tui.config import state_dir

MAX_RECORD_BYTES = 256 * 1024
MAX_LINE_CHARS = 2000
HEAD_LINES = 100
VERSION = 1


def _safe(name: str) -> str:
    """A chapter id or host name as part of a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "_"


def transcript_path(chapter_id: str, host: str) -> Path:
    """Where the transcript of a chapter on a host lives."""
    return state_dir() / "transcripts" / f"{_safe(chapter_id)}-{_safe(host)}.jsonl"


def bound_output(lines: list[str], budget: int) -> tuple[list[str], int]:
    """Lines cut to fit about `budget` bytes: the head and the tail, and how many were left out."""
    lines = [ln if len(ln) <= MAX_LINE_CHARS else ln[:MAX_LINE_CHARS] + " [...]" for ln in lines]
    sizes = [len(ln.encode()) + 4 for ln in lines]
    if sum(sizes) <= budget:
        return lines, 0
    head: list[str] = []
    used = 0
    for line, size in zip(lines[:HEAD_LINES], sizes, strict=False):
        if used + size > budget // 4:
            break
        head.append(line)
        used += size
    tail: list[str] = []
    for line, size in zip(reversed(lines[len(head):]), reversed(sizes[len(head):]), strict=True):
        if used + size > budget:
            break
        tail.append(line)
        used += size
    omitted = len(lines) - len(head) - len(tail)
    return [*head, f"[... {omitted} lines omitted ...]", *reversed(tail)], omitted


class Transcript:
    """One transcript file: append records, read them back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_chapter(cls, chapter_id: str, host: str) -> Transcript:
        """The transcript of a chapter on a host, in the state directory."""
        return cls(transcript_path(chapter_id, host))

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one line, in one write, bounded in size."""
        record = dict(record)
        record.setdefault("v", VERSION)
        output = list(record.get("output") or [])
        rest = len(json.dumps({**record, "output": []}, ensure_ascii=False).encode())
        budget = max(4096, MAX_RECORD_BYTES - rest - 256)
        record["output"], omitted = bound_output(output, budget)
        if omitted:
            record["omitted"] = int(record.get("omitted") or 0) + omitted
        data = json.dumps(record, ensure_ascii=False, default=str)
        if len(data.encode()) > MAX_RECORD_BYTES:  # huge non-output fields: keep what matters
            record = {k: v for k, v in record.items() if k != "output"}
            record["output"] = ["[output dropped: record too large]"]
            data = json.dumps(record, ensure_ascii=False, default=str)[:MAX_RECORD_BYTES]
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # A line left unterminated by a crash must not swallow this record.
            size = os.fstat(fd).st_size
            lead = "" if size == 0 or os.pread(fd, 1, size - 1) == b"\n" else "\n"
            payload = (lead + data + "\n").encode()
            written = os.write(fd, payload)
            while written < len(payload):
                written += os.write(fd, payload[written:])
        finally:
            os.close(fd)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every readable record, oldest first; corrupt lines are skipped."""
        try:
            handle = self.path.open("rb")
        except OSError:
            return
        with handle:
            for raw in handle:
                with contextlib.suppress(ValueError):
                    record = json.loads(raw.decode("utf-8", errors="replace"))
                    if isinstance(record, dict):
                        yield record

    def succeeded(self, block_key: str) -> bool:
        """True when a record shows the block (by key) ran successfully."""
        return any(r.get("block") == block_key and r.get("status") == "ok" for r in self.records())
