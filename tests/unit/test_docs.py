"""Documentation that must not drift: the check list and the CLI's commands."""

from __future__ import annotations

import re

from maillab_tui.checking.api import load_library
from maillab_tui.checking.catalog import BEGIN, END, markdown
from maillab_tui.cli import SUBCOMMANDS, build_parser
from tests.conftest import ROOT


def test_docs_checks_lists_every_check_as_generated() -> None:
    text = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    match = re.search(re.escape(BEGIN) + r"(.*?)" + re.escape(END), text, re.S)
    assert match, "docs/checks.md lost its generated section markers"
    assert match.group(1).strip() == markdown(load_library()).strip(), (
        "docs/checks.md is out of date: run .venv/bin/python scripts/update-checks-doc.py"
    )


def test_every_check_has_a_description_and_documented_parameters() -> None:
    library = load_library()
    assert library.problems == []
    for name, definition in library.checks.items():
        assert definition.description.strip(), name
        for key, param in definition.params.items():
            assert param.doc.strip(), f"{name}.{key} has no doc"


def test_readme_mentions_every_subcommand_and_main_option() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for sub in SUBCOMMANDS:
        assert f"maillab-tui {sub}" in readme, sub
    for action in build_parser()._actions:
        for option in action.option_strings:
            if option.startswith("--") and option not in ("--help", "--version"):
                assert option in readme, f"{option} is not in README.md"
