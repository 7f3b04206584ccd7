"""The chapter model: immutable records that keep the source line of everything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

Severity = Literal["error", "warning"]
CommandKind = Literal["plain", "password", "dialogue", "edit", "terminal", "follow"]
GatePolicy = Literal["hard", "soft", "none"]

COMMAND_KINDS: tuple[str, ...] = ("plain", "password", "dialogue", "edit", "terminal", "follow")
GATE_POLICIES: tuple[str, ...] = ("hard", "soft", "none")
KNOWN_PLATFORMS: tuple[str, ...] = ("almalinux9", "debian12")


def _empty() -> Mapping[str, Any]:
    """A read-only empty mapping, the default for mapping fields."""
    return MappingProxyType({})


@dataclass(frozen=True)
class Problem:
    """Something wrong with a chapter, at a file and line, as lint prints it."""

    path: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {tag}{self.message}"


@dataclass(frozen=True)
class Variable:
    """A chapter-wide variable from the front matter; secret ones are masked wherever recorded."""

    name: str
    value: str
    secret: bool = False
    description: str = ""


@dataclass(frozen=True)
class HostRole:
    """One lab machine's role (host1, host2) and its variables (fqdn, domain, address, user...)."""

    name: str
    vars: Mapping[str, str] = field(default_factory=_empty)

    @property
    def peer(self) -> str | None:
        """The other host's role name, when the front matter names one."""
        return self.vars.get("peer")


@dataclass(frozen=True)
class DialogueTurn:
    """One line of a scripted dialogue: wait for `expect` (a regex) or type `send`."""

    line: int
    expect: str | None = None
    send: str | None = None

    @property
    def ends(self) -> bool:
        """True for the turn that waits for the program to exit (`expect: EOF`)."""
        return self.expect == "EOF"


@dataclass(frozen=True)
class CommandBlock:
    """A fenced block of commands the learner runs, for one platform and host (or all)."""

    line: int
    code: str
    kind: CommandKind = "plain"
    platform: str | None = None
    host: str | None = None
    user: str | None = None
    once: str | bool = False
    timeout: float | None = None
    captures: Mapping[str, str] = field(default_factory=_empty)
    dialogue: tuple[DialogueTurn, ...] = ()
    file: str | None = None
    secret: str | None = None
    solve: bool = False
    block_id: str | None = None
    language: str = "sh"

    def applies_to(self, platform: str, host: str) -> bool:
        """True when this block is for `platform` and `host` (or for all of them)."""
        return (self.platform in (None, platform)) and (self.host in (None, host))


@dataclass(frozen=True)
class CheckSpec:
    """A reference to a check in the library (or a shell check) with its parameters."""

    line: int
    name: str
    params: Mapping[str, Any] = field(default_factory=_empty)
    weight: float = 1.0
    timeout: float = 0.0
    interval: float = 1.0
    hosts: tuple[str, ...] = ()
    platform: str | None = None
    description: str = ""
    hints: Mapping[str, str] = field(default_factory=_empty)
    check_id: str = ""
    holds: str | None = None

    def applies_to(self, platform: str, host: str) -> bool:
        """True when this check is for `platform` and `host` (or for all of them)."""
        return (self.platform in (None, platform)) and (not self.hosts or host in self.hosts)

    def signature(self) -> tuple[str, str]:
        """What must match between a chapter and its translation: the name and parameters."""
        return (self.name, repr(sorted((k, repr(v)) for k, v in self.params.items())))


@dataclass(frozen=True)
class Hint:
    """Text shown to the learner when the step's checks fail."""

    line: int
    text: str


@dataclass(frozen=True)
class Step:
    """One step of the chapter: a heading with a stable id, its text, commands and checks."""

    id: str
    title: str
    line: int
    body: str
    hosts: tuple[str, ...] = ()
    commands: tuple[CommandBlock, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    solve: tuple[CommandBlock, ...] = ()
    hints: tuple[Hint, ...] = ()
    gate: GatePolicy = "hard"
    skippable: bool = False
    holds_before: str | None = None
    reboot: bool = False  # the step is proven by restarting the machine
    parts: tuple[str | CommandBlock, ...] = ()

    def applies_to_host(self, host: str) -> bool:
        """True when the step is for `host` (steps naming no host are for all)."""
        return not self.hosts or host in self.hosts

    def commands_for(self, platform: str, host: str) -> tuple[CommandBlock, ...]:
        """The command blocks the learner runs on this platform and host, in order."""
        return tuple(c for c in self.commands if c.applies_to(platform, host))

    def solve_for(self, platform: str, host: str) -> tuple[CommandBlock, ...]:
        """The non-interactive reference solution, falling back to the commands shown."""
        own = tuple(c for c in self.solve if c.applies_to(platform, host))
        return own or self.commands_for(platform, host)

    def checks_for(self, platform: str, host: str) -> tuple[CheckSpec, ...]:
        """The checks that apply on this platform and host."""
        if not self.applies_to_host(host):
            return ()
        return tuple(c for c in self.checks if c.applies_to(platform, host))


@dataclass(frozen=True)
class Chapter:
    """A whole chapter: front matter, hosts, variables and steps, with where it came from."""

    id: str
    title: str
    language: str
    path: Path
    source_hash: str
    platforms: tuple[str, ...]
    hosts: Mapping[str, HostRole]
    variables: Mapping[str, Variable]
    steps: tuple[Step, ...]
    intro: str = ""
    learner: str = "admin"
    network: Mapping[str, str] = field(default_factory=_empty)
    problems: tuple[Problem, ...] = field(default=(), compare=False)

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def steps_for(self, host: str) -> tuple[Step, ...]:
        """The steps that apply to a host role, in chapter order."""
        return tuple(s for s in self.steps if s.applies_to_host(host))

    def secrets(self) -> tuple[str, ...]:
        """The values of secret variables, for masking."""
        return tuple(v.value for v in self.variables.values() if v.secret and v.value)
