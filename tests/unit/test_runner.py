"""The runner with real processes under real ptys: output, dialogues, passwords, captures, once."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from maillab_tui.chapter.parser import load_chapter
from maillab_tui.run import (
    BlockSkipped,
    DialogueProgress,
    PasswordPrompt,
    PasswordTyped,
    Runner,
    Target,
    Timing,
    Transcript,
    ValueCaptured,
    run_foreground,
)
from tests.unit.runner_support import Recorder, block, dialogue, fake, in_thread, wait_for

SECRET = "s3cret-pass"  # the chapter's secret variable `password`


@pytest.fixture
def transcript(tmp_path: Path) -> Transcript:
    return Transcript(tmp_path / "transcript.jsonl")


def make_runner(transcript: Transcript | None = None, target: Target | None = None,
                **settings: object) -> Runner:
    settings.setdefault("timing", Timing(expect=10))
    return Runner(target or Target(), values={"password": SECRET, "user": "user1"},
                  secrets=[SECRET], secret_names=["password"], transcript=transcript,
                  chapter_id="tiny", host="host1", source="ja.md", **settings)  # type: ignore[arg-type]


def assert_secret_nowhere(secret: str, recorder: Recorder, transcript: Transcript,
                          *results: object) -> None:
    assert secret not in recorder.everything()
    assert secret.encode() not in transcript.path.read_bytes()
    for result in results:
        assert secret not in repr(result)


# -- plain commands ---------------------------------------------------------------------


def test_runner_for_a_chapter_runs_its_blocks(fixtures: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    chapter = load_chapter(fixtures / "chapters" / "good.md")
    runner = Runner.for_chapter(chapter, "host1", "debian12", Target(learner="user1"),
                                autopilot=True)
    assert runner.values["peer_user"] == "user2" and SECRET in runner.secrets
    step = chapter.step("user")
    result = runner.run_block(block("echo {{ password }} {{ fqdn }}"), step=step.id)
    assert result.output == ("******** mail.example1.jp",)
    [record] = Transcript.for_chapter("tiny", "host1").records()
    assert record["step"] == "user" and record["chapter"] == "tiny" and record["host"] == "host1"
    assert (tmp_path / "maillab-tui" / "transcripts" / "tiny-host1.jsonl").is_file()


def test_failing_command_streams_stdout_and_stderr_in_order(transcript: Transcript) -> None:
    recorder = Recorder()
    result = make_runner(transcript).run_block(
        block("sh -c 'echo a; echo b >&2; exit 3'"), recorder, step="s1")
    assert recorder.lines == ["a", "b"]
    assert result.status == "failed" and result.exit_code == 3 and not result.ok
    assert result.output == ("a", "b") and 0 < result.duration < 5
    assert result.message is not None and "3" in result.message.en
    [record] = transcript.records()
    assert record["status"] == "failed" and record["exit_code"] == 3 and record["step"] == "s1"
    assert record["output"] == ["a", "b"] and record["command"].startswith("sh -c")


def test_output_arrives_in_batches_of_at_most_100_lines() -> None:
    recorder = Recorder()
    result = make_runner().run_block(block("seq 1 1000"), recorder)
    assert result.ok
    assert recorder.lines == [str(i) for i in range(1, 1001)]
    assert all(len(batch) <= 100 for _, batch in recorder.batches)
    assert len(recorder.batches) >= 10


def test_output_is_streamed_while_the_command_runs() -> None:
    recorder = Recorder()
    started = time.monotonic()
    make_runner().run_block(block("for i in 1 2 3 4 5; do echo $i; sleep 0.2; done"), recorder)
    ended = time.monotonic()
    assert recorder.lines == ["1", "2", "3", "4", "5"]
    assert len(recorder.batches) >= 4
    assert recorder.batches[0][0] - started < 0.6 < ended - started


def test_commands_run_under_a_terminal_with_sane_settings() -> None:
    recorder = Recorder()
    result = make_runner(cols=100).run_block(
        block("test -t 1 && test -t 2 && echo tty; echo TERM=$TERM; stty size"), recorder)
    assert result.output == ("tty", "TERM=dumb", "40 100")


def test_variables_are_expanded_as_shell_words() -> None:
    runner = make_runner()
    runner.values["subject"] = "it's $HOME"
    result = runner.run_block(block("printf '%s\\n' {{ subject }} {{ user }}"))
    assert result.output == ("it's $HOME", "user1")


def test_undefined_variable_is_a_clear_error() -> None:
    result = make_runner().run_block(block("echo {{ nothing }}"))
    assert result.status == "error" and result.message is not None
    assert "{{ nothing }}" in result.message.en and "ja.md:10" in result.message.en


def test_a_prompt_without_newline_is_shown_and_can_be_answered() -> None:
    runner = make_runner()
    run = runner.start(block("printf 'Continue? [Y/n] '; read answer; echo got $answer"))
    recorder = Recorder(on_wait=lambda partial: run.write("y\r"))
    run.listener = recorder
    result = run.execute()
    assert recorder.waiting == ["Continue? [Y/n] "]
    assert result.ok and result.output[-1] == "got y"


def test_missing_program_fails_like_a_shell() -> None:
    result = make_runner().run_block(block("no-such-program-here --version"))
    assert result.status == "failed" and result.exit_code == 127
    assert "not found" in result.output[-1]


# -- sudo -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_sudo_asks_the_listener_once_then_remembers(lang: str, transcript: Transcript) -> None:
    runner = make_runner(transcript)
    recorder = Recorder(passwords=["maillab"])
    sudo = fake("fake_sudo", *(["--ja"] if lang == "ja" else []))
    first = runner.run_block(block(f"{sudo} echo one"), recorder)
    second = runner.run_block(block(f"{sudo} echo two"), recorder)
    assert first.ok and second.ok and first.output[-1] == "one" and second.output[-1] == "two"
    [prompt] = recorder.prompts
    assert prompt.is_sudo and prompt.user == "admin" and prompt.attempt == 1
    assert any(isinstance(e, PasswordTyped) and e.source == "remembered" for e in recorder.events)
    assert_secret_nowhere("maillab", recorder, transcript, first, second)


def test_wrong_sudo_password_is_asked_again(transcript: Transcript) -> None:
    recorder = Recorder(passwords=["wrong-one", "maillab"])
    result = make_runner(transcript).run_block(block(f"{fake('fake_sudo')} echo fine"), recorder)
    assert result.ok and [p.attempt for p in recorder.prompts] == [1, 2]
    assert "Sorry, try again." in result.output
    assert_secret_nowhere("wrong-one", recorder, transcript, result)
    assert_secret_nowhere("maillab", recorder, transcript, result)


def test_time_at_a_password_prompt_does_not_count_against_the_timeout() -> None:
    class SlowLearner(Recorder):
        def on_password_prompt(self, prompt: PasswordPrompt) -> str | None:
            time.sleep(2.5)  # the learner takes longer than the block's whole timeout
            return "maillab"

    result = make_runner().run_block(block(f"{fake('fake_sudo')} echo done", timeout=2.0),
                                     SlowLearner())
    assert result.ok and result.output[-1] == "done"


def test_sudo_without_a_terminal_is_explained() -> None:
    result = make_runner().run_block(block(
        "echo 'sudo: a terminal is required to read the password; either use the -S option'"
        "; exit 1"))
    assert result.status == "failed" and result.message is not None
    assert "su --pty" in result.message.en and "su --pty" in result.message.ja


def test_declining_the_sudo_password_cancels() -> None:
    result = make_runner().run_block(block(f"{fake('fake_sudo')} echo never"), Recorder())
    assert result.status == "cancelled" and "never" not in result.output


# -- passwords --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja", "rhel"])
def test_password_block_types_the_chapter_secret_in_autopilot(
        lang: str, tmp_path: Path, transcript: Transcript) -> None:
    got = tmp_path / "got"
    recorder = Recorder()
    passwd = fake("fake_passwd", "--lang", lang, "--record", str(got))
    result = make_runner(transcript, autopilot=True).run_block(
        block(f"{passwd} {{{{ user }}}}", kind="password", secret="password"), recorder)
    assert result.ok, result
    assert got.read_text() == SECRET
    assert recorder.prompts == []  # autopilot: nobody was asked
    typed = [e.source for e in recorder.events if isinstance(e, PasswordTyped)]
    assert typed == ["autopilot", "retype"]
    assert_secret_nowhere(SECRET, recorder, transcript, result)


def test_password_block_asks_the_learner_once_and_masks_it_afterwards(
        tmp_path: Path, transcript: Transcript) -> None:
    got = tmp_path / "got"
    typed = "Learner-Typed-42"
    runner = make_runner(transcript)
    recorder = Recorder(passwords=[typed])
    result = runner.run_block(
        block(fake("fake_passwd", "--lang", "ja", "--record", str(got)), kind="password"), recorder)
    assert result.ok and got.read_text() == typed
    [prompt] = recorder.prompts
    assert prompt.kind == "new" and prompt.text == "新しい パスワード:"
    assert recorder.waiting == []  # a password prompt is asked for, not shown as input
    echoed = runner.run_block(block(f"echo the password was {typed}"), recorder)
    assert echoed.output == ("the password was ********",)
    assert_secret_nowhere(typed, recorder, transcript, result, echoed)


def test_current_password_prompt_goes_to_the_learner(tmp_path: Path) -> None:
    recorder = Recorder(passwords=["old-one-1", "new-one-2"])
    result = make_runner(autopilot=True).run_block(
        block(fake("fake_passwd", "--current", "--record", str(tmp_path / "got")),
              kind="password"), recorder)
    assert result.ok
    assert [p.kind for p in recorder.prompts] == ["current"]
    assert (tmp_path / "got").read_text() == SECRET


# -- dialogues --------------------------------------------------------------------------

MAIL_TURNS = (
    ("expect", "Subject:"), ("send", "Hello {{ user }}"), ("send", "first line"),
    ("send", "^D"), ("expect", r"Send this message \[yes/no, empty: recompose\]\?"),
    ("send", "yes"), ("expect", "EOF"),
)


@pytest.mark.parametrize("mode", ["normal", "redraw"])
def test_mail_dialogue_in_autopilot(mode: str, transcript: Transcript) -> None:
    recorder = Recorder()
    result = make_runner(transcript, autopilot=True).run_block(
        dialogue(fake("fake_mail", mode), *MAIL_TURNS), recorder)
    assert result.ok, result.message
    assert result.output[-1] == "sent: subject=Hello user1; body=first line"
    assert "Subject: Hello user1" in result.output  # redraws cleaned away
    assert not any("\x1b" in line or "\r" in line for line in result.output)
    progress = [e for e in recorder.events if isinstance(e, DialogueProgress)]
    assert [p.line for p in progress] == list(range(21, 28))
    [record] = transcript.records()
    assert record["mode"] == "autopilot" and record["status"] == "ok"


def test_dialogue_fails_clearly_when_the_program_says_something_else() -> None:
    runner = make_runner(autopilot=True, timing=Timing(expect=10, mismatch_idle=0.5))
    started = time.monotonic()
    result = runner.run_block(dialogue(fake("fake_mail", "other"), *MAIL_TURNS), Recorder())
    assert time.monotonic() - started < 8
    assert result.status == "failed" and result.failure is not None
    assert result.failure.line == 25 and result.failure.reason == "different"
    assert result.failure.expected == MAIL_TURNS[4][1]
    assert result.failure.screen[-1] == "Recipient address rejected. Try another address?"
    assert result.message is not None
    assert result.message.en.startswith("ja.md:25: expected /Send this message")
    assert "Recipient address rejected" in result.message.en and "ja.md:25" in result.message.ja
    assert not result.leftovers


def test_dialogue_fails_clearly_when_the_program_stays_silent() -> None:
    runner = make_runner(autopilot=True, timing=Timing(expect=1.0, mismatch_idle=30))
    result = runner.run_block(dialogue(fake("fake_mail", "silent"), *MAIL_TURNS), Recorder())
    assert result.status == "failed" and result.failure is not None
    assert result.failure.reason == "silent" and result.failure.line == 25
    assert 1.0 <= result.failure.waited < 3
    assert result.message is not None and "stayed silent" in result.message.en
    assert not result.leftovers


def test_dialogue_user_and_expectations_take_variables() -> None:
    runner = make_runner(autopilot=True, target=Target(learner="user1"))
    runner.values["who"] = "a.b"  # a literal in an expectation: the dot is not a wildcard
    recorder = Recorder()
    turns = (("expect", "from {{ who }}$"), ("expect", "EOF"))
    assert runner.run_block(dialogue("echo 'from a.b'", *turns, user="{{ user }}"), recorder).ok
    assert recorder.events[0].user == "user1"  # type: ignore[union-attr]
    assert runner.run_block(dialogue("echo 'from axb'", *turns)).status == "failed"
    bad = runner.run_block(dialogue("echo hi", ("expect", "{{ nothing }}"), ("expect", "EOF")))
    assert bad.status == "error" and bad.message is not None
    assert bad.message.en == "ja.md:21: no value for {{ nothing }}"


def test_dialogue_fails_when_the_program_exits_early_and_masks_the_screen() -> None:
    result = make_runner(autopilot=True).run_block(
        dialogue(f"echo 'the password is {SECRET}'; exit 4", ("expect", "Subject:"),
                 ("expect", "EOF")), Recorder())
    assert result.status == "failed" and result.failure is not None
    assert result.failure.reason == "exited" and result.failure.exit_code == 4
    assert result.failure.screen == ("the password is ********",)
    assert SECRET not in repr(result)


def test_dialogue_typing_a_secret_masks_it(tmp_path: Path, transcript: Transcript) -> None:
    recorder = Recorder()
    got = tmp_path / "got"
    result = make_runner(transcript, autopilot=True).run_block(dialogue(
        fake("fake_passwd", "--lang", "ja", "--record", str(got)),
        ("expect", "(New|新しい) ?password:|新しい パスワード:"), ("send", "{{ password }}"),
        ("expect", "Retype|再入力"), ("send", "{{ password }}"), ("expect", "EOF")), recorder)
    assert result.ok and got.read_text() == SECRET
    sent = [e.sent for e in recorder.events if isinstance(e, DialogueProgress) and e.sent]
    assert sent == ["********", "********"]
    assert_secret_nowhere(SECRET, recorder, transcript, result)


def test_sudo_inside_a_dialogue_is_answered_by_the_learner(tmp_path: Path) -> None:
    recorder = Recorder(passwords=["maillab"])
    got = tmp_path / "got"
    result = make_runner(autopilot=True).run_block(dialogue(
        f"{fake('fake_sudo')} " + fake("fake_passwd", "--record", str(got)),
        ("expect", "New password:"), ("send", "{{ password }}"),
        ("expect", "Retype"), ("send", "{{ password }}"), ("expect", "EOF")), recorder)
    assert result.ok and got.read_text() == SECRET
    assert [p.kind for p in recorder.prompts] == ["sudo"]


# -- interactive ------------------------------------------------------------------------


def test_interactive_run_exposes_the_terminal() -> None:
    runner = make_runner()
    recorder = Recorder()
    run = runner.start(block("read line; echo got:$line; read x; stty size"), recorder,
                       interactive=True)
    thread, out = in_thread(run)
    wait_for(lambda: run.pid is not None)
    run.write("hello\r")
    wait_for(lambda: "got:hello" in recorder.screen())
    run.resize(30, 90)
    run.write("\r")
    thread.join(10)
    result = out["result"]
    assert result.ok and result.mode == "interactive"  # type: ignore[attr-defined]
    assert result.output[-1] == "30 90"  # type: ignore[attr-defined]
    assert recorder.batches == []  # interactive output comes as raw chunks


def test_interactive_dialogue_is_the_default_for_learners() -> None:
    runner = make_runner()
    run = runner.start(dialogue("cat", ("expect", "x"), ("expect", "EOF")), Recorder())
    assert run.mode == "interactive"
    assert make_runner(autopilot=True).start(run.block).mode == "autopilot"


def test_keys_typed_at_a_password_prompt_become_secret(transcript: Transcript) -> None:
    runner = make_runner(transcript)
    recorder = Recorder()
    run = runner.start(block(fake("fake_passwd", "--lang", "en")), recorder, interactive=True)
    thread, out = in_thread(run)
    wait_for(lambda: "New password:" in recorder.screen())
    run.write("Typed-By-Hand-7\r")
    wait_for(lambda: "Retype" in recorder.screen())
    run.write("Typed-By-Hand-7\r")
    thread.join(10)
    assert out["result"].ok  # type: ignore[attr-defined]
    echoed = runner.run_block(block("echo Typed-By-Hand-7"), recorder)
    assert echoed.output == ("********",)
    assert_secret_nowhere("Typed-By-Hand-7", recorder, transcript, echoed)


# -- captures and once ------------------------------------------------------------------


def test_captured_values_feed_later_blocks(transcript: Transcript) -> None:
    runner = make_runner(transcript)
    recorder = Recorder()
    mount = block("echo '/dev/sr0 on /media/cdrom type iso9660 (ro)'",
                  captures={"mnt": r"on (/\S+) type"})
    result = runner.run_block(mount, recorder)
    assert result.ok and dict(result.captured) == {"mnt": "/media/cdrom"}
    assert ValueCaptured("mnt", "/media/cdrom") in recorder.events
    later = runner.run_block(block("ls -d {{ mnt }}x || echo {{ mnt }}"))
    assert later.output[-1] == "/media/cdrom"
    assert next(transcript.records())["captured"] == {"mnt": "/media/cdrom"}


def test_missing_capture_names_the_variable_and_regex() -> None:
    mount = block("echo nothing here", captures={"mnt": r"on (/\S+) type"})
    result = make_runner().run_block(mount)
    assert result.status == "failed" and result.message is not None
    assert "{{ mnt }}" in result.message.en and r"on (/\S+) type" in result.message.en


def test_secret_captures_are_masked_in_records(transcript: Transcript) -> None:
    runner = make_runner(transcript)
    runner.run_block(block("echo token=Tok-123-xyz", captures={"password": "token=(\\S+)"}))
    assert runner.values["password"] == "Tok-123-xyz"
    assert b"Tok-123-xyz" not in transcript.path.read_bytes()


def test_once_with_a_test_that_succeeds_skips_the_block(transcript: Transcript) -> None:
    recorder = Recorder()
    result = make_runner(transcript).run_block(
        block("echo creating {{ user }}", once="test -n {{ user }}"), recorder)
    assert result.status == "skipped" and result.ok
    assert result.output == () and recorder.lines == []
    [skipped] = [e for e in recorder.events if isinstance(e, BlockSkipped)]
    assert "test -n user1" in skipped.message.en and "echo creating user1" in skipped.message.ja
    assert "すでに" in skipped.message.ja
    assert next(transcript.records())["status"] == "skipped"


def test_once_with_a_test_that_fails_runs_the_block() -> None:
    result = make_runner().run_block(block("echo creating", once="false"))
    assert result.ok and result.output == ("creating",)


def test_once_true_skips_what_the_record_shows_done(transcript: Transcript) -> None:
    runner = make_runner(transcript)
    once = block("echo only once", once=True, block_id="create-user")
    assert runner.run_block(once).output == ("only once",)
    assert runner.run_block(once).status == "skipped"
    failing = block("exit 1", once=True)
    assert runner.run_block(failing).status == "failed"
    assert runner.run_block(failing).status == "failed"  # a failure does not count as done


# -- other users and the real terminal --------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="su to another user without a password needs root")
def test_run_as_another_user_with_a_login_environment() -> None:
    runner = Runner(Target(learner="root", learner_is_root=True, su_options=("-s", "/bin/sh")))
    result = runner.run_block(block('id -un; echo "HOME=$HOME"', user="nobody"))
    assert result.ok, result
    assert result.output[-2:] == ("nobody", "HOME=/nonexistent")  # after su's warning about it


def test_edit_and_terminal_blocks_go_to_the_real_terminal(tmp_path: Path) -> None:
    target = tmp_path / "main.cf"
    recorder = Recorder(terminal=lambda request: run_foreground(request.argv))
    runner = Runner(Target(learner="root", learner_is_root=True), editor_env={"VISUAL": "touch"})
    edit = block(f"sudo vi {target}", kind="edit", file=str(target))
    result = runner.run_block(edit, recorder)
    assert result.ok and target.exists()
    assert recorder.requests[0].argv == ("touch", str(target))
    failing = runner.run_block(block("exit 3", kind="terminal"), recorder)
    assert failing.status == "failed" and failing.exit_code == 3
    declined = runner.run_block(block("true", kind="terminal"), Recorder())
    assert declined.status == "cancelled" and declined.terminal is not None


def test_autopilot_never_opens_the_terminal() -> None:
    recorder = Recorder(terminal=lambda request: 0)
    result = Runner(Target(), autopilot=True).run_block(block("vi /tmp/x", kind="edit"), recorder)
    assert result.status == "error" and recorder.requests == []
    assert result.message is not None and "solve" in result.message.en


def test_a_command_holding_a_secret_is_on_no_command_line(transcript: Transcript) -> None:
    # sudo logs command lines and ps shows them: the secret travels in a private file instead
    code = ('python3 - <<PY\nimport os\n'
            'pids = (os.getpid(), os.getppid())\n'
            'lines = [open(f"/proc/{p}/cmdline", "rb").read() for p in pids]\n'
            f'print("LEAK" if any(b"{SECRET}" in l for l in lines) else "CLEAN")\n'
            'print(os.environ.get("MAILLAB_COMMAND", "gone"))\nPY\necho "done {{ password }}"')
    runner = make_runner(transcript)
    recorder = Recorder()
    result = runner.run_block(block(code), recorder)
    assert result.ok, result
    assert "CLEAN" in result.output and "LEAK" not in result.output
    assert "gone" in result.output          # not in the environment of what it runs
    assert "done ********" in result.output  # and it ran the whole command, masked as ever
    assert_secret_nowhere(SECRET, recorder, transcript, result)


def test_the_secret_path_as_another_user_passes_the_command_through_su() -> None:
    argv = Target(learner="admin", learner_is_root=False).argv("echo hi", "user1", script_fd=7)
    assert "echo hi" not in " ".join(argv)
    # the file is sudo's standard input: sudo logs command lines and the variables it keeps
    assert argv[:3] == ["/bin/bash", "-c", 'exec 0<&7 7<&-; exec "$@"']
    assert argv[4:] == ["sudo", "su", "-", "user1", "-c", 'c=$(cat; echo .); eval "${c%.}"']
