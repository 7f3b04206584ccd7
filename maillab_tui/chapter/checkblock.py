"""A chapter's `yaml {check}` blocks: each item a check from the library or a shell command."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import yaml
from markdown_it.token import Token

from maillab_tui.chapter.model import CheckSpec
from maillab_tui.chapter.yamlread import YamlProblem, finite, read_yaml

ProblemSink = Callable[[int, str], None]
"""Told each problem: (1-based line, message)."""

# Keys of a check item that are about the check itself; every other key is a parameter
# (so a probe may take `host`: which machine to probe, while `hosts` says where it runs).
CHECK_RESERVED = frozenset(
    {
        "check",
        "holds",
        "shell",
        "weight",
        "timeout",
        "interval",
        "hosts",
        "platform",
        "description",
        "hints",
        "id",
    }
)

def read_check_block(token: Token, index: int, problem: ProblemSink) -> list[CheckSpec]:
    """A `yaml {check}` fence's checks (`index`: how many the step has already), with what
    is wrong told to `problem(line, message)`."""
    out: list[CheckSpec] = []
    assert token.map is not None
    first = token.map[0] + 2
    try:
        data, node = read_yaml(token.content)
    except YamlProblem as exc:
        problem(first + exc.line, f"check block is not valid YAML: {exc}")
        return out
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        problem(
            first - 1, "a check block is a YAML list: '- check: NAME' or '- shell: COMMAND'"
        )
        return out
    for item, item_node in zip(data, node.value, strict=True):
        line = first + item_node.start_mark.line
        if not isinstance(item, dict):
            problem(line, "each check is a mapping: '- check: NAME' or '- shell: COMMAND'")
            continue
        spec = _check_spec(item, line, index + len(out), problem)
        if spec is not None:
            out.append(spec)
    return out


def _check_spec(item: dict[str, Any], line: int, index: int,
                problem: ProblemSink) -> CheckSpec | None:
    """One check item: library name or shell command, reserved keys, the rest parameters."""
    if ("check" in item) == ("shell" in item):
        problem(line, "a check names exactly one of 'check: NAME' or 'shell: COMMAND'")
        return None
    params = {k: v for k, v in item.items() if k not in CHECK_RESERVED}
    name = str(item["check"]) if "check" in item else "shell"
    if "shell" in item:
        if item["shell"] is None or not str(item["shell"]).strip():
            problem(line, "an empty 'shell:' check: give the command that must succeed")
            return None
        params["command"] = str(item["shell"])
    hosts = item.get("hosts", [])
    hosts = [hosts] if isinstance(hosts, str) else list(hosts or [])
    numbers: dict[str, float] = {}
    for key, default, high in (("weight", 1.0, 1000.0), ("timeout", 0.0, 3600.0),
                               ("interval", 1.0, 600.0)):
        try:
            numbers[key] = finite(item.get(key, default), 0.0, high)
        except (TypeError, ValueError) as exc:
            shown = str(item.get(key))[:40]
            problem(line, f"check {key} must be a number from 0 to {high:g}, not "
                               f"'{shown}' ({str(exc)[:80]})")
            numbers[key] = default
    hints = item.get("hints") or {}
    if not isinstance(hints, dict):
        problem(line, "check hints map a diagnosis code to text: 'hints: {code: text}'")
        hints = {}
    return CheckSpec(
        line=line,
        name=name,
        params=MappingProxyType(params),
        weight=numbers["weight"],
        timeout=numbers["timeout"],
        interval=numbers["interval"],
        hosts=tuple(str(h) for h in hosts),
        platform=str(item["platform"]) if item.get("platform") else None,
        description=str(item.get("description", "")),
        hints=MappingProxyType({str(k): str(v) for k, v in hints.items()}),
        check_id=str(item.get("id", f"{name}-{index + 1}")),
        holds=str(item["holds"]) if item.get("holds") else None,
    )

