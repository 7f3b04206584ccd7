"""One execution of one command block: `Run`, blocking in the calling thread, controllable
(`cancel`, `write`, `resize`) from any other thread; streamed, scripted (run/dialogue.py),
interactive or in the real terminal, cancellable, masked.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from maillab_tui.chapter.model import CommandBlock, DialogueTurn
from maillab_tui.chapter.variables import (
    PLACEHOLDER,
    UndefinedVariable,
    expand_shell,
    expand_text,
)
from maillab_tui.checking.api import time_factor
from maillab_tui.run.dialogue import BlockFailed, Dialogue, StopRun
from maillab_tui.run.events import (
    BlockFinished,
    BlockResult,
    BlockSkipped,
    BlockStarted,
    DialogueFailure,
    Listener,
    Mode,
    PasswordTyped,
    RunEvent,
    Status,
    Stopping,
    TerminalRequest,
    ValueCaptured,
)
from maillab_tui.run.foreground import edit_request, terminal_request
from maillab_tui.run.screen import LineCleaner
from maillab_tui.run.secrets import PasswordPrompt, recognise_prompt
from maillab_tui.run.session import PtySession, SpawnError
from maillab_tui.text import Localized, t

if TYPE_CHECKING:
    from maillab_tui.run.runner import Runner


NO_TTY = "a terminal is required to read the password"  # sudo without a controlling terminal


def block_key(block: CommandBlock) -> str:
    """A stable name for a block in transcripts: its id, else a hash of its kind and code."""
    if block.block_id:
        return block.block_id
    digest = hashlib.sha1(f"{block.kind}\0{block.code}".encode()).hexdigest()[:12]
    return f"sha1:{digest}"


class _OutputKept:
    """The cleaned output of a run, unmasked, bounded: the head and the tail."""

    def __init__(self, head: int = 2000, tail: int = 8000) -> None:
        self.head: list[str] = []
        self.tail: deque[str] = deque(maxlen=tail)
        self._head_max = head
        self.omitted = 0

    def add(self, line: str) -> None:
        if len(self.head) < self._head_max:
            self.head.append(line)
            return
        if len(self.tail) == self.tail.maxlen:
            self.omitted += 1
        self.tail.append(line)

    def lines(self) -> list[str]:
        note = [f"[... {self.omitted} lines omitted ...]"] if self.omitted else []
        return [*self.head, *note, *self.tail]

    def last(self, n: int) -> list[str]:
        both = [*self.head[-n:], *self.tail]
        return both[-n:]


class Run:
    """One block's run: `execute()` blocks; `cancel`, `write`, `resize` are thread-safe."""

    def __init__(self, runner: Runner, block: CommandBlock, listener: Listener, *,
                 step: str | None = None, interactive: bool | None = None,
                 record: bool = True) -> None:
        self.runner = runner
        self.block = block
        self.listener = listener
        self.step = step
        self.record = record
        self.mode: Mode = self._mode(interactive)
        timing = runner.timing
        self.timing = timing
        self._cancel = threading.Event()
        self._session: PtySession | None = None
        self._sub: Run | None = None
        self._cleaner = LineCleaner()
        self._kept = _OutputKept()
        self._recent: deque[str] = deque(maxlen=2000)
        self._lines_total = 0
        self._mark = (0, 0)
        self._pending: list[str] = []
        self._flushed_at = 0.0
        self._output_at = time.monotonic()
        self._output_since_mark = False
        self._paused = 0.0
        self._deadline: float | None = None
        self._eof = False
        self._exited_at: float | None = None
        self._answered: tuple[int, str] | None = None
        self._prompt_seen: tuple[tuple[int, str], float] | None = None
        self._waiting_sent: tuple[int, str] | None = None
        self._sudo_tries = 0
        self._new_password: str | None = None
        self._typed = ""
        self._executed = False
        self._turn: DialogueTurn | None = None
        self._sent: list[str] = []
        self.command = ""

    def _mode(self, interactive: bool | None) -> Mode:
        kind = self.block.kind
        if kind in ("edit", "terminal"):
            return "terminal"
        if interactive is None:
            interactive = kind == "dialogue" and not self.runner.autopilot
        if interactive:
            return "interactive"
        return "autopilot" if kind == "dialogue" else "stream"

    # -- control from other threads ---------------------------------------------------------

    def cancel(self) -> None:
        """Stop the block: Ctrl-C, then SIGTERM and SIGKILL to all its processes."""
        self._cancel.set()
        sub = self._sub
        if sub is not None:
            sub.cancel()

    @property
    def pid(self) -> int | None:
        """The program's pid (also its session and process group id), once it has started."""
        session = self._session
        return session.pid if session is not None else None

    @property
    def cancelled(self) -> bool:
        """Whether cancel() was called."""
        return self._cancel.is_set()

    def write(self, data: str) -> None:
        """Type into the program (keystrokes of an interactive run, or an answer to a prompt)."""
        session = self._session
        if session is None:
            return
        self._note_typing(data)
        with contextlib.suppress(OSError, TimeoutError):
            session.write(data)

    def resize(self, rows: int, cols: int) -> None:
        """The terminal the UI shows has a new size."""
        session = self._session
        if session is not None:
            with contextlib.suppress(OSError):
                session.resize(rows, cols)

    def _note_typing(self, data: str) -> None:
        """Keys typed at a password prompt become a secret once Enter is pressed."""
        if recognise_prompt(self._cleaner.partial) is None and not self._typed:
            return
        for char in data:
            if char in "\r\n":
                self.runner.secrets.add(self._typed)
                self._typed = ""
            elif char in "\x7f\b":
                self._typed = self._typed[:-1]
            elif char >= " ":
                self._typed += char

    # -- the run ----------------------------------------------------------------------------

    def execute(self) -> BlockResult:
        """Run the block to its end and return the result; never raises for a failing block."""
        if self._executed:
            raise RuntimeError("a Run executes once; start another")
        self._executed = True
        self.runner._register(self, True)
        started_wall = datetime.now(UTC)
        started = time.monotonic()
        try:
            result = self._execute()
        except Exception as exc:  # a bug or an OS error: reported, masked, never raised
            message = self.runner.secrets.mask(f"{type(exc).__name__}: {exc}")
            result = self._result("error", message=t(f"実行できませんでした: {message}",
                                                      f"could not run: {message}"))
        finally:
            self._shutdown()
            self.runner._register(self, False)
        duration = time.monotonic() - started
        result = replace(result, duration=round(duration, 3))
        if self.record:
            self._write_transcript(result, started_wall)
        self._emit(BlockFinished(result))
        return result

    def _execute(self) -> BlockResult:
        block = self.block
        try:
            self.command = self._expand(block.code)  # a dialogue's code is its `$ command`
            if block.user:  # `user={{ user }}` names the host's mail user
                block = self.block = replace(block, user=expand_text(block.user, self._values()))
        except UndefinedVariable as exc:
            return self._result("error", message=self._undefined(exc, block.line))
        self._emit(BlockStarted(self._masked(self.command), block.kind, block.user,
                                self.runner.target.describe(block.user), self.mode, block.line))
        skipped = self._already_done()
        if skipped is not None:
            self._emit(BlockSkipped(skipped))
            return self._result("skipped", message=skipped)
        if self.mode == "terminal":
            return self._in_terminal()
        timeout = self._timeout()
        if self.mode == "stream":
            self._deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self._spawn()
            if self.mode == "autopilot":
                Dialogue(self).play()
            else:
                self._until_exit()
        except StopRun as stop:
            return self._stopped(stop.why)
        except BlockFailed as failed:
            self._stop_quietly()
            return self._result(failed.status, message=failed.message, failure=failed.failure)
        except UndefinedVariable as exc:  # in a dialogue's send or expect line
            self._stop_quietly()
            line = self._turn.line if self._turn is not None else block.line
            return self._result("error", message=self._undefined(exc, line))
        assert self._session is not None
        code = self._session.exit_code
        status: Status = "ok" if code == 0 else "failed"
        if code != 0:
            message = t(f"終了コード {code}", f"exit status {code}")
            if any(NO_TTY in line for line in self._kept.last(20)):
                message = t(f"{message.ja}: sudo がパスワードを聞くための端末がありません"
                            "（前置きの `su -c` は制御端末を外します。`su --pty` を使います）",
                            f"{message.en}: sudo has no terminal to ask for the password on"
                            " (`su -c` in the target's prefix drops the controlling terminal;"
                            " use `su --pty`)")
            return self._result(status, code, message=message)
        try:
            captured = self._captures()
        except BlockFailed as failed:
            return self._result("failed", code, message=failed.message)
        return self._result("ok", code, captured=captured)

    # -- pieces -----------------------------------------------------------------------------

    def _undefined(self, exc: UndefinedVariable, line: int) -> Localized:
        return t(f"{self._where(line, 'ja')}変数 {{{{ {exc.name} }}}} の値がありません",
                 f"{self._where(line)}no value for {{{{ {exc.name} }}}}")

    def _values(self) -> dict[str, str]:
        with self.runner._lock:
            return dict(self.runner.values)

    def _expand(self, code: str) -> str:
        return expand_shell(code, self._values())

    def _pattern(self, expect: str) -> re.Pattern[str]:
        """An `expect:` regex with its variables filled in as literal text."""
        values = self._values()

        def literal(match: re.Match[str]) -> str:
            if match.group(1) not in values:
                raise UndefinedVariable(match.group(1))
            return re.escape(values[match.group(1)])

        return re.compile(PLACEHOLDER.sub(literal, expect), re.MULTILINE)

    def _where(self, line: int, language: str = "en") -> str:
        """`ja.md:93: ` (or `line 93: `) for messages, when the line is known."""
        if not line:
            return ""
        if self.runner.source:
            return f"{self.runner.source}:{line}: "
        return f"{line} 行目: " if language == "ja" else f"line {line}: "

    def _timeout(self) -> float | None:
        factor = time_factor()
        if self.block.timeout is not None:
            return self.block.timeout * factor
        if self.block.kind == "follow" or self.mode == "interactive":
            return None
        if self.mode == "autopilot":
            return None  # each expectation has its own
        return self.timing.plain * factor

    def _expect_timeout(self) -> float:
        base = self.block.timeout if self.block.timeout is not None else self.timing.expect
        return base * time_factor()

    def _env(self) -> dict[str, str]:
        if self.mode == "interactive":
            return {"TERM": self.runner.interactive_term}
        return {"TERM": self.runner.term, "COLUMNS": str(self.runner.cols), "PAGER": "cat"}

    def _spawn(self) -> None:
        env = {**os.environ, **self._env()}
        script = None
        if any(secret in self.command for secret in self.runner.secrets.values()):
            # A secret never goes on a command line (sudo logs them): a private file instead.
            script = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, once spawned)
            script.write(self.command.encode("utf-8"))
            script.flush()
            script.seek(0)
            os.set_inheritable(script.fileno(), True)
        fd = script.fileno() if script is not None else None
        argv = self.runner.target.argv(self.command, self.block.user, self._env(), script_fd=fd)
        session = PtySession(argv, env, self.runner.rows, self.runner.cols,
                             pass_fds=() if fd is None else (fd,))
        try:
            session.start()
        except SpawnError as exc:
            raise BlockFailed(t(f"起動できませんでした: {exc}", f"cannot start: {exc}"),
                          status="error") from None
        finally:
            if script is not None:
                script.close()
        self._session = session
        self._flushed_at = self._output_at = time.monotonic()

    def _already_done(self) -> Localized | None:
        """The message to skip with when a `once` block has already been done, else None."""
        once = self.block.once
        shown = self._masked(self.command)
        if once is True:
            done = self.runner.ran_before or self._in_transcript
            if done(self.block):
                return t(f"この手順はすでに実行済みです（記録に成功があります）: {shown}",
                         f"Already done (the record shows it succeeded): {shown}")
            return None
        if not once:
            return None
        test = self._expand(str(once))
        sub = Run(self.runner, CommandBlock(line=self.block.line, code=test, user=self.block.user,
                                            timeout=self.timing.once_test),
                  _Quiet(self.listener), record=False)
        self._sub = sub
        if self._cancel.is_set():
            sub.cancel()
        result = sub.execute()
        self._sub = None
        if result.status == "ok":
            test_shown = self._masked(test)
            return t(f"この手順はすでに済んでいます（`{test_shown}` が成功しました）。"
                     f"`{shown}` は実行しません。",
                     f"Already done (`{test_shown}` succeeded): `{shown}` was not run again.")
        return None

    def _in_transcript(self, block: CommandBlock) -> bool:
        transcript = self.runner.transcript
        return transcript is not None and transcript.succeeded(block_key(block))

    def _in_terminal(self) -> BlockResult:
        block = self.block
        first = next((ln for ln in self.command.splitlines() if ln.strip()), "")
        if block.kind == "edit":
            request = edit_request(block, first, self.runner.target, self.runner.editor_env)
        else:
            request = terminal_request(block, self.command, self.runner.target)
        if self.runner.autopilot:
            return self._result("error", terminal=request, message=t(
                "この手順は端末で直接操作するので自動実行できません（solve ブロックを使います）",
                "this block needs the real terminal; autopilot runs the step's solve blocks"))
        code = self.listener.on_needs_terminal(request)
        if code is None:
            return self._result("cancelled", terminal=request, message=t(
                "端末での実行は取りやめになりました", "not run in the terminal"))
        status: Status = "ok" if code == 0 else "failed"
        message = None if code == 0 else t(f"終了コード {code}", f"exit status {code}")
        return self._result(status, code, terminal=request, message=message)

    # -- reading ----------------------------------------------------------------------------

    def _clock(self) -> float:
        """Time that counts against timeouts: the learner's time at a prompt does not."""
        return time.monotonic() - self._paused

    def _pump(self, wait: float, prompts: bool = True) -> None:
        """Read output for up to `wait` s; deliver it; answer prompts; notice cancel and timeout."""
        session = self._session
        assert session is not None
        if self._cancel.is_set():
            raise StopRun("cancel")
        if self._deadline is not None and self._clock() > self._deadline:
            raise StopRun("timeout")
        chunk = session.read(wait) if not self._eof else None
        now = time.monotonic()
        if chunk is None:
            if not self._eof:
                self._eof = True
                session.alive()
        elif chunk:
            self._take(chunk, now)
        if self._exited_at is None and not session.alive():
            self._exited_at = now
        elif self._exited_at is not None and now - self._exited_at > self.timing.drain:
            self._eof = True  # a background process holds the terminal: stop reading
        self._flush(now)
        session.track()
        if prompts and self.mode != "interactive":
            self._prompts(now)
        if self.mode == "stream":
            self._notice_waiting(now)

    def _take(self, chunk: str, now: float) -> None:
        if self.mode == "interactive":
            self.listener.on_chunk(self.runner.secrets.mask(chunk))
        for line in self._cleaner.feed(chunk):
            self._line(line)
        self._output_at = now
        self._output_since_mark = True

    def _line(self, line: str) -> None:
        self._kept.add(line)
        self._recent.append(line)
        self._lines_total += 1
        if self.mode != "interactive":
            self._pending.append(line)

    def _flush(self, now: float, force: bool = False) -> None:
        if not self._pending:
            return
        due = now - self._flushed_at >= self.timing.batch_interval
        if force or due or len(self._pending) >= self.timing.batch_lines:
            while self._pending:
                batch = self._pending[: self.timing.batch_lines]
                del self._pending[: self.timing.batch_lines]
                self.listener.on_output(self.runner.secrets.mask_lines(batch))
            self._flushed_at = now

    def _notice_waiting(self, now: float) -> None:
        partial = self._cleaner.partial
        key = (self._lines_total, partial)
        if (partial.strip() and now - self._output_at >= self.timing.waiting_idle
                and key != self._waiting_sent and key != self._answered
                and recognise_prompt(partial) is None):  # passwords are asked for apart
            self._waiting_sent = key
            self._flush(now, force=True)
            self.listener.on_waiting(self.runner.secrets.mask(partial))

    def _drain(self) -> None:
        """Read what is left after the program exited, then hand out the last lines."""
        while not self._eof:
            self._pump(0.05, prompts=False)
        for line in self._cleaner.flush():
            self._line(line)
        self._flush(time.monotonic(), force=True)

    def _until_exit(self) -> None:
        while not self._eof:
            self._pump(0.05)
        self._drain()

    # -- passwords --------------------------------------------------------------------------

    def _prompts(self, now: float) -> None:
        """Answer a password prompt the program is waiting at, once."""
        partial = self._cleaner.partial
        key = (self._lines_total, partial)
        if key == self._answered or not partial.strip():
            return
        prompt = recognise_prompt(partial)
        if prompt is None:
            return
        if self.mode == "autopilot" and (not prompt.is_sudo or self._expected_now(partial)):
            return  # the dialogue's own script types this one
        quiet = now - self._output_at
        needed = self.timing.waiting_idle if prompt.kind == "other" else self.timing.settle
        if quiet < needed:
            return
        assert self._session is not None
        if self._prompt_seen is None or self._prompt_seen[0] != key:
            self._prompt_seen = (key, now)
        if not self._session.echo_off() and now - self._prompt_seen[1] < self.timing.echo_wait:
            return  # let the program turn echo off first, so the password is never echoed
        self._answered = key
        value = self._password_for(prompt)
        self.runner.secrets.add(value)
        self._flush(time.monotonic(), force=True)
        self._session.write(value + "\r")
        if self.mode == "autopilot":
            self._mark = (self._lines_total, len(partial))
            self._output_since_mark = False

    def _password_for(self, prompt: PasswordPrompt) -> str:
        runner = self.runner
        if prompt.is_sudo:
            self._sudo_tries += 1
            remembered = runner._remembered_sudo()
            if remembered is not None and self._sudo_tries == 1:
                self._emit(PasswordTyped(prompt, "remembered"))
                return remembered
            if self._sudo_tries > 1:
                runner.forget_sudo_password()
            value = self._ask(_with_attempt(prompt, self._sudo_tries))
            runner._remember_sudo(value)
            return value
        if prompt.kind == "retype" and self._new_password is not None:
            self._emit(PasswordTyped(prompt, "retype"))
            return self._new_password
        chapter_value = runner._secret_for(self.block)
        if (runner.autopilot and chapter_value and prompt.kind in ("new", "retype")
                and self.block.kind in ("password", "dialogue")):
            self._emit(PasswordTyped(prompt, "autopilot"))
            value = chapter_value
        else:
            value = self._ask(prompt)
        if prompt.kind == "new":
            self._new_password = value
        return value

    def _ask(self, prompt: PasswordPrompt) -> str:
        """Ask the listener; the time spent does not count against the timeout."""
        asked = time.monotonic()
        masked = PasswordPrompt(self.runner.secrets.mask(prompt.text), prompt.kind, prompt.user,
                                prompt.attempt)
        try:
            value = self.listener.on_password_prompt(masked)
        finally:
            self._paused += time.monotonic() - asked
        if value is None or self._cancel.is_set():
            raise StopRun("cancel")
        return value

    # -- dialogues --------------------------------------------------------------------------

    def _expected_now(self, partial: str) -> bool:
        turn = self._turn
        if turn is None or turn.expect is None or turn.ends:
            return False
        return self._pattern(turn.expect).search(partial) is not None

    def _screen(self, n: int = 10) -> list[str]:
        """The last lines on screen, masked."""
        lines = self._kept.last(n)
        if self._cleaner.partial.strip():
            lines = [*lines, self._cleaner.partial.rstrip()][-n:]
        return self.runner.secrets.mask_lines(lines)

    # -- captures ---------------------------------------------------------------------------

    def _captures(self) -> dict[str, str]:
        captured: dict[str, str] = {}
        if not self.block.captures:
            return captured
        output = "\n".join(self._kept.lines())
        for name, regex in self.block.captures.items():
            match = re.search(regex, output, re.MULTILINE)
            if match is None or match.lastindex is None:
                where, here = self._where(self.block.line, "ja"), self._where(self.block.line)
                raise BlockFailed(t(
                    f"{where}出力から {{{{ {name} }}}} の値を取り出せませんでした"
                    f"（正規表現 {regex} に一致する行がありません）",
                    f"{here}could not capture {{{{ {name} }}}}: no output matches {regex}"))
            captured[name] = match.group(1)
        for name, value in captured.items():
            self.runner._capture(name, value)
            self._emit(ValueCaptured(name, self._masked_value(name, value)))
        return captured

    def _masked_value(self, name: str, value: str) -> str:
        if name in self.runner.secret_names:
            return "********"
        return self.runner.secrets.mask(value)

    # -- stopping ---------------------------------------------------------------------------

    def _stopped(self, why: Literal["cancel", "timeout"]) -> BlockResult:
        leftovers = self._stop_sequence(why)
        status: Status = "cancelled" if why == "cancel" else "timeout"
        if self.block.kind == "follow":
            status = "stopped"  # following a log ends when it is stopped: that is its normal end
        assert self._session is not None
        code = self._session.exit_code
        if why == "timeout":
            limit = self._timeout() or self._expect_timeout()
            message = t(f"{limit:g} 秒以内に終わらなかったので止めました",
                        f"stopped: still running after {limit:g} s")
        elif status == "stopped":
            message = t("止めました", "stopped")
        else:
            message = t("中止しました", "cancelled")
        if leftovers:
            pids = " ".join(map(str, leftovers))
            message = t(f"{message.ja}（止められなかったプロセス: {pids}）",
                        f"{message.en} (processes still running: {pids})")
        return self._result(status, code, message=message, leftovers=tuple(leftovers))

    def _stop_sequence(self, why: Literal["cancel", "timeout", "failed"]) -> list[int]:
        """Ctrl-C; after a grace period SIGTERM, then SIGKILL, to the whole family; reap; verify."""
        session = self._session
        if session is None:
            return []
        timing = self.timing
        # Everyone in the family now, before Ctrl-C: a child that ignores SIGINT (a background
        # job of `sh -c`) is re-parented when its parent dies, and only its key finds it then.
        session.track(force=True)
        if session.alive():
            self._emit(Stopping("interrupt", why))
            session.interrupt()
            self._read_while(session.alive, timing.interrupt_grace)
        for stage, sig, grace in (("terminate", signal.SIGTERM, timing.terminate_grace),
                                  ("kill", signal.SIGKILL, timing.kill_wait)):
            if not session.family():
                break
            if session.alive():
                self._emit(Stopping(stage, why))  # type: ignore[arg-type]
            session.signal_family(sig)
            self._read_while(lambda: bool(session.family()), grace)
        leftovers = session.wait_gone(0.5)
        with contextlib.suppress(StopRun, BlockFailed):
            for line in self._cleaner.flush():
                self._line(line)
            self._flush(time.monotonic(), force=True)
        return leftovers

    def _read_while(self, condition: Callable[[], bool], limit: float) -> None:
        """Keep reading output (so the program never blocks writing) while `condition` holds."""
        session = self._session
        assert session is not None
        deadline = time.monotonic() + limit
        while condition() and time.monotonic() < deadline:
            chunk = session.read(0.05) if not self._eof else None
            if chunk is None:
                self._eof = True
                time.sleep(0.05)
            elif chunk:
                self._take(chunk, time.monotonic())
            self._flush(time.monotonic())

    def _stop_quietly(self) -> None:
        """After a failure: stop what is still running, without a cancelled status."""
        session = self._session
        if session is not None and (session.alive() or session.family()):
            self._stop_sequence("failed")
        else:
            with contextlib.suppress(StopRun, BlockFailed):
                self._flush(time.monotonic(), force=True)

    def _shutdown(self) -> None:
        session = self._session
        if session is None:
            return
        if session.alive():  # an exception got us here: nothing may be left running
            with contextlib.suppress(Exception):
                self._stop_sequence("cancel")
        session.close()

    # -- results and records ----------------------------------------------------------------

    def _masked(self, text: str) -> str:
        return self.runner.secrets.mask(text)

    def _emit(self, event: RunEvent) -> None:
        self.listener.on_event(event)

    def _result(self, status: Status, exit_code: int | None = None, *,
                message: Localized | None = None, failure: DialogueFailure | None = None,
                captured: Mapping[str, str] | None = None, leftovers: tuple[int, ...] = (),
                terminal: TerminalRequest | None = None) -> BlockResult:
        secrets = self.runner.secrets
        if message is not None:
            message = Localized(secrets.mask(message.ja), secrets.mask(message.en))
        return BlockResult(
            status=status, command=self._masked(self.command), exit_code=exit_code,
            output=tuple(secrets.mask_lines(self._kept.lines())), omitted=self._kept.omitted,
            captured=MappingProxyType(dict(captured or {})), message=message, failure=failure,
            leftovers=leftovers, terminal=terminal, mode=self.mode,
        )

    def _write_transcript(self, result: BlockResult, started: datetime) -> None:
        transcript = self.runner.transcript
        if transcript is None:
            return
        secrets = self.runner.secrets
        block = self.block
        record: dict[str, Any] = {
            "time": started.isoformat(timespec="seconds"),
            "chapter": self.runner.chapter_id,
            "host": self.runner.host,
            "step": self.step,
            "block": block_key(block),
            "line": block.line,
            "kind": block.kind,
            "mode": result.mode,
            "user": block.user,
            "where": self.runner.target.describe(block.user),
            "autopilot": self.runner.autopilot,
            "command": secrets.mask(result.command),
            "status": result.status,
            "exit_code": result.exit_code,
            "duration": result.duration,
            "captured": {k: self._masked_value(k, v) for k, v in result.captured.items()},
            "output": secrets.mask_lines(result.output),
        }
        if result.omitted:
            record["omitted"] = result.omitted
        if result.message is not None:
            record["message"] = secrets.mask(result.message.en)
        if result.terminal is not None:
            record["argv"] = [secrets.mask(a) for a in result.terminal.argv]
        if result.leftovers:
            record["leftovers"] = list(result.leftovers)
        with contextlib.suppress(OSError):
            transcript.append(record)


class _Quiet(Listener):
    """A `once` test's listener: no output shown, but password prompts still reach the learner."""

    def __init__(self, outer: Listener) -> None:
        self.outer = outer

    def on_password_prompt(self, prompt: PasswordPrompt) -> str | None:
        return self.outer.on_password_prompt(prompt)


def _with_attempt(prompt: PasswordPrompt, attempt: int) -> PasswordPrompt:
    return PasswordPrompt(prompt.text, prompt.kind, prompt.user, attempt)


__all__ = ["NO_TTY", "Run", "block_key"]
