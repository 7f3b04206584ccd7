"""Checks that need root, run for a learner who is not: one probe through sudo.

The TUI runs as the learner (`maillab-tui`, no sudo), as the chapter's commands must. Some
probes read what only root may (the shadow file, `postfix check`, another user's mailbox, the
saslauthd socket). For those, the check asks sudo with the learner's own password, the same one
sudo asks for at the learner's commands (remembered in memory for a while, never written): it
runs `sudo -k -S -p '' python -m maillab_tui.checking.rootprobe`, hands it one request on stdin (the
check, its expanded parameters, the host's values and secrets) and reads back one result as
JSON. Nothing of it is on a command line. The probe inside is the same code `--check-only`
runs as root; only that one probe runs as root.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from maillab_tui import system
from maillab_tui.checking.api import (
    Context,
    Diagnosis,
    Result,
    Status,
    error,
    load_library,
    run_check,
)
from maillab_tui.text import Localized, Message, t

TIMEOUT = 60.0
"""One probe as root: the longest check waits (a protocol probe) are well inside it."""

PasswordSource = Callable[[bool], str | None]
"""Asked for the learner's sudo password (True: the last one was wrong); None gives up."""


def _message(value: Any) -> Message:
    if isinstance(value, dict):
        return Localized(str(value.get("ja", "")), str(value.get("en", "")))
    return str(value)


def _plain(message: Message) -> Any:
    if isinstance(message, Localized):
        return {"ja": message.ja, "en": message.en}
    return str(message)


def result_to_json(result: Result) -> dict[str, Any]:
    """A result as JSON data (both languages kept)."""
    data: dict[str, Any] = {"status": result.status.value, "message": _plain(result.message),
                            "evidence": list(result.evidence), "silent": result.silent,
                            "needs_root": result.needs_root}
    if result.diagnosis is not None:
        data["diagnosis"] = {"code": result.diagnosis.code,
                             "message": _plain(result.diagnosis.message),
                             "suggestion": result.diagnosis.suggestion}
    return data


def result_from_json(data: Mapping[str, Any]) -> Result:
    """The result `result_to_json` wrote."""
    diagnosis = None
    if isinstance(data.get("diagnosis"), dict):
        d = data["diagnosis"]
        diagnosis = Diagnosis(str(d.get("code", "")), _message(d.get("message", "")),
                              str(d.get("suggestion", "")))
    return Result(Status(str(data["status"])), _message(data.get("message", "")),
                  tuple(str(e) for e in data.get("evidence", ())), diagnosis,
                  bool(data.get("silent", False)), bool(data.get("needs_root", False)))


class RootProbe:
    """`Context.as_root` for a learner who is not root: one probe at a time through sudo."""

    def __init__(self, password: PasswordSource, checks_dirs: Sequence[str] = (),
                 forget: Callable[[], None] | None = None) -> None:
        self.password = password
        self.checks_dirs = list(checks_dirs)
        self.forget = forget
        self._lock = threading.Lock()  # one sudo prompt at a time, even for parallel checks

    def __call__(self, name: str, ctx: Context, params: Mapping[str, Any]) -> Result:
        request = {
            "check": name, "params": dict(params), "host": ctx.host, "platform": ctx.platform,
            "values": dict(ctx.values), "secrets": list(ctx.secrets), "language": ctx.language,
            "since": ctx.since, "checks_dirs": self.checks_dirs,
        }
        with self._lock:
            wrong = False
            for _ in range(3):  # as sudo itself: three tries
                secret = self.password(wrong)
                if secret is None:
                    return error(t("root 権限が必要なチェックです。sudo のパスワードが"
                                   "入力されなかったので確認できません",
                                   "this check needs root; no sudo password was given"))
                proc = system.run(
                    system.sudo_argv(system.module_argv("maillab_tui.checking.rootprobe")),
                    input=secret + "\n" + json.dumps(request) + "\n", timeout=TIMEOUT)
                if proc.missing:
                    return error(t("sudo がありません: root 権限が必要なチェックです",
                                   "sudo is not installed; this check needs root"))
                answer = _answer(proc.stdout)
                if answer is not None:
                    return answer
                if "incorrect password" in proc.stderr or "Sorry" in proc.stderr:
                    wrong = True
                    if self.forget is not None:
                        self.forget()
                    continue
                return error(t("root 権限でのチェックを実行できません（sudo）",
                               "cannot run the check as root (sudo)"),
                             proc.output.splitlines()[-5:])
            return error(t("sudo のパスワードが違います", "the sudo password was wrong"))


def _answer(stdout: str) -> Result | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                return result_from_json(json.loads(line))
            except (ValueError, KeyError, TypeError):
                return None
    return None


def main() -> int:
    """As root: read one request from stdin, run that probe once, print its result as JSON.

    The request is the last line: before it stands the password line when sudo did not read
    it (a learner allowed sudo without a password), which is ignored."""
    try:
        lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
        request = json.loads(lines[-1] if lines else "")
        library = load_library(list(request.get("checks_dirs") or []))
        definition = library.get(str(request["check"]))
        if definition is None:
            result = error(f"unknown check '{request['check']}'")
        else:
            ctx = Context(host=str(request["host"]), platform=str(request["platform"]),
                          values=dict(request.get("values") or {}),
                          secrets=tuple(request.get("secrets") or ()),
                          language=str(request.get("language") or "ja"),
                          since=request.get("since"), root=system.is_root())
            result = run_check(definition, replace(ctx, as_root=None),
                               dict(request.get("params") or {}))
    except (ValueError, KeyError, TypeError) as exc:
        result = error(f"rootprobe: {type(exc).__name__}: {exc}")
    print(json.dumps(result_to_json(result), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
