"""The progress store: atomic saves, restore, broken files moved aside, no secrets."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from maillab_tui.lab.progress import (
    Progress,
    ProgressStore,
    StepState,
    default_progress_dir,
    state_dir,
)

JST = dt.timezone(dt.timedelta(hours=9))


def clock() -> dt.datetime:
    return dt.datetime(2025, 4, 10, 9, 30, 0, tzinfo=JST)


def store(tmp_path: Path, **kwargs: object) -> ProgressStore:
    return ProgressStore(tmp_path / "progress", clock=clock, **kwargs)  # type: ignore[arg-type]


def test_state_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert state_dir({"XDG_STATE_HOME": "/x/state"}) == Path("/x/state/maillab-tui")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_dir({"XDG_STATE_HOME": "relative"}) == tmp_path / ".local/state/maillab-tui"
    assert state_dir({}) == tmp_path / ".local/state/maillab-tui"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "s"))
    assert default_progress_dir() == tmp_path / "s/maillab-tui/progress"


def test_a_new_learner_starts_with_nothing(tmp_path: Path) -> None:
    loaded = store(tmp_path).load("mail-server", "host1", "abc")
    assert not loaded.existed and loaded.notice is None
    assert loaded.progress.chapter_hash == "abc"
    assert loaded.progress.state("install-postfix") is StepState.NOT_STARTED


def test_save_and_restore(tmp_path: Path) -> None:
    s = store(tmp_path)
    progress = s.load("mail-server", "host1", "abc").progress
    progress.platform, progress.language = "almalinux9", "ja"
    path = s.record(progress, "install-postfix", StepState.DONE)
    s.record(progress, "postfix-boot-order", StepState.SKIPPED)
    s.record(progress, "postfix-main-cf", StepState.FAILED, "postconf.value-differs")
    s.move_to(progress, "postfix-main-cf")
    assert path == tmp_path / "progress/mail-server-host1.json"
    data = json.loads(path.read_text())
    assert data["steps"]["install-postfix"] == {"state": "done",
                                                "time": "2025-04-10T09:30:00+09:00"}
    assert data["current_step"] == "postfix-main-cf" and data["host"] == "host1"
    again = store(tmp_path).load("mail-server", "host1", "abc")
    assert again.existed and again.notice is None and not again.chapter_changed
    p = again.progress
    assert p.current_step == "postfix-main-cf" and p.language == "ja" and p.platform == "almalinux9"
    assert p.finished("install-postfix") and p.finished("postfix-boot-order")
    assert p.state("postfix-main-cf") is StepState.FAILED
    assert p.steps["postfix-main-cf"].note == "postconf.value-differs"
    assert [f.name for f in (tmp_path / "progress").iterdir()] == ["mail-server-host1.json"]


def test_saves_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = store(tmp_path)
    progress = s.load("c", "host1").progress
    s.record(progress, "a", StepState.DONE)
    before = s.path_for("c", "host1").read_text()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("maillab_tui.lab.progress.os.replace", broken_replace)
    with pytest.raises(OSError):
        s.record(progress, "b", StepState.DONE)
    assert s.path_for("c", "host1").read_text() == before          # the old file is intact
    assert [p.name for p in (tmp_path / "progress").iterdir()] == ["c-host1.json"]  # no temp left


@pytest.mark.parametrize("content", ["{not json", "[]", '{"format": 99}',
                                     '{"format": 1, "chapter": "c", "host": "host1", '
                                     '"steps": {"a": {"state": "bogus"}}}',
                                     '{"format": 1, "chapter": "other", "host": "host1"}'])
def test_a_broken_file_is_moved_aside_and_reported(tmp_path: Path, content: str) -> None:
    s = store(tmp_path)
    path = s.path_for("c", "host1")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    loaded = s.load("c", "host1")
    assert loaded.moved_aside == path.with_name("c-host1.json.broken-20250410-093000")
    assert loaded.moved_aside.read_text() == content
    assert not path.exists()
    assert loaded.notice is not None and "壊れて" in loaded.notice.ja
    assert str(loaded.moved_aside) in loaded.notice.en
    assert loaded.progress.steps == {}
    # a second broken file the same second gets its own name
    path.write_text(content)
    second = s.load("c", "host1").moved_aside
    assert second == path.with_name("c-host1.json.broken-20250410-093000-2")


def test_a_changed_chapter_is_noticed(tmp_path: Path) -> None:
    s = store(tmp_path)
    progress = s.load("c", "host1", "old").progress
    s.record(progress, "a", StepState.DONE)
    loaded = s.load("c", "host1", "new")
    assert loaded.chapter_changed and loaded.notice is not None
    assert loaded.progress.finished("a") and loaded.progress.chapter_hash == "new"


def test_last_host_is_the_newest_file(tmp_path: Path) -> None:
    s = store(tmp_path)
    assert s.last_host("c", ["host1", "host2"]) is None
    s.save(Progress("c", "host2"))
    s.save(Progress("c", "host1"))
    os.utime(s.path_for("c", "host1"), (1, 1))
    assert s.last_host("c", ["host1", "host2"]) == "host2"


def test_no_secret_is_ever_written(tmp_path: Path) -> None:
    s = store(tmp_path, secrets=["userpass"])
    progress = s.load("c", "host1").progress
    s.record(progress, "create-user", StepState.FAILED, "passwd said userpass")
    assert "userpass" not in s.path_for("c", "host1").read_text()


def test_file_names_are_safe(tmp_path: Path) -> None:
    assert store(tmp_path).path_for("../x", "h/1").name == ".._x-h_1.json"
