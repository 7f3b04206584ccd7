"""Every step of the bundled chapter renders at 80x24 and 160x48, in both languages and themes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from maillab_tui.chapter import load_chapter
from maillab_tui.ui.widgets.stepview import CommandCard
from tests.ui.conftest import (
    FIXED_TIME,
    Flags,
    fake_library,
    lab_runner,
    new_app,
    screen_text,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("size", "platform", "host"), [((80, 24), "debian12", "host1"),
                                                        ((160, 48), "almalinux9", "host2")])
async def test_every_step_renders(tmp_path: Path, log_file: Path, size: tuple[int, int],
                                  platform: str, host: str) -> None:
    chapter = load_chapter("mail-server", "ja")
    app = new_app(chapter, host=host, platform=platform, language="ja", free=True,
                  library=fake_library(Flags()), runner_factory=lab_runner,
                  progress_dir=tmp_path / "progress", log_path=log_file, clock=lambda: FIXED_TIME)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.ready and bool(app.query(".step-title")))
        for index, step in enumerate(app.steps):
            app._try_goto(index)
            await wait_for(pilot, lambda step=step: app.step.id == step.id)
            await pilot.pause(0.05)
            text = screen_text(app)
            assert step.title[:6] in text, step.id
            for card in app.query(CommandCard):
                # every variable is filled in, except values captured by earlier commands
                leftover = card.command.replace("{{ dvd }}", "").replace("{{ snail }}", "")
                assert "{{" not in leftover, (step.id, card.command)
                assert "userpass" not in card.command
        assert not app._exception


async def test_no_color_and_light_theme(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.ready and bool(app.query(".step-title")))
        assert app.no_color
        app.theme = "textual-light"
        await pilot.press("n")
        await wait_for(pilot, lambda: app.step.id == "hello")
        await pilot.press("c")
        await wait_for(pilot, lambda: "✘ 不合格" in screen_text(app))
        text = screen_text(app)
        assert "[警告]" in text or "[拒否]" in text or "[ログイン]" in text  # words, not colour
        assert "✘" in text


@pytest.mark.parametrize(("pattern", "shown"), [
    ("(New|新しい) ?(password|パスワード):|新しいパスワード:", "New password:"),
    ("(Retype|再入力)", "Retype"),
    (r"Send this message \[yes/no, empty: recompose\]\?",
     "Send this message [yes/no, empty: recompose]?"),
    ("Subject:", "Subject:"),
])
def test_dialogue_expectations_read_as_the_screen_shows_them(pattern: str, shown: str) -> None:
    from maillab_tui.ui.widgets.stepview import readable_pattern

    assert readable_pattern(pattern) == shown
