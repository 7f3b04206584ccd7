"""Variables: per-host values, peers, and shell quoting where values land."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from maillab_tui.chapter import parse_chapter
from maillab_tui.chapter.variables import (
    UndefinedVariable,
    expand_shell,
    expand_text,
    host_values,
    mask,
)
from tests.conftest import FIXTURES


def test_host_values_include_peer_and_builtins() -> None:
    chapter = parse_chapter(FIXTURES / "chapters" / "good.md")
    values = host_values(chapter, "host1", "debian12")
    assert values["fqdn"] == "mail.example1.jp"
    assert values["peer_user"] == "user2" and values["peer_domain"] == "example2.jp"
    assert values["host"] == "host1" and values["platform"] == "debian12"
    assert values["password"] == "s3cret-pass"


@pytest.mark.parametrize(
    "template",
    [
        "printf %s {{ v }}",
        "printf %s '{{ v }}'",
        'printf %s "{{ v }}"',
        'printf %s "pre {{ v }} post"',
        "printf %s x{{ v }}y",
    ],
)
@pytest.mark.parametrize("value", ["plain", "two words", "it's", 'a"b', "$HOME `id` \\n", "*"])
def test_shell_expansion_keeps_each_value_literal(template: str, value: str) -> None:
    command = expand_shell(template, {"v": value})
    out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True).stdout
    expected = shlex.split(template.replace("{{ v }}", "VALUE"))[2].replace("VALUE", value)
    assert out == expected


def test_text_expansion_and_undefined_variable() -> None:
    assert expand_text("{{a}}@{{ b }}", {"a": "user1", "b": "example1.jp"}) == "user1@example1.jp"
    with pytest.raises(UndefinedVariable) as info:
        expand_text("{{ missing }}", {})
    assert info.value.name == "missing"


def test_mask_replaces_every_secret_longest_first() -> None:
    assert (
        mask("pw=userpass and userpass2", ("userpass", "userpass2")) == "pw=******** and ********"
    )
    assert mask("nothing here", ("",)) == "nothing here"
