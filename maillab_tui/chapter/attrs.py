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

