"""Where a learner is in a chapter, kept on disk so that it survives restarts and reboots.

One JSON file per learner (the OS user), chapter and host role, in the XDG state directory:
`$XDG_STATE_HOME/maillab-tui/progress/<chapter>-<host>.json` (default `~/.local/state`). It is
written atomically after every change and holds no secrets: step states, times, the current
step, the chapter's hash, the host role and the language. Nothing is ever lost: a file that is
broken (not JSON, not progress) is moved aside with a timestamp and reported; one that cannot
be read at all (no permission, a directory or a FIFO in its place, too large) is left as it is,
and so is a broken one that cannot be moved: progress is then kept in memory only, and saving
it raises `NotSaved` saying why (the lab session turns that into a notice), never a crash.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from maillab_tui.chapter.variables import mask
from maillab_tui.config import state_dir
from maillab_tui.text import Localized, t

FORMAT = 1


class StepState(StrEnum):
    """How far a step is: not started, done (checks passed), failed, or skipped (solved for you)."""

    NOT_STARTED = "not-started"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepRecord:
    """One step's state, when it got there, and a short note (never a secret)."""

    state: StepState = StepState.NOT_STARTED
    time: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON-ready."""
        out = {"state": str(self.state), "time": self.time}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Progress:
    """A learner's place in one chapter on one host role (`started`: when each step was opened)."""

    chapter_id: str
    host: str
    chapter_hash: str = ""
    platform: str = ""
    language: str = ""
    user: str = ""
    current_step: str = ""
    steps: dict[str, StepRecord] = field(default_factory=dict)
    started: dict[str, str] = field(default_factory=dict)
    updated: str = ""

    def state(self, step_id: str) -> StepState:
        """The state of a step (not started when nothing is recorded)."""
        record = self.steps.get(step_id)
        return record.state if record is not None else StepState.NOT_STARTED

    def finished(self, step_id: str) -> bool:
        """True when the step is done or skipped."""
        return self.state(step_id) in (StepState.DONE, StepState.SKIPPED)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "format": FORMAT,
            "chapter": self.chapter_id,
            "chapter_hash": self.chapter_hash,
            "host": self.host,
            "platform": self.platform,
            "language": self.language,
            "user": self.user,
            "current_step": self.current_step,
            "updated": self.updated,
            "steps": {k: v.as_dict() for k, v in self.steps.items()},
            "started": dict(self.started),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Progress:
        """Read the JSON form; ValueError when it is not a progress file."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError("not a maillab-tui progress file (format)")
        for key in ("chapter", "host"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ValueError(f"missing {key}")
        raw_steps = data.get("steps", {})
        if not isinstance(raw_steps, Mapping):
            raise ValueError("steps is not a mapping")
        steps: dict[str, StepRecord] = {}
        for step_id, record in raw_steps.items():
            if not isinstance(record, Mapping):
                raise ValueError(f"step {step_id} is not a mapping")
            steps[str(step_id)] = StepRecord(StepState(record.get("state", "not-started")),
                                             str(record.get("time", "")),
                                             str(record.get("note", "")))

        raw_started = data.get("started", {})
        if not isinstance(raw_started, Mapping):
            raise ValueError("started is not a mapping")
        started = {str(k): str(v) for k, v in raw_started.items()}

        def text(key: str) -> str:
            value = data.get(key, "")
            if not isinstance(value, str):
                raise ValueError(f"{key} is not text")
            return value

        return cls(chapter_id=text("chapter"), host=text("host"),
                   chapter_hash=text("chapter_hash"), platform=text("platform"),
                   language=text("language"), user=text("user"),
                   current_step=text("current_step"), steps=steps, started=started,
                   updated=text("updated"))


@dataclass(frozen=True)
class Loaded:
    """What loading found: the progress (new when there was none) and anything to tell."""

    progress: Progress
    existed: bool = False
    moved_aside: Path | None = None
    chapter_changed: bool = False
    notice: Localized | None = None


def default_progress_dir() -> Path:
    """Where progress files live by default."""
    return state_dir() / "progress"


def _safe(name: str) -> str:
    """A chapter id or host role as a file-name part."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"


def _now() -> dt.datetime:
    """The current time with the local time zone."""
    return dt.datetime.now().astimezone()


def _user() -> str:
    """The OS user the progress belongs to."""
    for name in ("SUDO_USER", "USER", "LOGNAME"):
        value = os.environ.get(name)
        if value:
            return value
    return str(os.getuid())


class NotSaved(OSError):
    """Progress could not be written (it stays in memory); the message says why, in ja/en."""

    def __init__(self, why: Localized) -> None:
        super().__init__(why.en)
        self.why = why


MAX_FILE = 1_000_000
"""A progress file is a few kB; anything larger is not one."""


def _masked(value: Any, secrets: tuple[str, ...]) -> Any:
    """`value` with every string in it masked, before it becomes JSON (masking the JSON text
    afterwards misses a secret holding `"` or `\\`, and breaks the file on a common word)."""
    if isinstance(value, str):
        return mask(value, secrets)
    if isinstance(value, dict):
        return {_masked(k, secrets): _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secrets) for v in value]
    return value


class ProgressStore:
    """Progress files in one directory: load, save atomically, move a broken one aside."""

    def __init__(self, directory: str | Path | None = None, *,
                 clock: Callable[[], dt.datetime] = _now,
                 secrets: Iterable[str] = ()) -> None:
        self.directory = Path(directory) if directory is not None else default_progress_dir()
        self.clock = clock
        self.secrets = tuple(s for s in secrets if s)
        self.kept: dict[Path, Localized] = {}
        """Files left untouched because they could not be read or moved: never written."""

    def path_for(self, chapter_id: str, host: str) -> Path:
        """The file of one chapter and host role."""
        return self.directory / f"{_safe(chapter_id)}-{_safe(host)}.json"

    def timestamp(self) -> str:
        """Now, as recorded in the file."""
        return self.clock().isoformat(timespec="seconds")

    def last_host(self, chapter_id: str, hosts: Iterable[str]) -> str | None:
        """The host role this learner used last for the chapter (the newest file), if any."""
        best: tuple[float, str] | None = None
        for host in hosts:
            path = self.path_for(chapter_id, host)
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if best is None or mtime > best[0]:
                best = (mtime, host)
        return best[1] if best else None

    def load(self, chapter_id: str, host: str, chapter_hash: str = "") -> Loaded:
        """The saved progress, a fresh one when there is none, or a fresh one and a notice."""
        path = self.path_for(chapter_id, host)
        fresh = Progress(chapter_id=chapter_id, host=host, chapter_hash=chapter_hash, user=_user())
        try:
            text = _read_regular(path)
        except FileNotFoundError:
            return Loaded(fresh)
        except OSError as exc:
            why = t(f"進み具合のファイル {path} を読めません（{exc.strerror or exc}）。そのまま"
                    "残し、進み具合はこの実行のあいだだけ覚えておきます",
                    f"cannot read the progress file {path} ({exc.strerror or exc}); it is left "
                    "as it is and progress is kept in memory for this run only")
            self.kept[path] = why
            return Loaded(fresh, existed=True, notice=why)
        try:
            progress = Progress.from_dict(json.loads(text))
            if progress.chapter_id != chapter_id or progress.host != host:
                raise ValueError("the file is for another chapter or host")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            problem = str(exc)[:200] if not isinstance(exc, RecursionError) else "nested too deep"
            aside = self.move_aside(path)
            if aside is None:
                why = t(f"進み具合のファイル {path} が壊れていて（{problem}）、移すことも"
                        "できません。そのまま残し、進み具合はこの実行のあいだだけ覚えておきます",
                        f"the progress file {path} is broken ({problem}) and cannot be moved "
                        "aside; it is left as it is and progress is kept in memory for this run "
                        "only")
                self.kept[path] = why
                return Loaded(fresh, existed=True, notice=why)
            return Loaded(fresh, existed=True, moved_aside=aside, notice=t(
                f"進み具合のファイルが壊れていたので、{aside} に移して最初からにしました"
                f"（{problem}）。",
                f"the progress file was broken; it was moved to {aside} and progress starts "
                f"afresh ({problem})."))
        changed = bool(chapter_hash and progress.chapter_hash
                       and progress.chapter_hash != chapter_hash)
        notice = None
        if changed:
            notice = t("章の内容が更新されています。完了したステップをもう一度確かめます。",
                       "the chapter has changed since last time; finished steps are checked again.")
            progress.chapter_hash = chapter_hash
        if not progress.chapter_hash:
            progress.chapter_hash = chapter_hash
        return Loaded(progress, existed=True, chapter_changed=changed, notice=notice)

    def move_aside(self, path: Path) -> Path | None:
        """Rename a broken file to `<name>.broken-<time>`; the new path (None if that failed)."""
        stamp = self.clock().strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.broken-{stamp}")
        counter = 1
        while target.exists():
            counter += 1
            target = path.with_name(f"{path.name}.broken-{stamp}-{counter}")
        try:
            os.replace(path, target)
        except OSError:
            return None
        return target

    def save(self, progress: Progress) -> Path:
        """Write the progress atomically (temporary file, fsync, rename); its path. NotSaved
        when it cannot be (the file there was kept, the directory is not writable)."""
        progress.updated = self.timestamp()
        path = self.path_for(progress.chapter_id, progress.host)
        if path in self.kept:
            raise NotSaved(self.kept[path])
        text = json.dumps(_masked(progress.as_dict(), self.secrets), ensure_ascii=False,
                          indent=2) + "\n"
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                        dir=self.directory)
        except OSError as exc:
            raise NotSaved(t(f"進み具合を {self.directory} に保存できません"
                             f"（{exc.strerror or exc}）。この実行のあいだだけ覚えておきます",
                             f"cannot save progress in {self.directory} "
                             f"({exc.strerror or exc}); it is kept in memory for this run only"
                             )) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            if isinstance(exc, OSError) and not isinstance(exc, NotSaved):
                raise NotSaved(t(f"進み具合を {path} に保存できません（{exc.strerror or exc}）",
                                 f"cannot save progress to {path} ({exc.strerror or exc})"
                                 )) from None
            raise
        with contextlib.suppress(OSError):
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return path

    def record(self, progress: Progress, step_id: str, state: StepState, note: str = "") -> Path:
        """Set one step's state (stamped now) and save."""
        progress.steps[step_id] = StepRecord(state, self.timestamp(), note)
        return self.save(progress)

    def move_to(self, progress: Progress, step_id: str) -> Path:
        """Remember the current step and save."""
        progress.current_step = step_id
        return self.save(progress)



def _read_regular(path: Path) -> bytes:
    """A progress file's bytes: only a regular file under MAX_FILE (a FIFO would block)."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path} is not a regular file")
    if info.st_size > MAX_FILE:
        raise OSError(f"{path} is {info.st_size:,} bytes, not a progress file")
    return path.read_bytes()  # json.loads decodes: not UTF-8 is a ValueError, a broken file
