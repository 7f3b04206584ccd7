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


def quiet_install(fqdn: str, packages: str, mailer_type: str = "Internet Site") -> str:
    """A shell command installing `packages` without debconf's questions (the hosts are stock:
    nothing is preseeded, so a plain noninteractive install of postfix would leave it as "No
    configuration"). The answers are the ones the chapter tells the learner to give."""
    return (f"echo 'postfix postfix/main_mailer_type select {mailer_type}'"
            " | debconf-set-selections;"
            f" echo 'postfix postfix/mailname string {fqdn}' | debconf-set-selections;"
            f" DEBIAN_FRONTEND=noninteractive apt-get install -y -q {packages}")
