"""The `{#id key=value flag}` attributes of a chapter's headings and fences."""

from __future__ import annotations

import re
import shlex


def heading_attrs(content: str) -> tuple[str, str] | None:
    """(title, attribute text) of a heading that ends in `{...}`, else None. In linear time:
    a regex for this backtracks quadratically on a long line of spaces."""
    stripped = content.rstrip()
    start = stripped.rfind("{")
    if not stripped.endswith("}") or start < 0:
        return None
    inner = stripped[start + 1 : -1]
    if "}" in inner:
        return None
    return stripped[:start].strip(), inner


def parse_attrs(text: str) -> tuple[dict[str, str | bool], str | None]:
    """Attributes in `{#id key=value key="quoted value" flag}`; the error, if they do not parse."""
    # `{{ name }}` keeps its spaces in prose; inside attributes it must stay one word.
    text = re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", r"{{\1}}", text)
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError as exc:
        return {}, f"attributes do not parse ({exc}): {{{text}}}"
    attrs: dict[str, str | bool] = {}
    words = [re.sub(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}", r"{{ \1 }}", w) for w in words]
    for word in words:
        if word.startswith("#"):
            attrs["id"] = word[1:]
        elif word.startswith("."):
            attrs[word[1:]] = True
        elif "=" in word:
            key, value = word.split("=", 1)
            attrs[key] = value
        else:
            attrs[word] = True
    return attrs, None


def split_info(info: str) -> tuple[str, dict[str, str | bool], str | None]:
    """A fence's language and its `{...}` attributes."""
    info = info.strip()
    if "{" in info and info.endswith("}"):
        lang, _, rest = info.partition("{")
        attrs, error = parse_attrs(rest[:-1])
        return lang.strip(), attrs, error
    lang, _, rest = info.partition(" ")
    return lang.strip(), {}, None


_CHECK_ITEM = re.compile(r"^-[ \t]+(check|shell)[ \t]*:", re.MULTILINE)


def missed_check_block(lang: str, attrs: dict[str, str | bool], content: str) -> str | None:
    """Why a fence that is not marked `{check}` looks like a check block (a misspelt or lost
    `{check}`), or None. Its checks would silently not be graded."""
    import difflib

    near = [key for key in attrs if difflib.SequenceMatcher(None, key, "check").ratio() >= 0.6]
    if near:
        return (f"unknown block attribute {{{near[0]}}}: did you mean {{check}}? As it is, "
                "its checks are not graded")
    if lang in ("yaml", "yml", "") and _CHECK_ITEM.search(content):
        return ("this block lists checks ('- check:' / '- shell:') but is not marked "
                "```yaml {check}: its checks are not graded")
    return None


def fence_problems(lang: str, attrs: dict[str, str | bool], content: str,
                   line: int) -> list[tuple[int, str]]:
    """(line, error) of a fence at `line` that lost something: checks not marked `{check}`,
    or a fence marker inside it (a fence above lost its opening or closing line, so this
    block swallowed the next)."""
    out = []
    if not ("check" in attrs or lang == "check"):
        missed = missed_check_block(lang, attrs, content)
        if missed:
            out.append((line, missed))
    for number, text in enumerate(content.splitlines()):
        if text.lstrip().startswith(("```", "~~~")):
            out.append((line + 1 + number, "a fence line inside a block: a ``` above this line "
                        "is missing (a block lost its opening or closing line)"))
            break
    return out
