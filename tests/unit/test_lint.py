"""Every lint rule, each with a small broken chapter that shows it."""

from __future__ import annotations

import pytest

from maillab_tui.lint import lint
from tests.conftest import FIXTURES

LINT = FIXTURES / "chapters" / "lint"

RULES = [
    ("duplicate-id.md", 46, "error", "duplicate step id 'install' (first at line 21)"),
    ("missing-id.md", 46, "error", "step 'ユーザー' has no id"),
    ("unknown-check.md", 76, "error", "unknown check 'no_such_check'"),
    ("unknown-param.md", 36, "error", "check 'shell' has no parameter 'colour'"),
    ("missing-param.md", 76, "error", "check 'shell' needs parameter 'command'"),
    ("undefined-variable.md", 49, "error", "undefined variable '{{ username }}' on host1"),
    ("missing-variant.md", 23, "error", "no variant for platform debian12 on host1"),
    ("undeclared-platform.md", 27, "error", "platform 'ubuntu24' is not declared"),
    ("undeclared-host.md", 46, "error", "host 'host3' is not declared"),
    ("dialogue-never-ends.md", 52, "error", "dialogue never ends"),
    ("no-check.md", 46, "warning", "step 'user' has commands but no check"),
    ("bad-yaml.md", 6, "error", "front matter is not valid YAML"),
    ("bad-check-yaml.md", 78, "error", "check block is not valid YAML"),
]


def test_the_good_chapter_has_no_problems() -> None:
    assert lint([str(FIXTURES / "chapters" / "good.md")]) == []


@pytest.mark.parametrize(("name", "line", "severity", "message"), RULES)
def test_rule(name: str, line: int, severity: str, message: str) -> None:
    problems = lint([str(LINT / name)])
    matching = [p for p in problems if message in p.message]
    assert matching, problems
    assert matching[0].line == line
    assert matching[0].severity == severity
    assert str(matching[0]).startswith(f"{LINT / name}:{line}: ")


def test_every_fixture_has_a_rule() -> None:
    assert sorted(p.name for p in LINT.glob("*.md")) == sorted(r[0] for r in RULES)


def test_translation_with_same_ids_and_checks_passes() -> None:
    assert lint([str(FIXTURES / "chapters" / "translation-ok")]) == []


def test_translation_with_other_ids_or_checks_fails() -> None:
    problems = [str(p) for p in lint([str(FIXTURES / "chapters" / "translation-bad")])]
    en = FIXTURES / "chapters" / "translation-bad" / "en.md"
    assert f"{en}:1: step 'send' of ja.md is missing here" in problems
    assert f"{en}:60: step 'send-mail' is not in ja.md" in problems
    assert f"{en}:41: step 'user' has other checks than in ja.md (line 46)" in problems


def test_unknown_check_suggests_the_near_name(tmp_path) -> None:
    text = (FIXTURES / "chapters" / "good.md").read_text(encoding="utf-8")
    path = tmp_path / "typo.md"
    path.write_text(
        text.replace('- shell: "true"', "- check: shel\n  command: x"), encoding="utf-8"
    )
    assert any("did you mean 'shell'" in p.message for p in lint([str(path)]))


def test_a_missing_file_is_reported() -> None:
    problems = lint(["/nonexistent/chapter.md"])
    assert [str(p) for p in problems] == ["/nonexistent/chapter.md:0: no such file"]
