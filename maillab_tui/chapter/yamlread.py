"""The one way chapters' YAML is read: front matter, check blocks, mistakes.yaml.

PyYAML's safe loader as it is accepts what a chapter must not hold: a key given twice (a lost
`- ` merges two checks, the second silently winning), aliases (`*a`: a few lines that expand
to gigabytes), nesting thousands deep (a RecursionError), and numbers of thousands of digits
(a ValueError). This reader refuses each with a `YamlProblem` naming the line, and never
raises anything else.
"""

from __future__ import annotations

import math
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

MAX_DEPTH = 40
"""How deep a chapter's YAML may nest (its real blocks need 4)."""
MAX_CHARS = 200_000
"""How long one YAML text may be."""


@dataclass(frozen=True)
class YamlProblem(Exception):
    """What is wrong with a YAML text, at a 0-based line within it."""

    line: int
    message: str

    def __str__(self) -> str:
        return self.message


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases, duplicate keys or deep nesting."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ComposerError(None, None, "aliases (*name) are not allowed in a chapter",
                                event.start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # SafeLoader's own error names an unhashable key
                if key in seen:
                    raise ConstructorError(
                        None, None,
                        f"'{key}' is given twice (first on line {seen[key] + 1}; in a check "
                        "block a lost '- ' joins two checks into one)", key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree (for line numbers); YamlProblem when it cannot be read."""
    if len(text) > MAX_CHARS:
        raise YamlProblem(0, f"YAML over {MAX_CHARS:,} characters")
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:  # a control character, before any mark exists
        raise YamlProblem(text[: exc.position].count("\n"),
                          f"a character YAML does not allow: #x{exc.character:04x}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise YamlProblem(mark.line if mark is not None else 0,
                          str(getattr(exc, "problem", None) or exc)) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise YamlProblem(0, f"a value that cannot be read: {exc}") from None
    except RecursionError:
        raise YamlProblem(0, "nested too deep") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def finite(value: Any, low: float, high: float) -> float:
    """`value` as a finite number within [low, high]; ValueError saying what is wrong."""
    if isinstance(value, bool):
        raise ValueError(f"{value} is not a number")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"{value} is not a finite number")
    if not low <= number <= high:
        raise ValueError(f"{value} is outside {low:g} to {high:g}")
    return number


MAX_FILE = 2_000_000
"""How large a chapter or mistakes file may be (the bundled chapter is 50 kB)."""


def read_small_text(path: Path) -> str:
    """A regular file of at most MAX_FILE bytes as UTF-8 text (a BOM dropped); OSError,
    UnicodeDecodeError or ValueError saying what is wrong (a FIFO, /dev/zero, a directory
    are not read at all)."""
    info = path.stat()  # follows symlinks: a loop is an OSError
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is not a regular file")
    if info.st_size > MAX_FILE:
        raise ValueError(f"{path} is {info.st_size:,} bytes, over {MAX_FILE:,}")
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise ValueError(f"{path} is over {MAX_FILE:,} bytes")
    return data.decode("utf-8-sig")


_SCALAR_KEYS = ("id", "title", "language", "learner", "translates")


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def front_matter_shape(meta: dict[Any, Any]) -> list[tuple[str, str]]:
    """(key, message) for each front-matter key whose value has the wrong shape (a list
    where a name belongs, a mapping of lists ...); the parser drops those keys."""
    out: list[tuple[str, str]] = []
    for key in _SCALAR_KEYS:
        if key in meta and not _scalar(meta[key]):
            out.append((key, f"front matter '{key}' must be a single value"))
    network = meta.get("network")
    if network is not None and not (isinstance(network, dict)
                                    and all(_scalar(v) for v in network.values())):
        out.append(("network", "front matter 'network' must map names to values "
                               "(subnet: 192.168.56.0/24)"))
    for name, spec in (meta.get("vars") or {}).items() if isinstance(meta.get("vars"),
                                                                      dict) else ():
        if not (_scalar(spec) or (isinstance(spec, dict)
                                  and all(_scalar(v) for v in spec.values()))):
            out.append(("vars", f"variable '{name}' must be a value or "
                                "{value, secret, description}"))
            break
    hosts = meta.get("hosts")
    if isinstance(hosts, dict) and any(isinstance(v, dict) and not all(map(_scalar, v.values()))
                                       for v in hosts.values()):
        out.append(("hosts", "each host maps variable names to single values"))
    return out
