"""Integration fixtures: `lab` is the two-host sandbox, brought up once (fresh) per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from maillab_tui.sandbox import Lab


def _sandbox_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "the sandbox needs root"
    if shutil.which("systemd-nspawn") is None:
        return "systemd-nspawn is not installed (apt-get install systemd-container)"
    return None


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The running lab (host1, host2, DNS); torn down at the end even when tests fail."""
    reason = _sandbox_unavailable()
    if reason:
        pytest.skip(reason)
    sandbox = Lab()
    try:
        sandbox.up(fresh=True)
        yield sandbox
    finally:
        sandbox.down()
