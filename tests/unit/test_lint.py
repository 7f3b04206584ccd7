"""Every lint rule, each with a small broken chapter that shows it."""

from __future__ import annotations

import pytest

from maillab_tui.chapter.lint import lint, regex_words
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
    ("hidden-subject.md", 35, "error",
     "check 'mail_delivered' expects 'Secret subject of user1' (subject_pattern) on host1, but "
     "the learner is not told it"),
]


def test_hidden_knowledge_names_only_what_was_never_said() -> None:
    problems = [p for p in lint([str(LINT / "hidden-subject.md")]) if "not told" in p.message]
    said = {(p.line, p.message.split("'")[3]) for p in problems}
    # the subject the command shows is told; the solve's is not; a file's line the learner never
    # saw is not; what must be absent needs no telling
    assert said == {(35, "Secret subject of user1"), (35, "Secret subject of user2"),
                    (38, "relayhost"), (38, "[smtp.example.jp]")}, problems


@pytest.mark.parametrize(("pattern", "words"), [
    ("Client mail from user1", ["Client mail from user1"]),
    ("^pwcheck_method: *saslauthd", ["pwcheck_method:", "saslauthd"]),
    (r"network-online\.target", ["network-online.target"]),
    ("(New|新しい) ?password", None),
    (r"^Test\s+mail [0-9]+ (from)? user1$", ["Test", "mail", "from", "user1"]),
])
def test_regex_words(pattern: str, words: list[str] | None) -> None:
    assert regex_words(pattern) == words


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
    assert f"{en}:72: step 'send-mail' is not in ja.md" in problems
    assert f"{en}:51: step 'user' has other checks than in ja.md (line 56)" in problems


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
