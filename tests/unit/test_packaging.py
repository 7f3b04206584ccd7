"""The wheel carries the bundled chapters and check library, so an installed copy works anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_wheel_ships_chapters_checks_and_the_console_script(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("maillab_tui-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for chapter_file in (ROOT / "chapters").rglob("*"):
        if chapter_file.is_file():
            rel = chapter_file.relative_to(ROOT / "chapters").as_posix()
            assert f"maillab_tui/_bundled/chapters/{rel}" in names, rel
    for module in (ROOT / "checks").glob("*.py"):
        assert f"maillab_tui/_bundled/checks/{module.name}" in names, module.name
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "maillab-tui = maillab_tui.cli:main" in text
