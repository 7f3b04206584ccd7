"""The check library interface: what a check module in checks/ is written against.

A check is a small read-only probe of the live system::

    from maillab_tui.check import Context, Param, check, failed, passed

    @check("user_exists", "A local account exists.", params={"user": Param(str, required=True)})
    def user_exists(ctx: Context, user: str) -> Result:
        ...

It returns a `Result`: pass, fail (with a `Diagnosis` naming the likely cause), error (the
probe itself could not run, e.g. it needs root) or skip (not applicable here).
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import time
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from maillab_tui import config, platform, system
from maillab_tui.system import Proc
from maillab_tui.text import Localized, Message, t


class Status(StrEnum):
    """How a check came out."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"


@dataclass(frozen=True)
class Diagnosis:
    """The likely cause of a failure, with a stable code chapters can attach hints to."""

    code: str
    message: Message
    suggestion: str = ""


@dataclass(frozen=True)
class Result:
    """What a check found: status, a message for the learner, the evidence, and a diagnosis."""

    status: Status
    message: Message
    evidence: tuple[str, ...] = ()
    diagnosis: Diagnosis | None = None
    silent: bool = False
    """The probe got no answer at all (a timeout): a definite failure seen earlier in the same
    wait says more, so `wait_for` reports that one instead."""
    needs_root: bool = False
    """The probe could not look without root (see `denied`): a learner who is not root gets
    it run as root through sudo where the context can (Context.as_root)."""


def _evidence(evidence: str | Sequence[str] | None) -> tuple[str, ...]:
    """Evidence as a tuple of lines."""
    if evidence is None:
        return ()
    if isinstance(evidence, str):
        return (evidence,) if evidence else ()
    return tuple(str(e) for e in evidence)


def passed(message: Message, evidence: str | Sequence[str] | None = None) -> Result:
    """A passing result."""
    return Result(Status.PASS, message, _evidence(evidence))


def failed(
    message: Message,
    evidence: str | Sequence[str] | None = None,
    diagnosis: Diagnosis | None = None,
    silent: bool = False,
) -> Result:
    """A failing result, ideally with the likely cause (`silent`: nothing answered at all)."""
    return Result(Status.FAIL, message, _evidence(evidence), diagnosis, silent)


def error(message: Message, evidence: str | Sequence[str] | None = None) -> Result:
    """The probe itself could not run (permission denied, a tool missing, a timeout)."""
    return Result(Status.ERROR, message, _evidence(evidence))


def denied(message: Message, evidence: str | Sequence[str] | None = None) -> Result:
    """The probe may not look without root (a file, a socket, a command): an error that
    run_check turns into the same probe run as root when it can."""
    return Result(Status.ERROR, message, _evidence(evidence), needs_root=True)


def skipped(message: Message) -> Result:
    """The check does not apply here (another platform, another host)."""
    return Result(Status.SKIP, message)


NEEDS_ROOT = t(
    "このチェックには root 権限が必要です。sudo maillab-tui で実行してください。",
    "This check needs root: run maillab-tui with sudo.",
)


def needs_root() -> Result:
    """The standard result for a probe that needs root and does not have it (a probe may
    return it when it finds out only by trying; run_check then runs it as root if it can)."""
    return denied(NEEDS_ROOT)


@dataclass(frozen=True)
class Param:
    """A declared parameter: its type, whether it is required, its default, and what it means."""

    type: type = str
    required: bool = False
    default: Any = None
    doc: str = ""
    told: str = ""
    """What the learner must have been told for this value (lint: no hidden knowledge):
    "literal" (the value itself), "regex" (the literal words of the regex), or "" (nothing)."""

    def convert(self, value: Any) -> Any:
        """The value as this parameter's type (a string for a list becomes a one-item list)."""
        if self.type is list:
            if isinstance(value, list):
                return value
            return [value]
        if self.type is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("yes", "true", "1", "on"):
                return True
            if str(value).lower() in ("no", "false", "0", "off"):
                return False
            raise ValueError(f"expected yes/no, got {value!r}")
        if self.type in (int, float):
            if isinstance(value, bool):
                raise ValueError(f"expected a number, got {value!r}")
            return self.type(value)
        if self.type is str and isinstance(value, dict | list):
            raise ValueError(f"expected text, got {type(value).__name__}")
        return self.type(value)


CheckFunction = Callable[..., Result]


@dataclass(frozen=True)
class CheckDef:
    """A check in the library: name, description, parameters and the probe function."""

    name: str
    description: str
    params: Mapping[str, Param]
    func: CheckFunction
    source: str = ""
    needs_root: bool = False

    def problems_with(self, given: Mapping[str, Any]) -> list[str]:
        """What is wrong with a chapter's parameters for this check (unknown, missing, type)."""
        out: list[str] = []
        for key in given:
            if key not in self.params:
                known = ", ".join(self.params) or "none"
                out.append(f"check '{self.name}' has no parameter '{key}' (it takes: {known})")
        for key, param in self.params.items():
            if param.required and key not in given:
                out.append(f"check '{self.name}' needs parameter '{key}'")
            elif key in given and not (isinstance(given[key], str) and "{{" in given[key]):
                try:
                    param.convert(given[key])
                except (TypeError, ValueError) as exc:
                    out.append(f"check '{self.name}' parameter '{key}': {exc}")
        return out

    def bind(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments for the probe: converted values, defaults for the rest."""
        kwargs: dict[str, Any] = {}
        for key, param in self.params.items():
            if key in given:
                kwargs[key] = param.convert(given[key])
            elif not param.required:
                kwargs[key] = param.default
        return kwargs


_PENDING: list[CheckDef] = []


_DOC_SECTION = re.compile(r"^\s*Parameters:\s*$")
_DOC_ITEM = re.compile(r"^(?P<indent>\s*)(?P<name>[A-Za-z_][A-Za-z0-9_]*):\s+(?P<doc>.*)$")


def parameter_docs(docstring: str | None) -> dict[str, str]:
    """The `Parameters:` section of a check's docstring: `name: what it means` per parameter,
    continued on more deeply indented lines (joined with single spaces)."""
    docs: dict[str, str] = {}
    inside, current, indent = False, "", -1
    for line in (docstring or "").splitlines():
        if _DOC_SECTION.match(line):
            inside, current = True, ""
            continue
        if not inside:
            continue
        if not line.strip():
            if current:
                inside = False
            continue
        item = _DOC_ITEM.match(line)
        if item and (indent < 0 or len(item.group("indent")) == indent):
            indent = len(item.group("indent"))
            current = item.group("name")
            docs[current] = item.group("doc").strip()
        elif current and len(line) - len(line.lstrip()) > indent:
            docs[current] += " " + line.strip()
        else:
            inside = False
    return docs


def _param_type(hint: Any) -> type:
    """str, int, float, bool or list, from an annotation such as `list[str] | None`."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        hint = args[0]
    origin = typing.get_origin(hint)
    if origin is not None:
        hint = origin
    return hint if isinstance(hint, type) else str


def params_from_signature(func: CheckFunction, told: Mapping[str, str],
                          shared: Mapping[str, str] | None = None) -> dict[str, Param]:
    """A check's parameters as its function declares them: the name, the annotation's type,
    the default (none: required) and the docstring's `Parameters:` line (or `shared`, the
    meaning of parameters several checks take); `told` adds what the learner must have been
    told of a value."""
    hints = typing.get_type_hints(func)
    docs = {**(shared or {}), **parameter_docs(func.__doc__)}
    out: dict[str, Param] = {}
    for index, (pname, parameter) in enumerate(inspect.signature(func).parameters.items()):
        if index == 0 or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue  # the context, and catch-alls
        required = parameter.default is inspect.Parameter.empty
        out[pname] = Param(_param_type(hints.get(pname, str)), required,
                           None if required else parameter.default, docs.get(pname, ""),
                           told.get(pname, ""))
    unknown = sorted(set(told) - set(out))
    if unknown:
        raise TypeError(f"told= names no parameter of {func.__name__}: {', '.join(unknown)}")
    return out


_F = typing.TypeVar("_F", bound=Callable[..., Any])


def takes_params_of(run: _F, plan: Callable[..., Any], skip: int) -> _F:
    """Give `run`, a check's function that takes the context, the parameters it handles itself
    and `**rest` for `plan`, the parameters of both: its own, then `plan`'s after the first
    `skip`; and `plan`'s name and docstring. Checks that share parameters (the SMTP checks'
    host, port, from_address and io_timeout) declare them once this way."""
    own = [p for p in inspect.signature(run).parameters.values()
           if p.kind is not p.VAR_KEYWORD]
    rest = list(inspect.signature(plan).parameters.values())[skip:]
    names = {p.name for p in own} | {"return"}
    annotations = {k: v for k, v in run.__annotations__.items() if k in names}
    annotations.update({p.name: plan.__annotations__[p.name] for p in rest
                        if p.name in plan.__annotations__})
    run.__signature__ = inspect.Signature([*own, *rest])  # type: ignore[attr-defined]
    run.__annotations__ = annotations
    run.__name__, run.__qualname__ = plan.__name__, plan.__qualname__
    run.__doc__ = plan.__doc__
    return run

def check(
    name: str,
    description: str,
    params: Mapping[str, Param] | None = None,
    *,
    told: Mapping[str, str] | None = None,
    docs: Mapping[str, str] | None = None,
    needs_root: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Declare a check; the library picks it up when its module is loaded.

    The parameters come from the function itself (see `params_from_signature`; `docs` gives
    the meaning of parameters shared with other checks) unless `params` declares them one by
    one, as a `Param` each.
    """

    def register(func: CheckFunction) -> CheckFunction:
        declared = dict(params) if params is not None else params_from_signature(
            func, told or {}, docs)
        _PENDING.append(
            CheckDef(
                name,
                description,
                MappingProxyType(declared),
                func,
                getattr(func, "__module__", ""),
                needs_root,
            )
        )
        return func

    return register


Runner = Callable[..., Proc]


@dataclass
class Context:
    """What a probe may look at: the host's role and values, and a way to run commands."""

    host: str
    platform: str
    values: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    language: str = "ja"
    since: float | None = None
    root: bool = field(default_factory=system.is_root)
    runner: Runner = system.run
    files_root: str = "/"
    as_root: Callable[[str, Context, Mapping[str, Any]], Result] | None = None
    """For a learner who is not root: runs one probe that needs root (through sudo, see
    maillab_tui.checking.rootprobe) and returns its result; None reports such probes as errors."""

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 10.0,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Proc:
        """Run a command read-only, bounded by `timeout`."""
        return self.runner(list(argv), timeout=timeout, input=input, env=env)

    def path(self, name: str) -> Path:
        """A path on the system being checked (tests may point `files_root` elsewhere)."""
        return Path(self.files_root) / name.lstrip("/")

    def value(self, name: str, default: str = "") -> str:
        """A variable of this host (fqdn, address, user, password, peer_address ...)."""
        return self.values.get(name, default)

    # The platform's facts, as the checked system has them (maillab_tui.platform).

    def mail_log(self) -> Path | None:
        """The mail log file this system writes, or None (the journal holds the mail log)."""
        return platform.find_mail_log(self.platform, self.files_root)

    def package(self, name: str, rpm: str | None = None,
                deb: str | None = None) -> tuple[str, str] | Result:
        """("rpm" or "deb", the package's name on this platform), or the error result for a
        platform maillab-tui does not know."""
        found = platform.package_for(self.platform, name, rpm, deb)
        if found is None:
            return error(t(f"未対応のプラットフォームです: {self.platform}",
                           f"unsupported platform: {self.platform}"))
        return found

    def daemon_units(self, unit: str) -> tuple[str, ...]:
        """The units that really run the daemon behind `unit` here (besides `unit` itself)."""
        return platform.daemon_units(self.platform, unit)


PACKAGE_PARAMS: Mapping[str, Param] = MappingProxyType({
    "name": Param(str, required=True, doc="the package name (on both platforms)"),
    "rpm": Param(str, doc="the name on rpm platforms (AlmaLinux), when it differs"),
    "deb": Param(str, doc="the name on deb platforms (Debian), when it differs"),
})
"""The parameters of a check about a package: its name, and its name per package format."""


PackageFunction = Callable[[Context, str, str], Result]


def package_check(name: str, description: str, *, needs_root: bool = False
                  ) -> Callable[[PackageFunction], CheckFunction]:
    """Declare a check about one package: it takes PACKAGE_PARAMS, and `func(ctx, format,
    package)` gets "rpm" or "deb" and the package's name on this platform (an unknown platform
    is an error result before `func` runs)."""

    def register(func: PackageFunction) -> CheckFunction:
        def about_package(ctx: Context, name: str, rpm: str | None = None,
                          deb: str | None = None) -> Result:
            found = ctx.package(name, rpm, deb)
            return found if isinstance(found, Result) else func(ctx, *found)

        for attr in ("__doc__", "__name__", "__qualname__", "__module__"):
            setattr(about_package, attr, getattr(func, attr))
        return check(name, description, PACKAGE_PARAMS, needs_root=needs_root)(about_package)

    return register


@check(
    "shell",
    "A shell command: exit status 0 passes, and its output becomes the message.",
    {
        "command": Param(str, required=True, doc="the command, run with sh -c"),
        "expect_output": Param(str, doc="a regex the output must also match"),
        "quiet": Param(bool, default=False, doc="pass only when the command prints nothing"),
        "root": Param(bool, default=False, doc="the command needs root (error, not fail, without)"),
    },
)
def shell_check(
    ctx: Context,
    command: str,
    expect_output: str | None = None,
    quiet: bool = False,
    root: bool = False,
) -> Result:
    """The built-in shell check."""
    import re

    if root and not ctx.root:
        if ctx.as_root is not None:
            given = {"command": command, "expect_output": expect_output, "quiet": quiet,
                     "root": root}
            return ctx.as_root("shell", ctx, {k: v for k, v in given.items() if v is not None})
        return needs_root()
    proc = ctx.run(["sh", "-c", command], timeout=30)
    output = proc.output
    lines = output.splitlines()[-10:]
    if proc.missing:
        return error(f"sh: {proc.stderr}")
    if proc.timed_out:
        return error(t("コマンドが時間内に終わりませんでした", "the command timed out"), lines)
    if proc.returncode != 0:
        return failed(
            output or t(f"終了コード {proc.returncode}", f"exit status {proc.returncode}"), lines
        )
    if quiet and output:
        return failed(output, lines)
    if expect_output and not re.search(expect_output, output, re.MULTILINE):
        return failed(
            t(
                f"出力が /{expect_output}/ に一致しません",
                f"output does not match /{expect_output}/",
            ),
            lines,
        )
    return passed(output or t("終了コード 0", "exit status 0"), lines)


BUILTIN: dict[str, CheckDef] = {d.name: d for d in _PENDING}
_PENDING.clear()


def bundled_checks_dir() -> Path:
    """Where the check library shipped with maillab-tui lives (repository or installed wheel)."""
    return config.bundled_dir("checks")


def check_dirs(extra: Sequence[str | Path] = ()) -> list[Path]:
    """The bundled library, then directories named by MAILLAB_CHECKS_PATH, then `extra`."""
    dirs = [bundled_checks_dir()]
    dirs += config.checks_path()
    dirs += [Path(p) for p in extra]
    return dirs


@dataclass
class Library:
    """All checks a chapter may name, with any module that failed to load."""

    checks: dict[str, CheckDef]
    problems: list[str]

    def get(self, name: str) -> CheckDef | None:
        """The check with this name, or None."""
        return self.checks.get(name)


_CACHE: dict[tuple[str, ...], Library] = {}


def load_library(extra: Sequence[str | Path] = ()) -> Library:
    """Load every `*.py` module in the check directories; a later name overrides an earlier."""
    dirs = check_dirs(extra)
    key = tuple(str(d) for d in dirs)
    if key in _CACHE:
        return _CACHE[key]
    checks = dict(BUILTIN)
    problems: list[str] = []
    for directory in dirs:
        if not directory.is_dir():
            problems.append(f"{directory}: check directory does not exist")
            continue
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module_name = f"maillab_checks_{abs(hash(str(directory))):x}_{path.stem}"
            try:
                spec = importlib.util.spec_from_file_location(module_name, path)
                if spec is None or spec.loader is None:
                    raise ImportError("not a Python module")
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
            except Exception as exc:  # a broken instructor module must not break the others
                problems.append(f"{path}: cannot load checks: {type(exc).__name__}: {exc}")
                _PENDING.clear()
                continue
            for definition in _PENDING:
                checks[definition.name] = CheckDef(
                    definition.name,
                    definition.description,
                    definition.params,
                    definition.func,
                    str(path),
                    definition.needs_root,
                )
            _PENDING.clear()
    library = Library(checks, problems)
    _CACHE[key] = library
    return library


def run_check(definition: CheckDef, ctx: Context, params: Mapping[str, Any]) -> Result:
    """Run one probe once, turning a crash or a missing root into an error result."""
    if definition.needs_root and not ctx.root:
        if ctx.as_root is not None:
            return ctx.as_root(definition.name, ctx, params)
        return needs_root()
    try:
        kwargs = definition.bind(params)
    except (TypeError, ValueError) as exc:
        return error(f"{definition.name}: {exc}")
    try:
        result = definition.func(ctx, **kwargs)
    except PermissionError as exc:
        if ctx.as_root is not None and not ctx.root:  # another user's mailbox, the shadow file
            return ctx.as_root(definition.name, ctx, params)
        return error(t(f"権限がありません: {exc}", f"permission denied: {exc}"))
    except Exception as exc:  # a probe bug must show as an error, never crash the grading
        return error(f"{definition.name}: {type(exc).__name__}: {exc}")
    if not isinstance(result, Result):
        return error(f"{definition.name} returned {type(result).__name__}, not a Result")
    if result.needs_root and ctx.as_root is not None and not ctx.root:
        return ctx.as_root(definition.name, ctx, params)
    return result


def wait_for(
    definition: CheckDef,
    ctx: Context,
    params: Mapping[str, Any],
    timeout: float,
    interval: float,
    on_attempt: Callable[[int, Result], None] | None = None,
) -> tuple[Result, int]:
    """Run a probe until it passes or `timeout` runs out; the last result and attempt count.

    When the last attempt got no answer at all but an earlier one failed definitely, the
    earlier one is reported with the last one's evidence added: the kernel rate-limits ICMP
    rejects, so a port that a firewall rejects can look silent when probed again and again.
    """
    deadline = time.monotonic() + max(timeout, 0.0)
    attempts = 0
    definite: Result | None = None
    while True:
        attempts += 1
        result = run_check(definition, ctx, params)
        if on_attempt is not None:
            on_attempt(attempts, result)
        if result.status is Status.FAIL and not result.silent:
            definite = result
        if result.status in (Status.PASS, Status.SKIP) or time.monotonic() >= deadline:
            if result.status is Status.FAIL and result.silent and definite is not None:
                later = tuple(f"later: {line}" for line in result.evidence)
                return replace(definite, evidence=definite.evidence + later), attempts
            return result, attempts
        time.sleep(max(0.05, min(interval, deadline - time.monotonic())))


def time_factor() -> float:
    """The class-wide factor for check timeouts on slow machines (MAILLAB_TIME_FACTOR)."""
    return config.time_factor()


__all__ = [
    "BUILTIN",
    "PACKAGE_PARAMS",
    "CheckDef",
    "Context",
    "Diagnosis",
    "Library",
    "Localized",
    "Param",
    "Result",
    "Status",
    "check",
    "denied",
    "error",
    "failed",
    "load_library",
    "needs_root",
    "passed",
    "run_check",
    "skipped",
    "t",
    "wait_for",
]
