"""Programs that need the real terminal: the learner's editor, full-screen installers.

The runner never runs these in a pty: it hands the caller a `TerminalRequest` and the UI runs
`run_foreground(request.argv)` inside `App.suspend()`.

Editing as root: a chapter's `sudo vi FILE` becomes `sudo -e FILE` (sudoedit) with the editor
in SUDO_EDITOR. The editor then runs as the learner, with their own settings, and only the
copy-back is done as root; no root shell can be started from inside the editor. The editor is
$VISUAL, else $EDITOR, else the one the chapter names. A learner who is root runs the editor
on the file directly.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence

from maillab_tui.chapter.model import CommandBlock
from maillab_tui.run.events import TerminalRequest
from maillab_tui.run.target import Target


def _sudo_words(words: list[str]) -> tuple[bool, list[str]]:
    """Whether the command starts with sudo, and the words after sudo and its options."""
    if not words or words[0] != "sudo":
        return False, words
    rest = words[1:]
    while rest and rest[0].startswith("-"):
        rest = rest[1:]
    return True, rest


def edit_request(block: CommandBlock, command: str, target: Target,
                 environ: Mapping[str, str] | None = None) -> TerminalRequest:
    """The argv that opens `block.file` (or the command's last word) in the learner's editor."""
    environ = os.environ if environ is None else environ
    words = shlex.split(command)
    sudo, rest = _sudo_words(words)
    chapter_editor = rest[0] if rest else "vi"
    args = rest[1:]
    path = block.file or (args[-1] if args else "")
    chosen = environ.get("VISUAL") or environ.get("EDITOR") or ""
    editor_words = shlex.split(chosen) if chosen else [chapter_editor]
    editor = shlex.join(editor_words)
    if sudo and not target.learner_is_root:
        argv = target.program_argv(["env", f"SUDO_EDITOR={editor}", "sudo", "-e", path],
                                   block.user)
    elif chosen:
        argv = target.program_argv([*editor_words, path], block.user)
    else:
        argv = target.program_argv([chapter_editor, *args] if args else [chapter_editor, path],
                                   block.user)
    return TerminalRequest(tuple(argv), "edit", command, path or None, editor)


def terminal_request(block: CommandBlock, command: str, target: Target) -> TerminalRequest:
    """The argv that runs a full-screen program (apt's debconf dialog) in the real terminal."""
    return TerminalRequest(tuple(target.argv(command, block.user)), "terminal", command)


def _default_signals() -> None:
    """In the child: Ctrl-C and Ctrl-\\ act normally again (the parent ignores them)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def run_foreground(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Run `argv` on the real terminal and wait; return its exit code (128+N for signal N).

    Call it from the main thread with the UI suspended. Like system(3), this process ignores
    Ctrl-C and Ctrl-\\ meanwhile, so they reach the program and not the UI.
    """
    main = threading.current_thread() is threading.main_thread()
    saved = []
    if main:
        saved = [(s, signal.signal(s, signal.SIG_IGN)) for s in (signal.SIGINT, signal.SIGQUIT)]
    try:
        proc = subprocess.run(list(argv), env=None if env is None else {**os.environ, **env},
                              check=False, preexec_fn=_default_signals if main else None)
        code = proc.returncode
    except FileNotFoundError:
        code = 127
    except PermissionError:
        code = 126
    finally:
        for sig, handler in saved:
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
