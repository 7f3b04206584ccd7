"""The chapter file as a code-hosting site shows it, rendered and looked at in headless Chromium.

GitHub and GitLab render a chapter's markdown as CommonMark with tables; they keep `<details>`
and hide HTML comments. The screenshots of the first steps (test-artifacts/chapter-page/) are
for a person to look at: headings with only a short id, each platform's variant labelled,
solves folded, the `{{ name }}` notation explained.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from maillab_tui.chapter import load_chapter
from tests.integration.classroom import chromium, screenshot

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "chapter-page"
STYLE = """<style>
body { font-family: "IPAGothic", sans-serif; max-width: 960px; margin: 24px auto;
       color: #1f2328; line-height: 1.5; }
h1, h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
pre { background: #f6f8fa; padding: 12px; border-radius: 6px; overflow: auto; }
code { font-family: monospace; }
table { border-collapse: collapse; } td, th { border: 1px solid #d1d9e0; padding: 4px 10px; }
blockquote { color: #59636e; border-left: .25em solid #d1d9e0; margin: 0; padding: 0 1em; }
details { margin: 8px 0; } summary { cursor: pointer; color: #0969da; }
</style>"""


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_first_steps_read_as_a_textbook_page(language: str) -> None:
    if chromium() is None:
        pytest.skip("chromium is not installed")
    text = load_chapter("mail-server", language).path.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    steps = body.split("\n## ")
    first = "\n## ".join(steps[:5])  # the title, the legend and four steps
    html = MarkdownIt("commonmark").enable("table").render(first)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / f"{language}.html"
    page.write_text(f"<!doctype html><meta charset='utf-8'>{STYLE}<body>{html}</body>",
                    encoding="utf-8")
    dom = screenshot(page, ARTIFACTS / f"{language}.png", width=1100, height=3000)
    shown = re.sub(r"<!--.*?-->", "", dom, flags=re.S)
    assert "gate=" not in shown and "holds=" not in shown
    assert "<details>" in shown and "<details open" not in shown
    assert "<strong>AlmaLinux 9</strong>" in shown and "<strong>Debian 12</strong>" in shown
    assert (ARTIFACTS / f"{language}.png").stat().st_size > 20_000
