"""maillab-tui as one file for the students' machines, and the cached copy the sandbox uses.

The file is a zipapp made by shiv (https://shiv.readthedocs.io): maillab-tui with its
chapters and checks and every dependency, pure Python only. PyYAML's C accelerator is left
out (PyYAML then uses its Python parser), so the same file runs on x86_64 and aarch64 with
no network, compiler or pip. Why shiv rather than the standard library's zipapp: textual
reads its stylesheets from files, and maillab-tui loads chapters and check modules from
folders; shiv unpacks the file once into ~/.shiv/ (per user, per build) and runs from there.

Instead of shiv's `#!/usr/bin/env python3` the file starts with a shell preamble that runs it
with the newest python3.N (3.11 or later) it finds, so that on AlmaLinux 9, whose `python3`
is 3.9, a student types only `maillab-tui` once python3.11 is installed from the DVD; with
no such Python, `python3` runs maillab_tui/__main__.py, which says what to install.

Built by `scripts/build-pyz.py` (the documented command) and, for the sandbox's hosts, by
`cached()`.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from maillab_tui.config import PACKAGE_DIR, repo_root
from maillab_tui.sandbox.image import python_dependencies
from maillab_tui.sandbox.util import SandboxError, log, run

ENTRY = "maillab_tui.__main__:main"
COMPILED = (".so", ".pyd", ".dylib")
PREAMBLE = """#!/bin/sh
# maillab-tui: one file (a zipapp built by shiv; https://shiv.readthedocs.io). This shell
# preamble starts it with the newest Python 3.11 or later on this machine; with none, python3
# says what to install (maillab_tui/__main__.py).
for p in python3.14 python3.13 python3.12 python3.11 python3; do
  "$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 &&
    exec "$p" "$0" "$@"
done
command -v python3 >/dev/null 2>&1 && exec python3 "$0" "$@"
echo "maillab-tui: python3 がありません / no python3: sudo dnf install python3.11" >&2
exit 2
"""


def compiled_members(path: Path) -> list[str]:
    """The compiled extensions inside a built file (there must be none)."""
    with zipfile.ZipFile(path) as archive:
        return [n for n in archive.namelist() if n.endswith(COMPILED)]


def build(output: Path, wheelhouse: Path | None = None) -> Path:
    """Install maillab-tui from this checkout and its dependencies into a folder, leave out
    compiled code, and zip it with shiv into `output` (the preamble in front)."""
    root = repo_root()
    if root is None:
        raise SandboxError("the one file is built from a checkout of maillab-tui",
                           "run scripts/build-pyz.py in the repository")
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "--no-compile", "--no-build-isolation"]
    if wheelhouse is not None:
        pip += ["--no-index", "--find-links", str(wheelhouse)]
    with tempfile.TemporaryDirectory(prefix="maillab-onefile-") as tmp:
        site = Path(tmp) / "site-packages"
        _run([*pip, "--target", str(site), str(root)], "installing maillab-tui and its "
             "dependencies (pip's index once, or --wheelhouse)")
        shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: the file is one
        for path in sorted(site.rglob("*")):
            if path.suffix in COMPILED:
                log(f"  leaving out compiled {path.relative_to(site)}")
                path.unlink()
        raw = Path(tmp) / "shiv.pyz"
        _run([sys.executable, "-m", "shiv", "--site-packages", str(site), "--entry-point",
              ENTRY, "--output-file", str(raw), "--reproducible", "--compressed",
              "--compile-pyc"],
             "zipping with shiv (in the dev extra)")
        data = raw.read_bytes()
        zipped = data[data.index(b"\n") + 1:]  # shiv's shebang line, replaced by the preamble
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        partial.write_bytes(PREAMBLE.encode() + zipped)
        partial.chmod(0o755)
        partial.replace(output)
    return output


def _run(argv: list[str], what: str) -> None:
    proc = run(argv, check=False, timeout=900)
    if proc.returncode != 0:
        raise SandboxError(f"building the one file failed while {what}:\n"
                           + (proc.stderr or proc.stdout).strip()[-1500:],
                           "check pip's index (or the wheelhouse) and that shiv is installed")


def source_digest() -> str:
    """A hash of what the file is built from: the package, chapters, checks, pyproject.toml."""
    root = repo_root()
    h = hashlib.sha256()
    tops = [PACKAGE_DIR] if root is None else [root / "maillab_tui", root / "chapters",
                                               root / "checks", root / "pyproject.toml"]
    for top in tops:
        files = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(top.parent)).encode() + b"\0")
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cached(cache: Path, mode: str = "file") -> Path:
    """The file built from this checkout, from the cache when its sources have not changed.

    `mode` "tree" (the sandbox's development mode, which runs the working tree on the file's
    dependencies) takes any file built with the same dependencies, so that editing the code
    builds nothing."""
    if mode == "tree":
        digest = hashlib.sha256("\n".join(python_dependencies()).encode()).hexdigest()[:16]
        name = f"maillab-tui-deps-{digest}"
    else:
        name = f"maillab-tui-src-{source_digest()}"
    target = cache / "onefile" / name
    if target.is_file():
        return target
    log(f"building maillab-tui as one file: {target}")
    kind = "maillab-tui-deps-*" if mode == "tree" else "maillab-tui-src-*"
    if target.parent.is_dir():
        for old in target.parent.glob(kind):
            old.unlink(missing_ok=True)
    return build(target)


TREE_WRAPPER = """#!/bin/sh
# maillab-tui from the working tree bound read-only at {src} (the sandbox's development
# mode, `sandbox up --install tree`), on the dependencies inside the one file beside it.
SHIV_PREPEND_PYTHONPATH={src} exec {file} "$@"
"""


def install_into(root: Path, mode: str, cache: Path, src_mount: str) -> None:
    """Give the host whose root filesystem is `root` maillab-tui, before it boots.

    `file`: the one file as /usr/local/bin/maillab-tui, as an instructor copies it onto a
    student's machine (nothing else of maillab-tui is in the host). `tree`: the file's
    dependencies under /opt/maillab-tui and a /usr/local/bin/maillab-tui that runs the
    working tree bound at `src_mount`."""
    built = cached(cache, mode)
    command = root / "usr/local/bin/maillab-tui"
    opt = root / "opt/maillab-tui"
    command.parent.mkdir(parents=True, exist_ok=True)
    command.unlink(missing_ok=True)
    if mode == "file":
        shutil.rmtree(opt, ignore_errors=True)
        shutil.copyfile(built, command)
    else:
        (root / src_mount.lstrip("/")).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, opt / "maillab-tui")
        (opt / "maillab-tui").chmod(0o755)
        command.write_text(TREE_WRAPPER.format(src=src_mount, file="/opt/maillab-tui/maillab-tui"))
    command.chmod(0o755)


def src_binding(src_mount: str) -> str:
    """systemd-nspawn's option that binds the working tree read-only at `src_mount` (tree)."""
    root = repo_root()
    if root is not None:
        return f"--bind-ro={root}:{src_mount}"
    return f"--bind-ro={PACKAGE_DIR}:{src_mount}/maillab_tui"
