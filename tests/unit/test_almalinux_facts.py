"""Every AlmaLinux 9 value the code relies on is the one the sourced fixture records."""

from __future__ import annotations

from pathlib import Path

import yaml

from maillab_tui.chapter import load_chapter
from maillab_tui.platform import PLATFORMS

FACTS = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "almalinux9" / "facts.yaml")
                       .read_text(encoding="utf-8"))["facts"]


def test_each_fact_names_its_source_and_how_far_it_was_read() -> None:
    for name, fact in FACTS.items():
        assert fact["read"] in ("row", "index", "none"), name
        assert fact["source"], name
        if fact["read"] != "row":
            assert fact.get("without_it") or fact["source"].startswith("http"), name


def test_the_platform_table_agrees_with_the_facts() -> None:
    alma = PLATFORMS["almalinux9"]
    assert alma.mail_logs[0] == FACTS["mail_log"]["value"]
    assert list(alma.mail_units) == FACTS["mail_units"]["value"]


def test_the_chapter_uses_the_recorded_values() -> None:
    text = load_chapter("mail-server").path.read_text(encoding="utf-8")
    assert FACTS["gpg_key"]["value"] in text
    for repo in FACTS["dvd_repositories"]["value"]:
        assert f"/{repo}" in text
    assert f"--zone={FACTS['firewalld_default_zone']['value']}" in text
    assert FACTS["mail_log"]["value"] in text


def unsourced() -> list[str]:
    """The facts still to read at their source (for the closing note)."""
    return [name for name, fact in FACTS.items() if fact["read"] != "row"]


def test_the_unsourced_list_is_what_the_fixture_says() -> None:
    assert "dvd_label" in unsourced() and "dvd_repositories" not in unsourced()
