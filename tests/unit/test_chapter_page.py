"""The chapter as a reader sees it on a code-hosting site, and what the lab leaves out.

The page conventions (maillab_tui/chapter/page.py): step attributes in `<!-- step: -->`,
a label before each platform's variant, solves folded in `<details>`, `<!-- page-only -->`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from maillab_tui.chapter import load_chapter, parse_chapter

HEAD = """---
id: tiny
title: T
language: ja
platforms: [almalinux9, debian12]
hosts:
  host1: {fqdn: a.example}
---

# T

<!-- page-only -->
> `{{ fqdn }}` is this machine's name.

Intro text.

"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "ja.md"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


STEP = """## Step {#s}

<!-- step: gate=soft skip reboot holds="why" -->

Text.

**AlmaLinux 9**

```sh {platform=almalinux9}
echo alma
```

**Debian 12**

```sh {platform=debian12}
echo debian
```

<details><summary>solution</summary>

```sh {solve}
echo solved
```

</details>

```yaml {check}
- shell: "true"
```
"""


def test_the_step_comment_carries_the_attributes(tmp_path: Path) -> None:
    chapter = parse_chapter(write(tmp_path, STEP))
    assert chapter.problems == ()
    step = chapter.steps[0]
    assert (step.gate, step.skippable, step.reboot, step.holds_before) == ("soft", True, True,
                                                                           "why")


def test_the_lab_shows_none_of_the_page_markup(tmp_path: Path) -> None:
    chapter = parse_chapter(write(tmp_path, STEP))
    body = chapter.steps[0].body
    for gone in ("<!--", "**AlmaLinux 9**", "**Debian 12**", "<details", "</details>",
                 "solved"):
        assert gone not in body, gone
    assert "Text." in body and "echo alma" in body
    assert "page-only" not in chapter.intro and "{{ fqdn }}" not in chapter.intro
    assert "Intro text." in chapter.intro


@pytest.mark.parametrize(("old", "new", "warning"), [
    ("## Step {#s}\n\n<!-- step: gate=soft skip reboot holds=\"why\" -->",
     "## Step {#s gate=soft}", "step attributes in the heading (gate)"),
    ("**AlmaLinux 9**\n\n", "", "a block for almalinux9 without its label"),
    ("<details><summary>solution</summary>", "", "a solve outside '<details>'"),
])
def test_what_a_reader_would_miss_is_a_warning(tmp_path: Path, old: str, new: str,
                                               warning: str) -> None:
    chapter = parse_chapter(write(tmp_path, STEP.replace(old, new)))
    assert [p.severity for p in chapter.problems] == ["warning"]
    assert warning in chapter.problems[0].message


def test_an_unknown_attribute_in_the_step_comment_is_an_error(tmp_path: Path) -> None:
    chapter = parse_chapter(write(tmp_path, STEP.replace("reboot", "rebot")))
    assert any(p.severity == "error" and "rebot" in p.message for p in chapter.problems)


def rendered(language: str) -> str:
    """The chapter as a code-hosting site renders it (CommonMark, tables, HTML kept)."""
    text = load_chapter("mail-server", language).path.read_text(encoding="utf-8")
    text = text.split("\n---\n", 1)[1]  # the sites show front matter as a table at most
    return MarkdownIt("commonmark").enable("table").render(text)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_bundled_chapter_reads_as_a_textbook(language: str) -> None:
    html = rendered(language)
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert len(headings) == len(load_chapter("mail-server", language).steps)
    for heading in headings:  # a short id at most, never gates or reasons
        assert re.fullmatch(r"[^{}]*\{#[a-z0-9-]+\}", heading), heading
    # every solve is folded away
    opened = html.count("<details>")
    assert opened == html.count("</details>") and opened >= 5
    outside = re.sub(r"<details>.*?</details>", "", html, flags=re.S)
    assert "debconf-set-selections" not in outside  # the install step's solve
    # each platform's variant is labelled where the reader sees it
    assert html.count("<strong>AlmaLinux 9</strong>") >= 10
    assert html.count("<strong>Debian 12</strong>") >= 10
    # the notation is explained once, before the first step
    assert html.index("{{ user }}") < html.index("<h2>")


def test_the_english_page_has_no_japanese_check_text() -> None:
    chapter = load_chapter("mail-server", "en")
    for step in chapter.steps:
        for spec in step.checks:
            for text in (spec.description or "", spec.holds or ""):
                assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), (step.id, text)
