"""Pilot tests of the lab screen at 80x24 and 160x48: steps, gates, runs, passwords, log."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Log, OptionList

from maillab_tui.lab.progress import StepState
from maillab_tui.ui.screens import ConfirmScreen, ExplainScreen, HelpScreen, PasswordScreen
from maillab_tui.ui.widgets.logview import LogPane, MailLogView
from maillab_tui.ui.widgets.stepview import CheckRow, CommandCard
from tests.ui.conftest import Flags, screen_text, wait_for

SIZES = [(80, 24), (160, 48)]


def step_id(app: Any) -> str:
    return app.step.id


async def started(app: Any, pilot: Any) -> None:
    """Until the first step is on screen."""
    await wait_for(pilot, lambda: app.ready and bool(app.query(".step-title")))
    await pilot.pause()


async def go_to(app: Any, pilot: Any, target: str) -> None:
    """Jump to a step (free mode apps only) and wait until it is rendered."""
    ids = [s.id for s in app.steps]
    app._try_goto(ids.index(target))
    await wait_for(pilot, lambda: app.step.id == target)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", SIZES)
async def test_navigation_between_steps(make_app: Any, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        assert step_id(app) == "intro"
        text = screen_text(app)
        assert "1/8" in text and "はじめに" in text
        assert "mail.example1.jp" in text and "（192.168.56.101）" in text  # variables filled in
        await pilot.press("n")                                       # a step without checks
        await wait_for(pilot, lambda: step_id(app) == "hello")
        await pilot.pause(0.2)
        assert 'echo "hello from mail.example1.jp"' in screen_text(app)
        assert app.progress.state("intro") is StepState.DONE         # read steps count as done
        await pilot.press("p")
        await wait_for(pilot, lambda: step_id(app) == "intro")
        # the step list (a toggle on narrow screens) moves too
        if size[0] < 120:
            assert not app.query_one("#steps").display
            await pilot.press("t")
            assert app.query_one("#steps").display
        steps = app.query_one("#steps", OptionList)
        steps.focus()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: step_id(app) == "hello")
        # the hard gate keeps the list from jumping past an unchecked step
        await pilot.press("down", "down", "enter")
        await pilot.pause(0.2)
        assert step_id(app) == "hello"


@pytest.mark.parametrize("size", SIZES)
async def test_hard_gate_failed_then_passed_check(make_app: Any, flags: Flags,
                                                  size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: step_id(app) == "hello")
        await pilot.pause(0.2)
        next_button = app.query_one("#next-button", Button)
        assert next_button.disabled                                   # Next disabled: hard gate
        assert app.check_action("next", ()) is None                   # dimmed in the footer
        await pilot.press("n")
        await pilot.pause(0.2)
        assert step_id(app) == "hello"                                # n did not move on...
        assert "合格するまで次へ進めません" in screen_text(app)          # ...and the bar says why
        await pilot.press("c")                                        # fails: the flag is unset
        await wait_for(pilot, lambda: app.progress.state("hello") is StepState.FAILED)
        row = app.query_one(CheckRow)
        assert row.outcome is not None and str(row.outcome.status) == "fail"
        rendered = str(row.render())
        assert "✘ 不合格" in rendered and "hello がまだです" in rendered
        assert "原因: hello のコマンドを実行していません" in rendered
        assert "ヒント: もう一度コマンドを実行してください。" in rendered
        assert next_button.disabled
        flags.set.add("hello")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.progress.state("hello") is StepState.DONE)
        assert "✔ 合格" in str(row.render())
        assert not next_button.disabled
        assert app.check_action("next", ()) is True
        await pilot.press("n")
        await wait_for(pilot, lambda: step_id(app) == "slow")


async def test_a_waiting_check_shows_that_it_waits(make_app: Any, flags: Flags) -> None:
    flags.pass_after["slow"] = 12                                   # passes after ~2.4 s
    app = make_app(free=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "slow")
        await pilot.press("c")
        await wait_for(pilot, lambda: "待機中" in str(app.query_one(CheckRow).render()))
        assert "/4 秒" in str(app.query_one(CheckRow).render())
        await wait_for(pilot, lambda: app.progress.state("slow") is StepState.DONE)


def sleep_processes() -> list[int]:
    """Processes running `sleep 1000`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if handle.read().split(b"\0")[:2] == [b"sleep", b"1000"]:
                        found.append(int(entry))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("size", SIZES)
async def test_ctrl_c_cancels_a_run_and_leaves_no_child(make_app: Any,
                                                       size: tuple[int, int]) -> None:
    before = set(sleep_processes())
    app = make_app(free=True)
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "sleepy")
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(set(sleep_processes()) - before))
        assert app.active is not None
        assert app.query_one(CommandCard).status_key == "running"
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.active is None, timeout=15)
        assert app.query_one(CommandCard).status_key == "cancelled"
        assert app.is_running                                         # ctrl+c did not quit
        await pilot.press("ctrl+c")                                   # nor with nothing running
        await pilot.pause(0.1)
        assert app.is_running
    assert set(sleep_processes()) - before == set()


@pytest.mark.parametrize("size", SIZES)
async def test_password_modal_never_shows_what_is_typed(make_app: Any,
                                                       size: tuple[int, int]) -> None:
    secret = "hunter2-Zq9"
    app = make_app(free=True)
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "secret")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PasswordScreen))
        await pilot.pause(0.2)
        assert "New password:" in screen_text(app)
        await pilot.press(*secret)
        await pilot.pause(0.1)
        assert app.screen.query_one(Input).value == secret
        seen = screen_text(app)
        assert secret not in seen and "•" * len(secret) in seen
        for widget in app.screen.walk_children():
            assert secret not in str(widget.render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active is None)
        output = app.query_one("#output-log", Log)
        assert any(f"length {len(secret)}" in line for line in output.lines)
        assert all(secret not in line for line in output.lines)
        assert secret not in screen_text(app)
        assert app.query_one(CommandCard).status_key == "ok"
    for path in Path(os.environ["XDG_STATE_HOME"]).rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace")


async def test_password_modal_cancel_stops_the_command(make_app: Any) -> None:
    app = make_app(free=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "secret")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PasswordScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.active is None, timeout=15)
        assert app.query_one(CommandCard).status_key == "cancelled"


async def test_plain_output_streams_into_the_output_pane(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: step_id(app) == "hello" and bool(app.query(CommandCard)))
        await pilot.click("#run-0")
        await wait_for(pilot, lambda: app.query_one(CommandCard).status_key == "ok")
        lines = app.query_one("#output-log", Log).lines
        assert "hello from mail.example1.jp" in lines
        assert "hello from mail.example1.jp" in screen_text(app)


def view(app: Any) -> MailLogView:
    return app.query_one(LogPane).view


@pytest.mark.parametrize("size", SIZES)
async def test_log_pane_follows_appends_and_rotation(make_app: Any, log_file: Path,
                                                    size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        log = view(app)
        await wait_for(pilot, lambda: any("imap-login" in log.text_at(i)
                                          for i in range(log.line_count)))
        kinds = {log.kind_at(i) for i in range(log.line_count)}
        assert {"warning", "reject", "sent", "deferred", "login-ok", "separator"} <= kinds
        text = screen_text(app)
        assert "はじめに（09:30:00 開始）" in text                      # where the step began
        with open(log_file, "a") as handle:
            handle.write("2025-04-10T09:31:00+09:00 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT "
                         "from x[192.168.56.102]: 454 4.7.1 <a@b.jp>: Relay access denied\n")
        await wait_for(pilot, lambda: "Relay access denied" in log.text_at(log.line_count - 1))
        await pilot.pause(0.1)
        assert "[拒否] 09:31:00" in screen_text(app)                  # marked, followed
        os.rename(log_file, log_file.with_name("maillog.1"))
        log_file.write_text("2025-04-10T09:32:00+09:00 mail postfix/master[2]: after rotation\n")
        await wait_for(pilot, lambda: "after rotation" in log.text_at(log.line_count - 1))
        texts = [log.text_at(i) for i in range(log.line_count)]
        assert any("ローテーション" in t for t in texts)
        assert "after rotation" in screen_text(app)


async def test_log_pane_stops_following_when_scrolled_up(make_app: Any, log_file: Path) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        log = view(app)
        with open(log_file, "a") as handle:
            handle.writelines(f"2025-04-10T09:31:00+09:00 mail postfix/smtpd[1]: line {i}\n"
                              for i in range(200))
        await wait_for(pilot, lambda: "line 199" in log.text_at(log.line_count - 1))
        await pilot.pause(0.1)
        assert log.follow and log.scroll_y == log.max_scroll_y
        log.focus()
        await pilot.press("up", "up", "up")
        assert not log.follow
        where = log.scroll_y
        with open(log_file, "a") as handle:
            handle.write("2025-04-10T09:32:00+09:00 mail postfix/smtpd[1]: newest\n")
        await wait_for(pilot, lambda: "newest" in log.text_at(log.line_count - 1))
        assert log.scroll_y == where                                  # stays where the learner is
        assert "スクロール中" in (app.query_one(LogPane).border_subtitle or "")
        await pilot.press("end")
        assert log.follow and log.scroll_y == log.max_scroll_y


async def test_explain_a_log_line(make_app: Any, log_file: Path) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        log = view(app)
        await pilot.press("e")                                        # nothing since the step began
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ExplainScreen)
        with open(log_file, "a") as handle:
            handle.write("2025-04-10T09:31:00+09:00 mail postfix/smtp[9]: 1: "
                         "to=<user2@example2.jp>, status=deferred (host "
                         "mail.example2.jp[192.168.56.102] said: 451 4.3.5 "
                         "Server configuration error (in reply to RCPT TO command))\n")
        await wait_for(pilot, lambda: "451 4.3.5" in log.text_at(log.line_count - 1))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        text = screen_text(app)
        assert "受信側の Postfix" in text and "postqueue -f" in text
        await pilot.press("escape")
        # the cursor picks any line: the 'No route to host' line of the history
        log.focus()
        for _ in range(10):
            await pilot.press("up")
            if log.selected_line() and "No route to host" in log.selected_line():
                break
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        assert "firewall-cmd" in screen_text(app)


async def test_progress_is_saved_and_restored_and_rechecked(make_app: Any, flags: Flags,
                                                           tmp_path: Path) -> None:
    flags.set.update({"hello", "slow"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: step_id(app) == "hello")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.progress.state("hello") is StepState.DONE)
        await pilot.press("n")
        await wait_for(pilot, lambda: step_id(app) == "slow")
    data = json.loads((tmp_path / "progress" / "lab-ui-host1.json").read_text())
    assert data["current_step"] == "slow" and data["steps"]["hello"]["state"] == "done"
    assert data["platform"] == "debian12" and data["language"] == "ja"
    # a reboot undid the work: the restored app re-checks finished steps and says so
    flags.set.clear()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        assert step_id(app) == "slow"                                 # where the learner was
        await wait_for(pilot, lambda: app.progress.state("hello") is StepState.FAILED)
        assert any("再確認" in n.message for n in app._notifications)
        assert app.progress.steps["hello"].note.startswith("recheck")


async def test_a_corrupt_progress_file_is_moved_aside_with_a_notice(make_app: Any,
                                                                   tmp_path: Path) -> None:
    progress = tmp_path / "progress"
    progress.mkdir()
    (progress / "lab-ui-host1.json").write_text("{ this is not json")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        assert step_id(app) == "intro"
        assert any("壊れていた" in n.message for n in app._notifications)
        aside = [p.name for p in progress.iterdir() if ".broken-" in p.name]
        assert aside == ["lab-ui-host1.json.broken-20250410-093000"]
        assert json.loads((progress / "lab-ui-host1.json").read_text())["current_step"] == "intro"


@pytest.mark.parametrize("size", SIZES)
async def test_language_switch(make_app: Any, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: step_id(app) == "hello")
        assert "次へ" in screen_text(app)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.language == "en")
        await wait_for(pilot, lambda: "Run this command." in screen_text(app))
        text = screen_text(app)
        assert step_id(app) == "hello"                                # the same step
        assert "2/8  Hello" in text and "Next" in text and "Check" in text
        assert "次へ" not in text
        assert app.title == "A chapter for testing the screen"
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "show these keys" in screen_text(app) or "Keys" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("f2")
        await wait_for(pilot, lambda: "次のコマンドを実行します。" in screen_text(app))
        assert app.progress.language == "ja"


async def test_skip_runs_the_solution_and_records_skipped(make_app: Any) -> None:
    app = make_app(free=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "hello")
        await go_to(app, pilot, "optional")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.progress.state("optional") is StepState.SKIPPED)
        assert "solved by the lab" in app.query_one("#output-log", Log).lines
        assert app.progress.state("optional") is not StepState.DONE


async def test_soft_gate_lets_the_learner_on_with_a_warning(make_app: Any) -> None:
    app = make_app(free=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "optional")
        app.session.free = False
        app.update_gate()
        assert not app.query_one("#next-button", Button).disabled
        await pilot.press("n")
        await wait_for(pilot, lambda: step_id(app) == "talk")
        assert any("先に進めます" in n.message for n in app._notifications)


async def test_host_role_is_asked_and_remembered(make_app: Any, tmp_path: Path) -> None:
    from maillab_tui.ui.screens import ChoiceScreen

    app = make_app(host=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await wait_for(pilot, lambda: "host2" in screen_text(app))
        text = screen_text(app)
        assert "host2 — mail.example2.jp (192.168.56.102)" in text
        await pilot.press("down", "enter")
        await started(app, pilot)
        assert app.session.host == "host2"
    assert (tmp_path / "progress" / "lab-ui-host2.json").exists()
    app = make_app(host=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        assert app.session.host == "host2"  # remembered, not asked


async def test_quit_asks_while_a_command_runs(make_app: Any) -> None:
    app = make_app(free=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "sleepy")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.active is not None and app.active.handle is not None)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause(0.1)
        assert app.is_running and app.active is not None
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running, timeout=15)


async def test_command_palette_lists_the_lab_actions(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for word in ("実行 (r)", "チェック (c)", "次へ (n)", "スキップ (s)", "ログを大きく (>)"):
            assert word in titles
        app.session.language = "en"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Run (r)" in titles and "Check (c)" in titles


async def test_copy_puts_the_exact_command_on_the_clipboard(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: bool(app.query(CommandCard)))
        await pilot.press("y")
        assert app.clipboard == 'echo "hello from mail.example1.jp"'
        assert any("コピーしました" in n.message for n in app._notifications)


@pytest.mark.parametrize(("size", "beside"), [((80, 24), False), ((160, 48), True)])
async def test_layout_keys_resize_and_toggle_the_log(make_app: Any, size: tuple[int, int],
                                                      beside: bool) -> None:
    """Below the step on a small terminal (> and < change its height by 2 rows), beside it on
    a wide one (> makes it wider); l hides it."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        pane = app.query_one(LogPane)
        before = pane.size.width if beside else pane.size.height
        await pilot.press("greater_than_sign")
        await pilot.pause()
        if beside:
            assert pane.size.width > before
            assert pane.region.y == app.query_one("#center").region.y
        else:
            assert pane.size.height == before + 2
            await pilot.press("less_than_sign", "less_than_sign")
            await pilot.pause()
            assert pane.size.height == before - 2
        await pilot.press("l")
        await pilot.pause()
        assert not pane.display


async def test_a_dialogue_runs_the_script_or_lets_the_learner_type(make_app: Any) -> None:
    app = make_app(free=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "talk")
        text = screen_text(app)
        assert "画面: Subject:" in text and "入力: hi from the script" in text
        await pilot.press("r")                                        # autopilot: the script
        await wait_for(pilot, lambda: app.active is None and app.block_status.get(
            ("talk", 0), ("", ""))[0] == "ok", timeout=30)
        output = app.query_one("#output-log", Log)
        assert any("got hi from the script" in line for line in output.lines)
        await pilot.press("i")                                        # the learner drives it
        typed = app.query_one("#interactive-input", Input)
        await wait_for(pilot, lambda: typed.has_focus, timeout=30)
        await wait_for(pilot, lambda: "Subject:" in str(
            app.query_one("#interactive-prompt").render()), timeout=30)
        # the input row is one line: the output above it keeps the pane (it once got one row,
        # and a learner reading mail saw only s-nail's `?`, not the list of messages)
        assert app.query_one("#interactive .row").size.height == 1
        pane = app.query_one("#output")
        assert output.size.height == pane.content_size.height - 2  # all but input and hint
        await pilot.press(*"typed by me", "enter")
        await wait_for(pilot, lambda: app.active is None, timeout=30)
        assert any("got typed by me" in line for line in output.lines), list(output.lines)
        # the program it drives was given the pane's width, not a wider terminal than shown
        # (and the runner's height: the log scrolls, a pane-high terminal would page)
        shown = output.content_size
        assert any(f"got typed by me in 40 {shown.width}" in line
                   for line in output.lines), (shown, list(output.lines))


async def test_an_editor_needs_the_real_terminal(make_app: Any) -> None:
    # Pilot has no terminal to hand over: the lab says so and the step goes on.
    app = make_app(free=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "talk")
        app.query_one("#run-1").focus()
        await pilot.press("r")
        await wait_for(pilot, lambda: app.active is None, timeout=15)
        assert app.block_status[("talk", 1)][0] == "cancelled"
        assert any("端末を切り替えられません" in n.message for n in app._notifications)
        assert app.is_running


async def test_a_failing_solution_is_not_recorded_as_skipped(make_app: Any) -> None:
    from maillab_tui.chapter import CommandBlock

    app = make_app(free=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await go_to(app, pilot, "optional")
        failing = CommandBlock(line=1, code="echo broken; exit 3", solve=True)
        app.session.steps = tuple(replace(s, solve=(failing,)) if s.id == "optional" else s
                                  for s in app.steps)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: any("解答のコマンドが失敗しました" in n.message
                                          for n in app._notifications), timeout=15)
        assert app.progress.state("optional") is StepState.NOT_STARTED


@pytest.mark.parametrize(("size", "steps_shown", "log_beside"), [
    ((80, 24), False, False), ((120, 32), True, False), ((160, 48), True, True)])
async def test_layout_by_width(make_app: Any, size: tuple[int, int], steps_shown: bool,
                               log_beside: bool) -> None:
    """The step keeps room to read: the log goes beside it only from 150 columns."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        steps, step, log = (app.query_one(q) for q in ("#steps", "#step", "#log"))
        assert steps.display is steps_shown
        if log_beside:
            assert log.region.x >= step.region.right and log.region.y == step.region.y
        else:
            assert log.region.y >= step.region.bottom and log.region.width == size[0]
        assert step.region.width >= 60 or size[0] < 110
        await pilot.press("t")  # the step list is a toggle at every width
        await pilot.pause()
        assert steps.display is not steps_shown


async def test_the_layout_follows_the_terminal_when_it_is_resized(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        steps, step, log = (app.query_one(q) for q in ("#steps", "#step", "#log"))
        assert log.region.x >= step.region.right
        await pilot.resize_terminal(120, 32)
        await wait_for(pilot, lambda: log.region.y >= step.region.bottom)
        assert steps.display and log.region.width == 120
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: not steps.display)
        assert "mail.example1.jp" not in (app.sub_title or "")  # the header keeps to the point
