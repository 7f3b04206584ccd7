"""Helpers for the Pilot and snapshot tests: a fixture chapter, a fake check library, an app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from maillab_tui.chapter import Chapter, load_chapter
from maillab_tui.checking.api import (
    BUILTIN,
    CheckDef,
    Context,
    Library,
    Param,
    Result,
    failed,
    passed,
)
from maillab_tui.checking.api import t as text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CHAPTER_DIR = FIXTURES / "chapters" / "lab-ui"
JST = dt.timezone(dt.timedelta(hours=9))
FIXED_TIME = dt.datetime(2025, 4, 10, 9, 30, 0, tzinfo=JST)

LOG_LINES = [
    "2025-04-10T09:28:01.000000+09:00 mail postfix/postfix-script[801]: starting the Postfix "
    "mail system",
    "2025-04-10T09:28:01.100000+09:00 mail postfix/master[803]: daemon started -- version 3.7.11",
    "2025-04-10T09:28:40.000000+09:00 mail postfix/smtpd[900]: connect from "
    "mail.example2.jp[192.168.56.102]",
    '2025-04-10T09:28:40.100000+09:00 mail postfix/smtpd[900]: warning: unknown smtpd restriction: '
    '"reject_unauth_destinaition"',
    "2025-04-10T09:28:40.200000+09:00 mail postfix/smtpd[900]: NOQUEUE: reject: RCPT from "
    "mail.example2.jp[192.168.56.102]: 451 4.3.5 Server configuration error; "
    "from=<user2@mail.example2.jp> to=<user1@example1.jp> proto=ESMTP helo=<mail.example2.jp>",
    "2025-04-10T09:29:02.000000+09:00 mail postfix/smtp[905]: 3F2A1: to=<user2@example2.jp>, "
    "relay=mail.example2.jp[192.168.56.102]:25, delay=0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
    "2025-04-10T09:29:05.000000+09:00 mail postfix/smtp[906]: 4B7C2: to=<user2@example2.jp>, "
    "relay=none, delay=30, status=deferred (connect to mail.example2.jp[192.168.56.102]:25: "
    "No route to host)",
    "2025-04-10T09:29:30.000000+09:00 mail dovecot: imap-login: Login: user=<user1>, "
    "method=PLAIN, rip=192.168.56.102, lip=192.168.56.101",
]


class Flags:
    """What the fake `flag` check says: a name passes once it is set."""

    def __init__(self) -> None:
        self.set: set[str] = set()
        self.calls: dict[str, int] = {}
        self.pass_after: dict[str, int] = {}

    def check(self, ctx: Context, name: str) -> Result:
        self.calls[name] = self.calls.get(name, 0) + 1
        after = self.pass_after.get(name)
        if name in self.set or (after is not None and self.calls[name] >= after):
            return passed(text(f"{name} は済んでいます", f"{name} is done"))
        from maillab_tui.checking.api import Diagnosis

        return failed(text(f"{name} がまだです", f"{name} is not done yet"),
                      [f"flag {name}: unset"],
                      Diagnosis("flag.unset", text(f"{name} のコマンドを実行していません",
                                                   f"the {name} command was not run")))


def fake_library(flags: Flags) -> Library:
    """A check library with `flag` (and the built-in shell check)."""
    params = MappingProxyType({"name": Param(str, required=True)})
    definition = CheckDef("flag", "a test flag", params, flags.check)
    return Library({**BUILTIN, "flag": definition}, [])


def chapter(language: str = "ja") -> Chapter:
    """The fixture chapter in a language."""
    return load_chapter(CHAPTER_DIR / f"{language}.md", language)


@pytest.fixture
def flags() -> Flags:
    return Flags()


@pytest.fixture(autouse=True)
def isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Transcripts and progress never land in the real home directory."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.delenv("VISUAL", raising=False)
    yield


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    """A fake mail log with a few lines of every kind."""
    path = tmp_path / "maillog"
    path.write_text("\n".join(LOG_LINES) + "\n", encoding="utf-8")
    return path


def lab_runner(chapter: Chapter, host: str, platform: str) -> Any:
    """The real runner, recording no transcript."""
    from maillab_tui.run import Runner

    return Runner.for_chapter(chapter, host, platform, record=False)


@pytest.fixture
def make_app(tmp_path: Path, flags: Flags, log_file: Path) -> Callable[..., Any]:
    """An app on the fixture chapter, host1 on Debian, with everything injected."""
    def make(language: str = "ja", **overrides: Any) -> Any:
        settings: dict[str, Any] = {
            "host": "host1", "platform": "debian12", "language": language,
            "library": fake_library(flags), "runner_factory": lab_runner,
            "progress_dir": tmp_path / "progress", "log_path": log_file,
            "clock": lambda: FIXED_TIME, "check_factor": 1.0,
        }
        settings.update(overrides)
        return new_app(chapter(language), **settings)

    return make


APP_SETTINGS = ("log_path", "follow_log", "log_max_lines", "log_history")


def new_app(chapter: Chapter, **settings: Any) -> Any:
    """A LabApp on a LabSession: the app's own settings go to the app, the rest to the session."""
    from maillab_tui.lab.session import LabSession
    from maillab_tui.ui.app import LabApp

    own = {k: settings.pop(k) for k in APP_SETTINGS if k in settings}
    return LabApp(LabSession(chapter, **settings), **own)


def screen_text(app: Any) -> str:
    """The screen as plain text, the way the learner sees it (for assertions and for reading)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens, simplify=True))
    return console.export_text()


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition` holds (fails the test after `timeout` seconds)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.05)
