"""Snapshots of the main screen: Japanese and English, 80x24 and 160x48, a failed check shown.

Deterministic: a fixed clock, a fixed fake log (named relative to a temporary directory), a
fake check library, fresh progress (so no notification is on screen).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from maillab_tui.lab.progress import StepState
from maillab_tui.ui.widgets.logview import LogPane
from maillab_tui.ui.widgets.stepview import CheckRow
from tests.ui.conftest import LOG_LINES, wait_for


@pytest.fixture
def snapshot_app(make_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    work = tmp_path / "lab"
    work.mkdir()
    (work / "maillog").write_text("\n".join(LOG_LINES) + "\n", encoding="utf-8")
    monkeypatch.chdir(work)

    def make(language: str) -> Any:
        return make_app(language, log_path=Path("maillog"))

    return make


async def on_the_hello_step_after_a_failed_check(pilot: Any) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.ready and bool(app.query(".step-title")))
    view = app.query_one(LogPane).view
    await wait_for(pilot, lambda: view.line_count >= len(LOG_LINES) + 1)
    await pilot.press("n")
    await wait_for(pilot, lambda: app.step.id == "hello" and bool(app.query(CheckRow)))
    await pilot.press("c")
    await wait_for(pilot, lambda: app.progress.state("hello") is StepState.FAILED)
    app.clear_notifications()
    await pilot.pause(0.3)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_main_screen(snap_compare: Any, snapshot_app: Any, language: str,
                     size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app(language), terminal_size=size,
                        run_before=on_the_hello_step_after_a_failed_check)
