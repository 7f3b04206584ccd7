"""The command line: exit codes, messages, and that --check-only and lint never load Textual."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from maillab_tui.platform import detect_host, platform_from_os_release
from tests.conftest import FIXTURES, ROOT

GOOD = str(FIXTURES / "chapters" / "good.md")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "maillab_tui", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def check_only(
    chapter: str, host: str, platform: str, *more: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`maillab-tui --check-only` of `chapter` as `host` on `platform`, with `more` options."""
    return cli(
        "--check-only", "--chapter", chapter, "--host", host, "--platform", platform, *more,
        env=env,
    )


NO_TEXTUAL = (
    "import sys, runpy\n"
    "sys.argv = ['maillab-tui', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('maillab_tui', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
    "print('TEXTUAL-LOADED' if loaded else 'NO-TEXTUAL', file=sys.stderr)\n"
)


@pytest.mark.parametrize(
    "args",
    [
        ["--check-only", "--chapter", GOOD, "--host", "host1", "--platform", "debian12"],
        ["--check-only", "--chapter", GOOD, "--host", "host1", "--format", "json"],
        ["lint", GOOD],
        ["sandbox", "--help"],
        ["--help"],
    ],
)
def test_engine_commands_never_import_textual(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", NO_TEXTUAL, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.stderr.strip().endswith("NO-TEXTUAL"), proc.stderr


def test_engine_modules_import_without_textual() -> None:
    code = (
        "import sys, importlib, pkgutil, maillab_tui\n"
        "for m in pkgutil.walk_packages(maillab_tui.__path__, 'maillab_tui.'):\n"
        "    if not m.name.startswith('maillab_tui.ui') and not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "print(any(m.startswith('textual') for m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.stdout.strip() == "False", proc.stderr


def test_version_and_help() -> None:
    assert cli("--version").stdout.startswith("maillab-tui ")
    help_text = cli("--help").stdout
    for word in (
        "--check-only",
        "--chapter",
        "--host",
        "--platform",
        "--format",
        "lint",
        "sandbox",
    ):
        assert word in help_text


def test_check_only_json_passes_with_exit_0() -> None:
    proc = check_only(GOOD, "host2", "debian12", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] == "pass" and data["host"] == "host2"
    assert "s3cret-pass" not in proc.stdout


def test_check_only_fails_with_exit_1_and_a_table(tmp_path) -> None:
    text = (FIXTURES / "chapters" / "good.md").read_text(encoding="utf-8")
    path = tmp_path / "failing.md"
    path.write_text(
        text.replace('- shell: "true"', '- shell: "echo not ready; false"'), encoding="utf-8"
    )
    proc = check_only(str(path), "host1", "debian12", "--lang", "en", env={"COLUMNS": "120"})
    assert proc.returncode == 1
    assert (
        "FAIL" in proc.stdout
        and "not ready" in proc.stdout
        and "some checks did not pass" in proc.stdout
    )


def test_check_only_junit_to_a_file(tmp_path) -> None:
    out = tmp_path / "r.xml"
    proc = check_only(GOOD, "host2", "almalinux9", "--format", "junit", "--output", str(out))
    assert proc.returncode == 0 and out.read_text().startswith("<?xml")


def test_check_only_step_and_until() -> None:
    base = [GOOD, "host1", "debian12", "--format", "json"]
    steps = {c["step"] for c in json.loads(check_only(*base, "--step", "user").stdout)["checks"]}
    assert steps == {"user"}
    until = {c["step"] for c in json.loads(check_only(*base, "--until", "user").stdout)["checks"]}
    assert until == {"install", "user"}
    missing = check_only(*base, "--step", "nope")
    assert missing.returncode == 2 and "no step with id 'nope'" in missing.stderr


def test_a_broken_chapter_gives_lint_messages_and_exit_2_never_a_traceback() -> None:
    broken = str(FIXTURES / "chapters" / "lint" / "duplicate-id.md")
    for args in (["--check-only", "--chapter", broken, "--host", "host1"], ["--chapter", broken]):
        proc = cli(*args)
        assert proc.returncode == 2
        assert f"{broken}:46: duplicate step id 'install'" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_an_undetectable_host_says_how_to_choose() -> None:
    proc = cli("--check-only", "--chapter", GOOD, "--platform", "debian12")
    assert proc.returncode == 2
    assert "--host" in proc.stderr and "host1" in proc.stderr


def test_lint_exit_codes() -> None:
    assert cli("lint", GOOD).returncode == 0
    bad = cli("lint", str(FIXTURES / "chapters" / "lint" / "unknown-check.md"))
    assert bad.returncode == 1 and "unknown check 'no_such_check'" in bad.stdout


def test_the_bundled_chapter_lints_clean() -> None:
    proc = cli("lint", "chapters/mail-server")
    assert proc.returncode == 0, proc.stdout


def test_the_tui_needs_a_terminal() -> None:
    proc = cli("--chapter", GOOD, "--host", "host1")
    assert proc.returncode == 2 and "needs a terminal" in proc.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"', "almalinux9"),
        ('ID=rocky\nID_LIKE="rhel centos fedora"', "almalinux9"),
        ('ID=debian\nVERSION_ID="12"', "debian12"),
        ("ID=ubuntu\nID_LIKE=debian", "debian12"),
        ("ID=arch", None),
    ],
)
def test_platform_detection(text: str, expected: str | None) -> None:
    assert platform_from_os_release(text) == expected


def test_host_detection_by_name_or_address() -> None:
    hosts = {
        "host1": {"fqdn": "mail.example1.jp", "address": "192.168.56.101"},
        "host2": {"fqdn": "mail.example2.jp", "address": "192.168.56.102"},
    }
    assert detect_host(hosts, ({"mail.example2.jp"}, set())) == "host2"
    assert detect_host(hosts, ({"x"}, {"192.168.56.101"})) == "host1"
    assert detect_host(hosts, ({"x"}, {"10.0.0.1"})) is None


def test_parse_since_accepts_epoch_iso_and_durations() -> None:
    import time

    from maillab_tui.cli import parse_since

    assert parse_since("1700000000") == 1700000000.0
    assert abs(parse_since("10m") - (time.time() - 600)) < 5
    assert parse_since("2026-11-28T18:00:00") is not None
    assert parse_since("yesterday-ish") is None
    proc = cli("--check-only", "--chapter", GOOD, "--host", "host2", "--since", "soon")
    assert proc.returncode == 2 and "--since soon" in proc.stderr


def test_package_for_picks_the_platforms_name() -> None:
    from maillab_tui.platform import package_for

    assert package_for("debian12", "cyrus-sasl", deb="sasl2-bin") == ("deb", "sasl2-bin")
    assert package_for("almalinux9", "cyrus-sasl", deb="sasl2-bin") == ("rpm", "cyrus-sasl")
    assert package_for("almalinux9", "dovecot", rpm="dovecot-core") == ("rpm", "dovecot-core")
    assert package_for("arch", "postfix") is None
