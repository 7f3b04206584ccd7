"""Shared test helpers."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def ansible_playbook() -> str | None:
    """ansible-playbook: MAILLAB_ANSIBLE_PLAYBOOK, beside this Python (the dev extra), or PATH."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    return (os.environ.get("MAILLAB_ANSIBLE_PLAYBOOK")
            or (str(beside) if beside.exists() else None)
            or shutil.which("ansible-playbook"))


@pytest.fixture
def fixtures() -> Path:
    """The directory of test fixtures."""
    return FIXTURES
