"""The chapter parser and model on a small good chapter."""

from __future__ import annotations

import pytest

from maillab_tui.chapter import ChapterError, CommandBlock, load_chapter, parse_chapter
from maillab_tui.chapter.attrs import parse_attrs
from maillab_tui.chapter.parser import find_chapter
from tests.conftest import FIXTURES, ROOT

GOOD = FIXTURES / "chapters" / "good.md"


def test_front_matter_hosts_and_secret_variables() -> None:
    chapter = parse_chapter(GOOD)
    assert chapter.id == "tiny"
    assert chapter.platforms == ("almalinux9", "debian12")
    assert chapter.hosts["host2"].vars["address"] == "192.168.56.102"
    assert chapter.hosts["host1"].peer == "host2"
    assert chapter.secrets() == ("s3cret-pass",)
    assert chapter.problems == ()


def test_steps_keep_ids_titles_lines_and_host_scope() -> None:
    chapter = parse_chapter(GOOD)
    assert [s.id for s in chapter.steps] == ["read", "install", "user", "send"]
    assert chapter.step("install").title == "インストール"
    assert chapter.step("install").line == 21
    assert chapter.step("user").hosts == ("host1",)
    assert [s.id for s in chapter.steps_for("host2")] == ["read", "install", "send"]
    assert chapter.step("read").commands == ()


def test_command_variants_per_platform_and_solve_fallback() -> None:
    step = parse_chapter(GOOD).step("install")
    alma = step.commands_for("almalinux9", "host1")
    assert [c.code for c in alma] == ["sudo dnf install -y postfix"]
    assert step.solve_for("debian12", "host1")[0].code.startswith("sudo DEBIAN_FRONTEND")
    assert step.solve_for("almalinux9", "host1") == alma  # no solve of its own: the commands


def test_checks_hints_and_step_attributes() -> None:
    chapter = parse_chapter(GOOD)
    install = chapter.step("install")
    spec = install.checks[0]
    assert spec.name == "shell"
    assert spec.params["command"] == 'test -n "{{ fqdn }}"'
    assert (spec.weight, spec.timeout) == (2.0, 5.0)
    assert spec.hints["*"] == "もう一度インストールしてください"
    assert install.hints[0].text == "インターネット接続を確認してください。"
    send = chapter.step("send")
    assert send.gate == "soft" and send.skippable


def test_once_dialogue_and_body_parts() -> None:
    chapter = parse_chapter(GOOD)
    user = chapter.step("user")
    useradd, passwd = user.commands
    assert useradd.once == "getent passwd {{ user }}"
    assert passwd.kind == "dialogue" and passwd.code == "sudo passwd {{ user }}"
    assert [t.expect for t in passwd.dialogue if t.expect][-1] == "EOF"
    assert passwd.dialogue[1].send == "{{ password }}"
    send = chapter.step("send").commands[0]
    assert send.user == "user1" and send.timeout == 30.0
    # the body keeps prose and command blocks in order, and drops checks and hints
    install = chapter.step("install")
    kinds = [type(p).__name__ for p in install.parts]
    assert kinds == ["CommandBlock", "CommandBlock"]
    assert "yaml" not in install.body and "[!TIP]" not in install.body
    assert all(isinstance(p, CommandBlock) for p in install.parts)


def test_attributes_parse_quotes_flags_and_ids() -> None:
    attrs, err = parse_attrs('#x hosts=host1 once="getent passwd u" skip')
    assert err is None
    assert attrs == {"id": "x", "hosts": "host1", "once": "getent passwd u", "skip": True}
    assert parse_attrs('once="unclosed')[1] is not None


def test_load_chapter_raises_with_every_error(tmp_path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("---\nid: x\ntitle: y\nplatforms: [debian12]\nhosts: {h: {}}\n---\n"
                      "## A\n\n## B {#b}\n\n## C {#b}\n", encoding="utf-8")
    with pytest.raises(ChapterError) as info:
        load_chapter(broken)
    text = str(info.value)
    assert f"{broken}:7: step 'A' has no id" in text
    assert f"{broken}:11: duplicate step id 'b' (first at line 9)" in text


def test_find_chapter_by_id_directory_and_language(tmp_path) -> None:
    assert find_chapter("mail-server") == ROOT / "chapters" / "mail-server" / "ja.md"
    with pytest.raises(ChapterError, match="no such chapter"):
        find_chapter("no-such-chapter")
    (tmp_path / "en.md").write_text("x", encoding="utf-8")
    assert find_chapter(str(tmp_path), "ja") == tmp_path / "en.md"


def test_unreadable_chapter_is_a_problem_not_a_traceback(tmp_path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\nid: x\n---\n\xff\xfe\x00 not utf-8")
    with pytest.raises(ChapterError, match="not UTF-8") as caught:
        parse_chapter(bad)
    assert caught.value.problems[0].line == 4          # the line, not a byte position
