"""An instructor's own check module, written from docs/checks.md, loads and runs as documented."""

from __future__ import annotations

import re
from pathlib import Path

from maillab_tui.checking.api import Context, Library, load_library, run_check
from tests.conftest import ROOT

DOC = ROOT / "docs" / "checks.md"


def example_module() -> str:
    """The first Python block of the section "Writing a check of your own"."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Writing a check of your own"):]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "docs/checks.md lost its example check"
    return found.group(1)


def library_with_example(tmp_path: Path) -> Library:
    checks = tmp_path / "instructor-checks"
    checks.mkdir()
    (checks / "quota.py").write_text(example_module(), encoding="utf-8")
    return load_library([checks])


def context(tmp_path: Path) -> Context:
    root = tmp_path / "system"
    (root / "var" / "mail").mkdir(parents=True)
    return Context(host="host1", platform="debian12", root=True, files_root=str(root),
                   language="en")


def test_the_documented_example_loads_beside_the_bundled_checks(tmp_path: Path) -> None:
    library = library_with_example(tmp_path)
    definition = library.get("mailbox_size")
    assert definition.needs_root
    assert library.get("postconf") is not None  # the bundled ones are still there


def test_the_documented_example_fails_for_the_right_reason(tmp_path: Path) -> None:
    definition = library_with_example(tmp_path).get("mailbox_size")
    result = run_check(definition, context(tmp_path), {"user": "user1"})
    assert result.status == "fail"
    assert result.diagnosis is not None and result.diagnosis.code == "mailbox.missing"


def test_the_documented_example_passes_and_fails_on_size(tmp_path: Path) -> None:
    definition = library_with_example(tmp_path).get("mailbox_size")
    ctx = context(tmp_path)
    mailbox = Path(ctx.files_root) / "var" / "mail" / "user1"
    mailbox.write_bytes(b"From a@b\n\nhello\n")
    assert run_check(definition, ctx, {"user": "user1"}).status == "pass"
    mailbox.write_bytes(b"x" * 3 * 1024)
    big = run_check(definition, ctx, {"user": "user1", "max_kib": 2})
    assert big.status == "fail" and big.evidence[0].endswith("user1: 3 KiB")
