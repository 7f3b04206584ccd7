"""The chapter on the machines students have: AlmaLinux 9 installs only what its BaseOS and
AppStream (the DVD) hold, and a stock Debian 12 (no rsyslog) is followed through the journal."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from maillab_tui.chapter import Chapter, load_chapter, parse_chapter

FIXTURE = Path(__file__).parents[1] / "fixtures" / "almalinux9" / "packages.yaml"
SHIPPED = {"BaseOS", "AppStream"}


def shipped() -> dict[str, dict[str, str]]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["packages"]


def dnf_installs(chapter: Chapter) -> list[tuple[int, str]]:
    """Every package name a `dnf install` of the AlmaLinux variant names (not files)."""
    out = []
    for step in chapter.steps:
        for block in (*step.commands, *step.solve):
            if block.platform not in (None, "almalinux9"):
                continue
            for line in block.code.splitlines():
                if "dnf" not in line:
                    continue
                lexer = shlex.shlex(line.replace("{{", "").replace("}}", ""), posix=True,
                                    punctuation_chars=True)
                words = list(lexer)
                for i, word in enumerate(words):
                    if word != "dnf" or words[i + 1:i + 2] not in (["install"], ["reinstall"]):
                        continue
                    for arg in words[i + 2:]:
                        if arg in ("|", "||", "&&", ";"):
                            break
                        if not arg.startswith("-") and "/" not in arg and arg != "snail":
                            out.append((block.line, arg))
    return out


def not_shipped(chapter: Chapter) -> list[str]:
    packages = shipped()
    return [f"{chapter.path.name}:{line}: {name} ({packages.get(name, {}).get('repo', '?')})"
            for line, name in dnf_installs(chapter)
            if packages.get(name, {}).get("repo") not in SHIPPED]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_almalinux_installs_only_what_its_dvd_holds(language: str) -> None:
    chapter = load_chapter("mail-server", language)
    names = {n for _, n in dnf_installs(chapter)}
    assert {"postfix", "s-nail", "dovecot", "mutt", "thunderbird"} <= names
    assert not_shipped(chapter) == []


def test_a_package_only_in_epel_is_caught(tmp_path: Path) -> None:
    source = load_chapter("mail-server").path.read_text(encoding="utf-8")
    path = tmp_path / "ja.md"
    path.write_text(source.replace("sudo dnf install -y mutt", "sudo dnf install -y neomutt"),
                    encoding="utf-8")
    assert any("neomutt (EPEL)" in p for p in not_shipped(parse_chapter(path)))


def test_every_fixture_entry_names_a_repository() -> None:
    assert all(entry["repo"] in (*SHIPPED, "EPEL") for entry in shipped().values())


@pytest.mark.parametrize("language", ["ja", "en"])
def test_debian_follows_the_journal_not_a_file_rsyslog_would_write(language: str) -> None:
    step = load_chapter("mail-server", language).step("follow-log")
    debian = [b.code for b in step.commands_for("debian12", "host1")]
    assert debian == ["sudo journalctl -f -u postfix@- -u dovecot"]
    assert all("mail.log" not in str(c.params) for c in step.checks)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_commands_that_read_root_only_files_use_sudo(language: str) -> None:
    for step in load_chapter("mail-server", language).steps:
        for block in step.commands:
            for line in block.code.splitlines():
                if line.startswith(("doveconf", "tail -f /var/log", "journalctl")):
                    pytest.fail(f"{step.id}: '{line}' needs sudo on a stock machine")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_offline_class_meets_the_dvd_before_the_first_install(language: str) -> None:
    ids = [s.id for s in load_chapter("mail-server", language).steps]
    assert ids.index("install-from-dvd") < ids.index("install-postfix")
    assert ids.index("install-thunderbird") < ids.index("mail-client")
