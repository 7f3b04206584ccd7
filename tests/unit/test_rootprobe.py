"""Checks that need root, for a learner who is not: the probe runs through sudo, once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from maillab_tui.checking.api import Context, Diagnosis, Result, Status, load_library, run_check
from maillab_tui.checking.rootprobe import RootProbe, result_from_json, result_to_json
from maillab_tui.text import Localized


def test_a_result_survives_the_trip_as_json() -> None:
    result = Result(Status.FAIL, Localized("違います", "differs"), ("a", "b"),
                    Diagnosis("postconf.value-differs", Localized("原因", "cause"), "fix it"))
    assert result_from_json(json.loads(json.dumps(result_to_json(result)))) == result
    plain = Result(Status.PASS, "ok")
    assert result_from_json(result_to_json(plain)) == plain


def test_a_learner_who_is_not_root_gets_the_probe_run_as_root() -> None:
    asked: list[tuple[str, dict[str, Any]]] = []

    def as_root(name: str, ctx: Context, params: Mapping[str, Any]) -> Result:
        asked.append((name, dict(params)))
        return Result(Status.PASS, "as root")

    library = load_library([])
    shell = library.get("shell")
    assert shell is not None
    learner = Context(host="host1", platform="debian12", root=False, as_root=as_root)
    result = run_check(shell, learner, {"command": "id -u", "root": True})
    assert result.message == "as root" and asked == [("shell", {"command": "id -u",
                                                                "quiet": False, "root": True})]
    without = Context(host="host1", platform="debian12", root=False)
    assert run_check(shell, without, {"command": "id -u", "root": True}).status is Status.ERROR


def recording(message: str) -> tuple[list[str], Any]:
    """An `as_root` that answers `message` and records which checks it was asked to run."""
    calls: list[str] = []

    def as_root(name: str, ctx: Context, params: Mapping[str, Any]) -> Result:
        calls.append(name)
        return Result(Status.PASS, message)

    return calls, as_root


def a_probe(name: str, func: Any) -> Any:
    """The library's check `name` with its probe replaced by `func`."""
    definition = load_library([]).get(name)
    assert definition is not None
    return replace(definition, func=func)


def test_a_permission_error_is_retried_as_root() -> None:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise PermissionError(13, "Permission denied", "/var/mail/user1")

    calls, as_root = recording("read as root")
    ctx = Context(host="host1", platform="debian12", root=False, as_root=as_root)
    result = run_check(a_probe("mail_delivered", refuse), ctx,
                       {"user": "user1", "subject_pattern": "x"})
    assert calls == ["mail_delivered"] and result.message == "read as root"


@pytest.mark.skipif(sys.platform != "linux", reason="linux only")
def test_the_helper_runs_one_probe_and_answers_json() -> None:
    request = {"check": "shell", "params": {"command": "echo from-root", "root": True},
               "host": "host1", "platform": "debian12", "values": {}, "secrets": ["s3cret"],
               "language": "en", "since": None, "checks_dirs": []}
    proc = subprocess.run([sys.executable, "-m", "maillab_tui.checking.rootprobe"],
                          input=json.dumps(request) + "\n", capture_output=True, text=True,
                          timeout=60, check=True)
    result = result_from_json(json.loads(proc.stdout.strip().splitlines()[-1]))
    import os
    if os.geteuid() == 0:
        assert result.status is Status.PASS and "from-root" in str(result.message)
    else:
        assert result.status is Status.ERROR  # the helper itself never pretends to be root


def test_no_password_gives_a_clear_error_and_asks_once_per_try() -> None:
    asked: list[bool] = []

    def password(wrong: bool) -> str | None:
        asked.append(wrong)
        return None

    probe = RootProbe(password)
    result = probe("shell", Context(host="host1", platform="debian12", root=False),
                   {"command": "true", "root": True})
    assert result.status is Status.ERROR and "sudo" in str(result.message)
    assert asked == [False]


@pytest.mark.parametrize("answer", ["needs_root", "denied", "permission_denied"])
def test_a_probe_that_finds_out_it_needs_root_is_run_as_root(answer: str) -> None:
    from maillab_tui.checking.api import denied, needs_root
    from maillab_tui.checking.probes import permission_denied

    results = {"needs_root": needs_root, "denied": lambda: denied("cannot read /var/mail/user1"),
               "permission_denied": lambda: permission_denied("/etc/shadow", "debian12")}
    probe = a_probe("user_exists", lambda ctx, **kw: results[answer]())
    calls, as_root = recording("as root")
    ctx = Context(host="host1", platform="debian12", root=False, as_root=as_root)
    assert run_check(probe, ctx, {"user": "user1"}).message == "as root"
    alone = Context(host="host1", platform="debian12", root=False)
    assert run_check(probe, alone, {"user": "user1"}).status is Status.ERROR
    assert calls == ["user_exists"]


def test_the_mailbox_check_of_another_user_is_run_as_root(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    mbox = tmp_path / "var/mail/user1"
    mbox.parent.mkdir(parents=True)
    mbox.write_text("")
    calls, as_root = recording("as root")
    ctx = Context(host="host1", platform="debian12", root=False, as_root=as_root,
                  files_root=str(tmp_path))
    definition = load_library([]).get("mail_delivered")
    assert definition is not None

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(mbox))

    import checks.delivery as delivery

    monkeypatch.setattr(delivery, "read_mbox", refuse)  # user1's 0600 mailbox, to admin
    probe = replace(definition, func=delivery.mail_delivered)
    assert run_check(probe, ctx, {"user": "user1", "subject_pattern": "x"}).message == "as root"
    assert calls == ["mail_delivered"]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("sudo") is None,
                    reason="needs root and sudo (sudo then asks no password, as NOPASSWD)")
def test_the_whole_trip_through_sudo_when_sudo_asks_no_password() -> None:
    # sudo reads no password line here (root, or a learner allowed NOPASSWD): the helper takes
    # the request from the last line and ignores the password before it
    probe = RootProbe(lambda wrong: "not-read-by-sudo")
    ctx = Context(host="host1", platform="debian12", root=False, secrets=("not-read-by-sudo",))
    result = probe("shell", ctx, {"command": "id -u", "root": True})
    assert result.status is Status.PASS, result
    assert "0" in str(result.message)
