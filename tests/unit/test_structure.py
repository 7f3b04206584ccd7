"""The package's shape: rooms by concept, modules a person can read, imports that never loop.

The import graph is read from the source (every `import` and `from ... import`, also inside
functions and under TYPE_CHECKING for the engine/UI rule), not by importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "maillab_tui"
MAX_LINES = 800
TOP_LEVEL = {"__init__", "__main__", "check", "config", "platform", "system", "text"}
ROOMS = {"chapter", "checking", "cli", "lab", "mail", "run", "sandbox", "selftest", "ui"}
ENGINE = ("chapter", "checking", "lab", "mail", "run", "selftest", "sandbox")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, *, module_level: bool) -> set[str]:
    """The maillab_tui modules `path` imports (at module level only, or anywhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    nodes = _module_level(tree) if module_level else _anywhere(tree)
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            # `from pkg import module` depends on the module; `from pkg import name`, on pkg
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("maillab_tui") and name != me:
                found.add(name)
    return found


def _anywhere(tree: ast.Module) -> list[ast.AST]:
    """Every statement but those under `if TYPE_CHECKING:` (types only: nothing runs)."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _module_level(tree: ast.Module) -> list[ast.AST]:
    """Statements run when the module is imported: the top level and plain `if`/`try` blocks,
    but not `if TYPE_CHECKING:` (nothing of it runs)."""
    out: list[ast.AST] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                todo.extend(node.orelse)
                continue
            todo.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            todo.extend(node.body + node.orelse + node.finalbody
                        + [s for h in node.handlers for s in h.body])
        else:
            out.append(node)
    return out


def test_no_module_is_longer_than_a_person_reads() -> None:
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_top_level_holds_only_the_rooms_and_a_handful_of_modules() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    rooms = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert modules == TOP_LEVEL
    assert rooms == ROOMS


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of `graph`."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt):], nxt] if nxt in trail else [node, nxt])
            elif state.get(nxt) is None:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if state.get(name) is None:
            visit(name, [name])
    return cycles


def test_no_import_cycle() -> None:
    """Not when modules load, and not through an import inside a function either (the CLI may
    import the UI when it opens it; the UI never imports the CLI back)."""
    graph = {name: imports(path, module_level=False) for name, path in MODULES.items()}
    assert find_cycles(graph) == []


def test_the_walker_sees_a_cycle() -> None:
    """The cycle test can fail: the old `ui.launch` imported `cli`, which imported it."""
    graph = {name: imports(path, module_level=False) for name, path in MODULES.items()}
    graph["maillab_tui.ui.widgets.output"] = {"maillab_tui.cli"}
    assert find_cycles(graph) != []


@pytest.mark.parametrize("room", ENGINE)
def test_the_engine_never_imports_the_ui(room: str) -> None:
    for name, path in MODULES.items():
        if name.startswith(f"maillab_tui.{room}"):
            found = imports(path, module_level=False)
            wanted = {m for m in found if m.startswith("maillab_tui.ui")}
            assert wanted == set(), name


def test_checks_import_only_the_check_api_and_the_mail_domain() -> None:
    allowed = ("maillab_tui.check", "maillab_tui.checking", "maillab_tui.mail")
    for path in sorted((ROOT / "checks").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("maillab_tui"):
                assert node.module.startswith(allowed), f"{path.name}: {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("maillab_tui"), f"{path.name}: {alias.name}"


PROCESS_MAKERS = {("subprocess", name) for name in ("run", "Popen", "call", "check_call",
                                                    "check_output", "getoutput")}
PROCESS_MAKERS |= {("os", name) for name in ("system", "popen", "fork", "execv", "execvp",
                                             "spawnv", "posix_spawn")}
MAY_START_PROCESSES = {
    "maillab_tui.system",  # the one layer for what is not interactive (sh, and spawn)
    "maillab_tui.run.foreground",  # the learner's editor on the real terminal
}
"""pexpect sessions (run/session.py) are the learner's interactive side and start no process
through these calls."""


def process_calls(path: Path) -> list[str]:
    """`module.function` calls in `path` that start a process directly."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module in ("subprocess", "os"):
            found += [f"from {node.module} import {a.name} (line {node.lineno})"
                      for a in node.names if (node.module, a.name) in PROCESS_MAKERS]
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        func = node.func
        if isinstance(func.value, ast.Name) and (func.value.id, func.attr) in PROCESS_MAKERS:
            found.append(f"{func.value.id}.{func.attr} (line {node.lineno})")
    return found


def test_processes_start_in_one_layer() -> None:
    offenders = {name: calls for name, path in MODULES.items()
                 if name not in MAY_START_PROCESSES and (calls := process_calls(path))}
    assert offenders == {}


def test_the_process_scan_sees_a_call(tmp_path: Path) -> None:
    stray = tmp_path / "stray.py"
    stray.write_text("import subprocess\nfrom os import system\np: subprocess.Popen[str]\n"
                     "subprocess.run(['true'])\n")
    assert process_calls(stray) == ["from os import system (line 2)", "subprocess.run (line 4)"]
