"""Runner parts that need no process: screen cleaning, prompts, targets, transcripts, editors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from maillab_tui.chapter.model import CommandBlock
from maillab_tui.run import LineCleaner, Secrets, Target, Transcript, recognise_prompt, strip_ansi
from maillab_tui.run.foreground import edit_request, run_foreground
from maillab_tui.run.transcript import MAX_RECORD_BYTES, transcript_path

# -- screen -----------------------------------------------------------------------------


def test_cleaner_applies_s_nail_redraws() -> None:
    cleaner = LineCleaner()
    keys = "".join(f"\r\x1b[KSubject: {'Hello'[:i]}" for i in range(6))
    assert cleaner.feed(keys) == []
    assert cleaner.partial == "Subject: Hello"
    assert cleaner.feed("\r\n") == ["Subject: Hello"]
    assert cleaner.partial == ""


def test_cleaner_keeps_escape_sequences_cut_between_chunks() -> None:
    cleaner = LineCleaner()
    assert cleaner.feed("\x1b[1;3") == []
    assert cleaner.feed("1mred\x1b[0m text\x1b") == []
    assert cleaner.feed("]0;title\x07 end\n") == ["red text end"]


def test_cleaner_progress_with_carriage_returns_and_backspace() -> None:
    cleaner = LineCleaner()
    lines = cleaner.feed("Reading 0%\rReading 50%\rReading... Done\r\nab\bc\n")
    assert lines == ["Reading... Done", "ac"]
    assert cleaner.feed("tail") == [] and cleaner.flush() == ["tail"]


def test_strip_ansi() -> None:
    assert strip_ansi("\x1b[31mError\x1b[0m: \x1b]2;t\x07x") == "Error: x"


# -- prompts and secrets ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "user"),
    [
        ("[sudo] password for admin: ", "sudo", "admin"),
        ("[sudo] admin のパスワード: ", "sudo", "admin"),
        ("New password: ", "new", None),
        ("Retype new password: ", "retype", None),
        ("新しい パスワード:", "new", None),
        ("新しい パスワードを再入力してください:", "retype", None),
        ("新しいパスワード:", "new", None),
        ("新しいパスワードを再入力してください:", "retype", None),
        ("Current password: ", "current", None),
        ("Password: ", "other", None),
        ("パスワード: ", "other", None),
    ],
)
def test_password_prompts_are_recognised(line: str, kind: str, user: str | None) -> None:
    prompt = recognise_prompt(line)
    assert prompt is not None and prompt.kind == kind and prompt.user == user


@pytest.mark.parametrize("line", ["Subject: ", "passwd: password updated successfully", "", "$ "])
def test_other_lines_are_not_prompts(line: str) -> None:
    assert recognise_prompt(line) is None


def test_secrets_mask_longest_first_and_ignore_blanks() -> None:
    secrets = Secrets(["pass", "password1", "", "  "])
    assert secrets.mask("password1 pass x") == "******** ******** x"
    assert "" not in secrets


# -- targets ----------------------------------------------------------------------------


def test_target_runs_as_learner_or_other_user() -> None:
    root = Target(learner="root", learner_is_root=True)
    assert root.argv("id") == ["/bin/bash", "-c", "id"]
    assert root.argv("mail", "user1") == ["su", "-", "user1", "-c", "mail"]
    admin = Target(learner="admin", learner_is_root=False)
    assert admin.argv("mail", "user1") == ["sudo", "su", "-", "user1", "-c", "mail"]
    assert admin.argv("id", "admin") == ["/bin/bash", "-c", "id"]


def test_target_prefix_and_env_come_first() -> None:
    prefix = ["nsenter", "-t", "42", "--", "su", "-l", "admin", "-c", 'exec "$0" "$@"', "--"]
    target = Target.through(prefix, "admin", env={"LANG": "C"})
    assert target.argv("passwd user1", env={"TERM": "dumb"}) == [
        *prefix, "env", "LANG=C", "TERM=dumb", "/bin/bash", "-c", "passwd user1"]
    assert target.describe("user1") == "user1@prefix"


# -- editors ----------------------------------------------------------------------------

EDIT = CommandBlock(line=5, code="sudo vi /etc/postfix/main.cf", kind="edit",
                    file="/etc/postfix/main.cf")


def test_sudo_edit_becomes_sudoedit_with_the_learners_editor() -> None:
    admin = Target(learner="admin", learner_is_root=False)
    request = edit_request(EDIT, EDIT.code, admin, {})
    assert request.argv == ("env", "SUDO_EDITOR=vi", "sudo", "-e", "/etc/postfix/main.cf")
    request = edit_request(EDIT, EDIT.code, admin, {"VISUAL": "nano -w", "EDITOR": "emacs"})
    assert request.argv == ("env", "SUDO_EDITOR=nano -w", "sudo", "-e", "/etc/postfix/main.cf")
    assert request.reason == "edit" and request.file == "/etc/postfix/main.cf"


def test_root_edits_directly_and_prefix_is_kept() -> None:
    root = Target(learner="root", learner_is_root=True)
    assert edit_request(EDIT, EDIT.code, root, {}).argv == ("vi", "/etc/postfix/main.cf")
    assert edit_request(EDIT, EDIT.code, root, {"EDITOR": "nano"}).argv == (
        "nano", "/etc/postfix/main.cf")
    inside = Target.through(["nsenter", "--"], "admin")
    assert edit_request(EDIT, EDIT.code, inside, {}).argv[:3] == ("nsenter", "--", "env")


def test_run_foreground_returns_exit_codes() -> None:
    assert run_foreground(["sh", "-c", "exit 3"]) == 3
    assert run_foreground(["true"]) == 0
    assert run_foreground(["/nonexistent/program"]) == 127
    assert run_foreground(["sh", "-c", "kill -TERM $$"]) == 128 + 15


# -- transcripts ------------------------------------------------------------------------


def test_transcript_path_follows_xdg_state_home(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert transcript_path("mail-server", "host1") == (
        tmp_path / "maillab-tui" / "transcripts" / "mail-server-host1.jsonl")
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    assert transcript_path("x", "h").is_relative_to(Path.home() / ".local" / "state")


def test_corrupt_lines_never_break_reading_or_appending(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"block": "a", "status": "ok"}\n\xff\xfe not json\n[1, 2]\n'
                     b'{"block": "b", "stat')
    transcript = Transcript(path)
    transcript.append({"block": "c", "status": "ok", "output": ["x"]})
    records = list(transcript.records())
    assert [r["block"] for r in records] == ["a", "c"]
    assert transcript.succeeded("c") and transcript.succeeded("a") and not transcript.succeeded("b")
    assert path.read_text(errors="replace").splitlines()[-1].startswith('{"block": "c"')


def test_huge_output_is_bounded_with_a_note(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "t.jsonl")
    transcript.append({"block": "big", "output": [f"line {i} " + "x" * 80 for i in range(50_000)]})
    raw = (tmp_path / "t.jsonl").read_bytes()
    assert (tmp_path / "t.jsonl").stat().st_mode & 0o777 == 0o600  # learners' commands: private
    assert len(raw) <= MAX_RECORD_BYTES + 1
    record = json.loads(raw)
    assert record["omitted"] > 0
    assert any("lines omitted" in line for line in record["output"])
    assert record["output"][0].startswith("line 0 ")
    assert record["output"][-1].startswith("line 49999")


def test_engine_never_imports_textual() -> None:
    code = ("import sys, maillab_tui.run; "
            "bad = [m for m in sys.modules if m.split('.')[0] == 'textual']; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
