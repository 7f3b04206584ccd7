"""`{{ name }}` variables: the one place that knows a host's values and how they land in text."""

from __future__ import annotations

import base64
import functools
import re
import shlex
from collections.abc import Iterator, Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class UndefinedVariable(KeyError):
    """A template names a variable that has no value for this host."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"undefined variable {{{{ {self.name} }}}}"


def placeholders(template: str) -> Iterator[tuple[str, int]]:
    """Each variable name used in `template` with its character offset."""
    for match in PLACEHOLDER.finditer(template):
        yield match.group(1), match.start()


def host_values(chapter: Any, host: str, platform: str = "") -> dict[str, str]:
    """All values a template may use on `host`: chapter variables, the host's, and `peer_*`."""
    values: dict[str, str] = {name: var.value for name, var in chapter.variables.items()}
    role = chapter.hosts.get(host)
    if role is not None:
        values.update(role.vars)
        peer = chapter.hosts.get(role.vars.get("peer", ""))
        if peer is not None:
            values.update({f"peer_{k}": v for k, v in peer.vars.items()})
    values["host"] = host
    values["learner"] = chapter.learner
    if platform:
        values["platform"] = platform
    return values


def expand_text(template: str, values: Mapping[str, str]) -> str:
    """Fill in variables as they are, for prose and check parameters."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise UndefinedVariable(name)
        return values[name]

    return PLACEHOLDER.sub(replace, template)


def _quote_for(context: str, value: str) -> str:
    """Quote `value` for where it lands in a shell word: bare, in '...' or in "..."."""
    if context == "'":
        return value.replace("'", "'\\''")
    if context == '"':
        return re.sub(r'([\\"$`])', r"\\\1", value)
    return shlex.quote(value)


def expand_shell(template: str, values: Mapping[str, str]) -> str:
    """Fill in variables in a command so that each value stays one literal shell string."""
    out: list[str] = []
    quote = ""  # the quote we are inside of: "", "'" or '"'
    i = 0
    while i < len(template):
        match = PLACEHOLDER.match(template, i)
        if match:
            name = match.group(1)
            if name not in values:
                raise UndefinedVariable(name)
            out.append(_quote_for(quote, values[name]))
            i = match.end()
            continue
        ch = template[i]
        if ch == "\\" and quote != "'" and i + 1 < len(template):
            out.append(template[i : i + 2])
            i += 2
            continue
        if quote == "" and ch in "'\"":
            quote = ch
        elif quote == ch:
            quote = ""
        out.append(ch)
        i += 1
    return "".join(out)


def mask(text: str, secrets: tuple[str, ...] | list[str], replacement: str = "********") -> str:
    """`text` with every secret value replaced, for anything that is recorded or shown; its
    base64 forms too (`echo PASS | base64`, with or without the newline and the padding)."""
    for form in _forms(tuple(secrets)):
        text = text.replace(form, replacement)
    return text


@functools.lru_cache(maxsize=64)
def _forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """The strings `mask` replaces for these secrets, longest first."""
    forms = set()
    for secret in (s for s in secrets if s):
        forms.add(secret)
        if len(secret) >= 4:  # short ones would match in ordinary base64 text by chance
            for raw in (secret, secret + "\n"):
                encoded = base64.b64encode(raw.encode()).decode()
                forms.update({encoded, encoded.rstrip("=")})
    return tuple(sorted(forms, key=len, reverse=True))
