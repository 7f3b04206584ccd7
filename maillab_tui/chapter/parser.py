"""Markdown to chapter model: steps are `##` headings with `{#id}`, blocks carry `{attributes}`.

The format is described for instructors in docs/chapter-format.md. The parser never raises on
a broken chapter: it records a `Problem` with the file and line and carries on, so that lint
can report everything at once; `load_chapter` raises `ChapterError` when any is an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from maillab_tui import config
from maillab_tui.chapter import page, yamlread
from maillab_tui.chapter.attrs import heading_attrs, parse_attrs, split_info
from maillab_tui.chapter.checkblock import read_check_block
from maillab_tui.chapter.dialogue import read_dialogue
from maillab_tui.chapter.dropped import dropped, fence_problems
from maillab_tui.chapter.model import (
    COMMAND_KINDS,
    GATE_POLICIES,
    KNOWN_PLATFORMS,
    Chapter,
    CheckSpec,
    CommandBlock,
    CommandKind,
    DialogueTurn,
    GatePolicy,
    Hint,
    HostRole,
    Problem,
    Step,
    Variable,
)
from maillab_tui.chapter.yamlread import YamlProblem, front_matter_shape, read_yaml

STEP_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RUNNABLE_LANGUAGES = ("sh", "bash", "shell", "console")
COMMAND_ATTRS = frozenset(
    {
        "id",
        "platform",
        "host",
        "kind",
        "user",
        "once",
        "timeout",
        "file",
        "secret",
        "solve",
        "norun",
    }
)
STEP_ATTRS = frozenset({"id", "hosts", "host", "gate", "skip", "holds", "reboot"})
FRONT_MATTER_KEYS = frozenset(
    {"id", "title", "language", "platforms", "hosts", "vars", "learner", "network", "translates"}
)
BUILTIN_VARIABLES = frozenset({"host", "learner", "platform"})


class ChapterError(Exception):
    """A chapter with errors; `problems` holds every one with its file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def bundled_chapters_dir() -> Path:
    """Where the chapters shipped with maillab-tui live (repository or installed wheel)."""
    return config.bundled_dir("chapters")


def find_chapter(ref: str | None, language: str = "ja") -> Path:
    """The chapter file for an id or a path: a file, a directory with LANG.md, or a bundled id."""
    ref = ref or "mail-server"
    path = Path(ref)
    if not path.exists() and "/" not in ref and not ref.endswith(".md"):
        path = bundled_chapters_dir() / ref
    if path.is_dir():
        for name in (f"{language}.md", "ja.md", "en.md"):
            if (path / name).is_file():
                return path / name
        raise ChapterError([Problem(str(path), 0, "no ja.md or en.md in this chapter directory")])
    if not path.is_file():
        known = sorted(p.name for p in bundled_chapters_dir().glob("*") if p.is_dir())
        raise ChapterError([Problem(ref, 0, f"no such chapter (bundled: {', '.join(known)})")])
    return path


def load_chapter(ref: str | Path | None = None, language: str = "ja") -> Chapter:
    """Parse a chapter by id or path; raise `ChapterError` listing every error it has."""
    path = ref if isinstance(ref, Path) else find_chapter(ref, language)
    chapter = parse_chapter(path)
    errors = [p for p in chapter.problems if p.severity == "error"]
    if errors:
        raise ChapterError(errors)
    return chapter


@dataclass
class _Builder:
    """Mutable state while one step is being read."""

    id: str
    title: str
    line: int
    attrs: dict[str, str | bool]
    start: int  # first line of the body (0-based)
    end: int = 0
    commands: list[CommandBlock] = field(default_factory=list)
    checks: list[CheckSpec] = field(default_factory=list)
    solve: list[CommandBlock] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)
    cut: list[tuple[int, int, CommandBlock | None]] = field(default_factory=list)
    details: int = 0  # how deep inside <details> the block being read is


_TRANSLATING: set[Path] = set()
"""The chapters whose `translates:` source is being read (a loop is refused, not recursed)."""


class _Parser:
    """Reads one markdown file into a `Chapter`, recording problems as it goes."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        self.problems: list[Problem] = []
        self.meta: dict[str, Any] = {}
        self.front_ok = True

    def problem(self, line: int, message: str, severity: str = "error") -> None:
        """Record a problem at a 1-based line."""
        self.problems.append(Problem(str(self.path), line, message, cast(Any, severity)))

    # -- front matter -------------------------------------------------------------------

    def read_front_matter(self, token: Token) -> None:
        """Parse the YAML front matter and check its shape."""
        try:
            data = read_yaml(token.content)[0] or {}
        except YamlProblem as exc:
            self.problem(exc.line + 2, f"front matter is not valid YAML: {exc}")
            self.front_ok = False
            return
        if not isinstance(data, dict):
            self.problem(1, "front matter must be a mapping of keys (id, title, hosts ...)")
            self.front_ok = False
            return
        for key, message in front_matter_shape(data):
            self.problem(self.key_line(key), message)
            data.pop(key, None)
        for key in data:
            if key not in FRONT_MATTER_KEYS:
                self.problem(self.key_line(key), f"unknown front matter key '{key}'", "warning")
        self.meta = data

    def key_line(self, key: str) -> int:
        """The line of a top-level front-matter key, for messages."""
        for number, line in enumerate(self.lines, start=1):
            if line.startswith(f"{key}:"):
                return number
        return 1

    def inherit(self, source: Chapter) -> None:
        """A translation takes platforms, hosts and variables from the chapter it translates."""
        for key in ("platforms", "hosts", "vars", "learner", "network"):
            self.meta.setdefault(key, source_meta(source, key))

    def hosts(self) -> dict[str, HostRole]:
        """Host roles from the front matter, each a flat mapping of string variables."""
        raw = self.meta.get("hosts")
        if not isinstance(raw, dict) or not raw:
            self.problem(
                self.key_line("hosts"), "front matter declares no hosts (hosts: host1: ...)"
            )
            return {}
        roles: dict[str, HostRole] = {}
        for name, values in raw.items():
            if not isinstance(values, dict):
                self.problem(
                    self.key_line("hosts"), f"host '{name}' must be a mapping of variables"
                )
                continue
            roles[str(name)] = HostRole(
                str(name), MappingProxyType({str(k): str(v) for k, v in values.items()})
            )
        for role in roles.values():
            if role.peer is not None and role.peer not in roles:
                self.problem(
                    self.key_line("hosts"), f"host '{role.name}' names unknown peer '{role.peer}'"
                )
        return roles

    def variables(self) -> dict[str, Variable]:
        """Chapter variables: `name: value` or `name: {value, secret, description}`."""
        raw = self.meta.get("vars") or {}
        if not isinstance(raw, dict):
            self.problem(self.key_line("vars"), "vars must be a mapping")
            return {}
        out: dict[str, Variable] = {}
        for name, spec in raw.items():
            if isinstance(spec, dict):
                out[name] = Variable(
                    name,
                    str(spec.get("value", "")),
                    bool(spec.get("secret", False)),
                    str(spec.get("description", "")),
                )
            else:
                out[name] = Variable(name, str(spec))
        return out

    def platforms(self) -> tuple[str, ...]:
        """Declared platforms, each one maillab-tui knows."""
        raw = self.meta.get("platforms")
        if not isinstance(raw, list) or not raw:
            self.problem(self.key_line("platforms"), "front matter declares no platforms")
            return ()
        for name in raw:
            if name not in KNOWN_PLATFORMS:
                self.problem(
                    self.key_line("platforms"),
                    f"unknown platform '{name}' (known: {', '.join(KNOWN_PLATFORMS)})",
                )
        return tuple(str(p) for p in raw)

    # -- blocks ---------------------------------------------------------------------------

    def command_block(self, token: Token, lang: str, attrs: dict[str, str | bool]) -> CommandBlock:
        """A runnable fence (`sh {...}` or `dialogue {...}`) as a `CommandBlock`."""
        assert token.map is not None
        line = token.map[0] + 1
        for key in attrs:
            if key not in COMMAND_ATTRS and not key.startswith("capture:"):
                self.problem(line, f"unknown command attribute '{key}'")
        kind = str(attrs.get("kind", "dialogue" if lang == "dialogue" else "plain"))
        if kind not in COMMAND_KINDS:
            self.problem(line, f"unknown command kind '{kind}' (known: {', '.join(COMMAND_KINDS)})")
            kind = "plain"
        timeout: float | None = None
        if "timeout" in attrs:
            try:
                timeout = float(str(attrs["timeout"]))
            except ValueError:
                self.problem(line, f"timeout must be a number of seconds, not '{attrs['timeout']}'")
        code = token.content.rstrip("\n")
        dialogue: tuple[DialogueTurn, ...] = ()
        if kind == "dialogue":
            code, dialogue = self.dialogue(token)
        once = attrs.get("once", False)
        return CommandBlock(
            line=line,
            code=code,
            kind=cast(CommandKind, kind),
            platform=_str_or_none(attrs.get("platform")),
            host=_str_or_none(attrs.get("host")),
            user=_str_or_none(attrs.get("user")),
            once=once if isinstance(once, bool) else str(once),
            timeout=timeout,
            captures=MappingProxyType(
                {k.split(":", 1)[1]: str(v) for k, v in attrs.items() if k.startswith("capture:")}
            ),
            dialogue=dialogue,
            file=_str_or_none(attrs.get("file")),
            secret=_str_or_none(attrs.get("secret")),
            solve=bool(attrs.get("solve", False)),
            block_id=_str_or_none(attrs.get("id")),
            language=lang or "sh",
        )

    def dialogue(self, token: Token) -> tuple[str, tuple[DialogueTurn, ...]]:
        """A dialogue fence: `$ command`, then `expect: REGEX` and `send: TEXT` lines."""
        return read_dialogue(token, self.problem)

    def check_block(self, token: Token, step: _Builder) -> None:
        """A `yaml {check}` fence: a list of checks with their parameters."""
        if step.checks:
            self.problem(cast(list[int], token.map)[0] + 1, "a second check block in this "
                         "step: one block holds a step's checks (or was the heading between "
                         "them lost?)", "warning")
        step.checks += read_check_block(token, len(step.checks), self.problem)

    # -- the whole file ---------------------------------------------------------------------

    def parse(self, translation_source: Chapter | None = None) -> Chapter:
        """Read the whole file into a `Chapter` (problems included, never raising)."""
        md = MarkdownIt("commonmark").use(front_matter_plugin).enable("table")
        tokens = md.parse(self.text)
        for found in dropped(tokens, self.lines, self.text, md.options["maxNesting"]):
            self.problem(*found)
        if tokens and tokens[0].type == "front_matter":
            self.read_front_matter(tokens[0])
        else:
            self.problem(1, "a chapter starts with front matter between '---' lines")
            self.front_ok = False
        if not self.front_ok:
            # Without front matter nothing below can be judged; one clear message is enough.
            return self.empty_chapter()
        if "translates" in self.meta and translation_source is None:
            translation_source = self.load_source()
        if translation_source is not None:
            self.inherit(translation_source)
        platforms = self.platforms()
        hosts = self.hosts()
        variables = self.variables()
        for key in ("id", "title"):
            if not self.meta.get(key):
                self.problem(1, f"front matter has no '{key}'")

        title = str(self.meta.get("title", ""))
        builders: list[_Builder] = []
        intro_end = len(self.lines)
        intro_cuts: list[tuple[int, int]] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "heading_open" and token.tag in ("h1", "h2") and token.level == 0:
                inline = tokens[i + 1]
                assert token.map is not None
                if token.tag == "h1":
                    title = title or inline.content
                else:
                    if not builders:
                        intro_end = token.map[0]
                    if builders:
                        builders[-1].end = token.map[0]
                    builders.append(self.start_step(inline.content, token.map))
                i += 3
                continue
            if builders:
                i = self.read_block(tokens, i, builders[-1])
            elif token.type == "html_block" and token.level == 0 and token.map is not None:
                # page markup before the first step (a page-only legend) stays on the page
                i, cut, _ = page.markup_cut(tokens, i, 0)
                intro_cuts.append(cut)
            else:
                if token.type == "fence" and token.info.strip():
                    lang, attrs, _ = split_info(token.info)
                    if (
                        lang == "dialogue"
                        or "check" in attrs
                        or (lang in RUNNABLE_LANGUAGES and attrs)
                    ):
                        self.problem(
                            (token.map or [0])[0] + 1,
                            "blocks before the first step ('## Title {#id}') belong to no step",
                        )
                i += 1
        if builders:
            builders[-1].end = len(self.lines)

        if not builders and not any(p.line == 1 for p in self.problems):
            self.problem(1, "the chapter has no steps: each step is a '## Title {#id}' heading")
        steps = self.finish(builders, hosts, platforms, variables)
        front_end = (
            tokens[0].map[1] if tokens and tokens[0].type == "front_matter" and tokens[0].map else 0
        )
        intro = page.cut_lines(self.lines, intro_cuts, front_end, intro_end).strip()
        return Chapter(
            id=str(self.meta.get("id", "")),
            title=title,
            language=str(self.meta.get("language", "ja")),
            path=self.path,
            source_hash=hashlib.sha256(self.text.encode()).hexdigest(),
            platforms=platforms,
            hosts=MappingProxyType(hosts),
            variables=MappingProxyType(variables),
            steps=tuple(steps),
            intro=intro,
            learner=str(self.meta.get("learner", "admin")),
            network=MappingProxyType(
                {str(k): str(v) for k, v in (self.meta.get("network") or {}).items()}
            ),
            problems=tuple(self.problems),
        )

    def empty_chapter(self) -> Chapter:
        """The chapter when its front matter is unusable: no steps, only the problem."""
        return Chapter(
            id="",
            title="",
            language="",
            path=self.path,
            source_hash=hashlib.sha256(self.text.encode()).hexdigest(),
            platforms=(),
            hosts=MappingProxyType({}),
            variables=MappingProxyType({}),
            steps=(),
            problems=tuple(self.problems),
        )

    def load_source(self) -> Chapter | None:
        """The chapter a translation names in `translates:` (not one that leads back here)."""
        source = self.path.parent / str(self.meta["translates"])
        if not source.is_file():
            self.problem(self.key_line("translates"), f"translates: no such file {source.name}")
            return None
        here = self.path.resolve()
        if source.resolve() in _TRANSLATING | {here}:
            self.problem(self.key_line("translates"), f"translates: {source.name} leads back to "
                         "this chapter (a translation names the chapter it translates)")
            return None
        _TRANSLATING.add(here)
        try:
            chapter = parse_chapter(source)
        finally:
            _TRANSLATING.discard(here)
        if translates_of(source):
            self.problem(self.key_line("translates"), f"translates: {source.name} is itself a "
                         "translation: name the chapter written first")
        return chapter

    def start_step(self, content: str, token_map: list[int]) -> _Builder:
        """A `## Title {#id ...}` heading opens a step."""
        line = token_map[0] + 1
        match = heading_attrs(content)
        attrs: dict[str, str | bool] = {}
        title = content.strip()
        if match:
            title = match[0]
            attrs, error = parse_attrs(match[1])
            if error:
                self.problem(line, error)
        self.step_attrs_known(attrs, line)
        shown = sorted(k for k in attrs if k != "id")
        if shown:
            self.problem(line, f"step attributes in the heading ({', '.join(shown)}): a "
                         "code-hosting site shows them as text; put them in a "
                         "'<!-- step: ... -->' line under the heading", "warning")
        step_id = str(attrs.get("id", ""))
        if not step_id:
            self.problem(line, f"step '{title}' has no id: write '## {title} {{#some-id}}'")
        elif not STEP_ID.match(step_id):
            self.problem(line, f"step id '{step_id}' must be lowercase letters, digits and '-'")
        return _Builder(step_id, title, line, attrs, start=token_map[1])

    def step_attrs_known(self, attrs: Mapping[str, str | bool], line: int) -> None:
        """Report attributes a step does not have."""
        for key in attrs:
            if key not in STEP_ATTRS:
                self.problem(line, f"unknown step attribute '{key}'")

    def read_page_markup(self, tokens: list[Token], i: int, step: _Builder) -> int:
        """`<!-- step: ... -->`, `<!-- page-only -->`, `<details>`: cut from the lab's text."""
        token = tokens[i]
        found = page.STEP_COMMENT.match(token.content)
        if found and token.map is not None:
            attrs, error = parse_attrs(found.group("attrs"))
            if error:
                self.problem(token.map[0] + 1, error)
            if "id" in attrs:
                self.problem(token.map[0] + 1, "the step's id belongs in its heading ('{#id}')")
            self.step_attrs_known(attrs, token.map[0] + 1)
            step.attrs.update({k: v for k, v in attrs.items() if k != "id"})
        after, cut, step.details = page.markup_cut(tokens, i, step.details)
        step.cut.append((*cut, None))
        return after

    def read_block(self, tokens: list[Token], i: int, step: _Builder) -> int:
        """Take a fence or hint quote into the current step; return the next token index."""
        token = tokens[i]
        if token.type == "html_block" and token.level == 0 and token.map is not None:
            return self.read_page_markup(tokens, i, step)
        if token.type == "fence" and token.map is not None:
            lang, attrs, error = split_info(token.info)
            line = token.map[0] + 1
            if error:
                self.problem(line, error)
            for at, message in fence_problems(lang, attrs, token.content, line):
                self.problem(at, message)
            if "check" in attrs or lang == "check":
                self.check_block(token, step)
                step.cut.append((token.map[0], token.map[1], None))
            elif lang == "dialogue" or (lang in RUNNABLE_LANGUAGES and not attrs.get("norun")):
                if token.level > 0:
                    self.problem(
                        line,
                        "a command block inside a list or quote: put it at the top level",
                        "warning",
                    )
                block = self.command_block(token, lang, attrs)
                label, problem = page.label_cut(tokens, i, block.platform, bool(block.solve),
                                                step.details)
                if label is not None:
                    step.cut.append((*label, None))
                if problem:
                    self.problem(line, problem, "warning")
                if block.solve:
                    step.solve.append(block)
                    step.cut.append((token.map[0], token.map[1], None))
                else:
                    step.commands.append(block)
                    step.cut.append((token.map[0], token.map[1], block))
            return i + 1
        if token.type == "blockquote_open" and token.level == 0 and token.map is not None:
            depth, j = 0, i
            while j < len(tokens):
                depth += tokens[j].nesting if tokens[j].type.startswith("blockquote") else 0
                if depth == 0:
                    break
                j += 1
            hint = page.hint(self.lines, token)
            if hint is not None:
                step.hints.append(hint)
                step.cut.append((token.map[0], token.map[1], None))
            return j + 1
        return i + 1

    def finish(
        self,
        builders: list[_Builder],
        hosts: Mapping[str, HostRole],
        platforms: tuple[str, ...],
        variables: Mapping[str, Variable],
    ) -> list[Step]:
        """Validate every step and freeze it."""
        seen: dict[str, int] = {}
        captured: set[str] = set()
        steps: list[Step] = []
        for b in builders:
            if b.id and b.id in seen:
                self.problem(b.line, f"duplicate step id '{b.id}' (first at line {seen[b.id]})")
            elif b.id:
                seen[b.id] = b.line
            step_hosts = self.step_hosts(b, hosts)
            gate = str(b.attrs.get("gate", "hard"))
            if gate not in GATE_POLICIES:
                self.problem(
                    b.line, f"gate must be one of {', '.join(GATE_POLICIES)}, not '{gate}'"
                )
                gate = "hard"
            # Solve blocks may cover only some platforms: the others fall back to the commands.
            self.check_variants(b.commands, step_hosts or tuple(hosts), hosts, platforms)
            for block in b.solve:
                self.check_targets(block.line, block.platform, [block.host], hosts, platforms)
            for spec in b.checks:
                self.check_targets(spec.line, spec.platform, spec.hosts, hosts, platforms)
            self.check_variables(b, step_hosts or tuple(hosts), hosts, variables, captured)
            if b.commands and not b.checks:
                self.problem(b.line, f"step '{b.id}' has commands but no check", "warning")
            body, parts = self.body(b)
            holds = b.attrs.get("holds")
            steps.append(
                Step(
                    id=b.id,
                    title=b.title,
                    line=b.line,
                    body=body,
                    hosts=step_hosts,
                    commands=tuple(b.commands),
                    checks=tuple(b.checks),
                    solve=tuple(b.solve),
                    hints=tuple(b.hints),
                    gate=cast(GatePolicy, gate),
                    skippable=bool(b.attrs.get("skip", False)),
                    reboot=bool(b.attrs.get("reboot", False)),
                    holds_before=str(holds) if holds else None,
                    parts=parts,
                )
            )
        return steps

    def step_hosts(self, b: _Builder, hosts: Mapping[str, HostRole]) -> tuple[str, ...]:
        """The hosts a step names (`hosts=host1,host2`), each declared in the front matter."""
        raw = b.attrs.get("hosts", b.attrs.get("host", ""))
        names = tuple(h for h in str(raw).split(",") if h) if raw and raw is not True else ()
        for name in names:
            if name not in hosts:
                self.problem(b.line, f"host '{name}' is not declared in the front matter")
        return names

    def check_targets(
        self,
        line: int,
        platform: str | None,
        names: Iterable[str | None],
        hosts: Mapping[str, HostRole],
        platforms: tuple[str, ...],
    ) -> None:
        """A block's platform and hosts must be declared in the front matter."""
        if platform is not None and platform not in platforms:
            self.problem(line, f"platform '{platform}' is not declared in the front matter")
        for name in names:
            if name is not None and name not in hosts:
                self.problem(line, f"host '{name}' is not declared in the front matter")

    def check_variants(
        self,
        blocks: list[CommandBlock],
        step_hosts: tuple[str, ...],
        hosts: Mapping[str, HostRole],
        platforms: tuple[str, ...],
    ) -> None:
        """Adjacent platform-specific blocks are variants: together they cover every platform."""
        group: list[CommandBlock] = []
        for block in [*blocks, None]:
            if block is not None:
                self.check_targets(block.line, block.platform, [block.host], hosts, platforms)
            if block is not None and block.platform is not None:
                group.append(block)
                continue
            if group:
                named = {b.host for b in group}
                targets = (
                    step_hosts if None in named else tuple(h for h in step_hosts if h in named)
                )
                for host in targets:
                    covered = {b.platform for b in group if b.host in (None, host)}
                    missing = [p for p in platforms if p not in covered]
                    if missing:
                        self.problem(
                            group[0].line,
                            f"command block has no variant for platform {', '.join(missing)}"
                            f" on {host}",
                        )
            group = []

    def check_variables(
        self,
        b: _Builder,
        step_hosts: tuple[str, ...],
        hosts: Mapping[str, HostRole],
        variables: Mapping[str, Variable],
        captured: set[str],
    ) -> None:
        """Every `{{ name }}` in the step has a value on each host it runs on."""
        from maillab_tui.chapter.variables import placeholders

        def known(host: str) -> set[str]:
            role = hosts.get(host)
            names = set(variables) | BUILTIN_VARIABLES | captured
            if role is not None:
                names |= set(role.vars)
                peer = hosts.get(role.vars.get("peer", ""))
                if peer is not None:
                    names |= {f"peer_{k}" for k in peer.vars}
            return names

        def scan(text: str, line: int, block_host: str | None = None) -> None:
            for name, offset in placeholders(text):
                targets = [h for h in ([block_host] if block_host else step_hosts) if h in hosts]
                missing = [h for h in targets if name not in known(h)]
                if missing:
                    where = line + text.count("\n", 0, offset)
                    self.problem(
                        where, f"undefined variable '{{{{ {name} }}}}' on {', '.join(missing)}"
                    )

        scan(b.title, b.line)
        for block in [*b.commands, *b.solve]:
            scan(block.code, block.line + 1, block.host)
            for attribute in (block.once, block.user, block.file):
                if isinstance(attribute, str):
                    scan(attribute, block.line, block.host)
            for turn in block.dialogue:
                scan(turn.send or "", turn.line, block.host)
            captured.update(block.captures)
        for spec in b.checks:
            for value in spec.params.values():
                if isinstance(value, str):
                    scan(value, spec.line)

    def body(self, b: _Builder) -> tuple[str, tuple[str | CommandBlock, ...]]:
        """The step's markdown without checks, solves and hints; and split at command blocks."""
        parts: list[str | CommandBlock] = []
        cursor = b.start
        chunks: list[str] = []
        for start, end, block in sorted(b.cut, key=lambda c: c[0]):
            text = "\n".join(self.lines[cursor:start]).strip("\n")
            if text.strip():
                parts.append(text)
                chunks.append(text)
            if block is not None:
                parts.append(block)
                fence = self.lines[start].lstrip()[:3]
                lang = "console" if block.kind == "dialogue" else "sh"
                chunks.append(
                    f"{fence}{lang}\n" + "\n".join(self.lines[start + 1 : end - 1]) + f"\n{fence}"
                )
            cursor = end
        tail = "\n".join(self.lines[cursor : b.end]).strip("\n")
        if tail.strip():
            parts.append(tail)
            chunks.append(tail)
        return "\n\n".join(chunks), tuple(parts)


def source_meta(chapter: Chapter, key: str) -> Any:
    """Front matter values of a parsed chapter, in front-matter shape, for translations."""
    if key == "platforms":
        return list(chapter.platforms)
    if key == "hosts":
        return {name: dict(role.vars) for name, role in chapter.hosts.items()}
    if key == "vars":
        return {
            name: {"value": v.value, "secret": v.secret, "description": v.description}
            for name, v in chapter.variables.items()
        }
    if key == "learner":
        return chapter.learner
    return dict(chapter.network)


def _str_or_none(value: str | bool | None) -> str | None:
    """An attribute value as a string; absent or bare flags become None."""
    if value is None or isinstance(value, bool):
        return None
    return value


def parse_chapter(path: Path | str, text: str | None = None) -> Chapter:
    """Parse a chapter file into a `Chapter` whose `problems` lists everything wrong with it."""
    path = Path(path)
    if text is None:
        try:
            text = yamlread.read_small_text(path)
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            raise ChapterError([Problem(str(path), line, "not UTF-8 text: bytes "
                                        f"{exc.object[exc.start:exc.end]!r} on this line "
                                        "(save the file as UTF-8)")]) from None
        except (OSError, ValueError) as exc:
            raise ChapterError([Problem(str(path), 0, f"cannot read chapter: {exc}")]) from None
    text = text.removeprefix("\ufeff")
    key = (str(path.resolve()), text)
    if _MEMO is not None and key in _MEMO:
        return _MEMO[key]
    chapter = _Parser(path, text).parse()
    if _MEMO is not None:
        _MEMO[key] = chapter
    return chapter


_MEMO: dict[tuple[str, str], Chapter] | None = None


@contextlib.contextmanager
def parsing_once() -> Iterator[None]:
    """Within it, a file with the same text is parsed once (lint reads a translation's source
    for the translation, then again to compare them)."""
    global _MEMO
    outer = _MEMO
    _MEMO = {} if outer is None else outer
    try:
        yield
    finally:
        _MEMO = outer


def translates_of(path: Path) -> str | None:
    """The `translates:` value of a chapter's front matter, read cheaply."""
    try:
        head = yamlread.read_small_text(path).split("\n---", 1)[0]
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    for line in head.splitlines():
        if line.startswith("translates:"):
            return line.split(":", 1)[1].strip().strip("'\"") or None
    return None
