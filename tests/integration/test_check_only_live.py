"""`maillab-tui --check-only` on a real Postfix inside host1: pass, fail with a diagnosis, error."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import quiet_install

pytestmark = pytest.mark.sandbox

RIGHT = {
    "myhostname": "mail.example1.jp",
    "mydomain": "example1.jp",
    "inet_interfaces": "localhost, 192.168.56.101",
    "mydestination": "$mydomain",
    "mynetworks": "192.168.56.101",
    "smtpd_sasl_auth_enable": "yes",
}
TYPO = "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destinaition"


def grade(lab, *extra: str, user: str | None = None) -> tuple[int, dict]:
    """check-only of the main.cf step inside host1, as JSON."""
    argv = ["maillab-tui", "--check-only", "--host", "host1", "--platform", "debian12",
            "--format", "json", "--lang", "en", "--step", "postfix-main-cf", *extra]
    proc = lab.exec("host1", argv, user=user, timeout=300)
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def postfix_host1(lab):
    """host1 with Postfix installed offline from the lab repository; reset afterwards."""
    lab.reset("host1")
    install = quiet_install("mail.example1.jp", "postfix")
    proc = lab.exec("host1", ["sh", "-c", "{ " + install + "; }"
                              " >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }"],
                    timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    yield lab
    lab.reset("host1")


def test_right_values_pass_and_the_textbook_typo_is_diagnosed(postfix_host1) -> None:
    lab = postfix_host1
    settings = [f"{k} = {v}" for k, v in RIGHT.items()]
    settings.append(f"smtpd_recipient_restrictions = {TYPO}")
    proc = lab.exec("host1", ["postconf", "-e", *settings])
    assert proc.returncode == 0, proc.stderr
    code, data = grade(lab)
    assert code == 1
    assert data["host"] == "host1" and data["chapter"]["id"] == "mail-server"
    by_param = {c["check_id"]: c for c in data["checks"]}
    for check_id in ("postconf-1", "postconf-2", "postconf-3", "postconf-4", "postconf-5",
                     "postconf-6"):
        assert by_param[check_id]["status"] == "pass", by_param[check_id]
    typo = by_param["postconf-7"]
    assert typo["status"] == "fail"
    assert typo["diagnosis"] == "postfix.unknown-restriction"
    assert "reject_unauth_destination" in json.dumps(typo)
    assert data["verdict"] == "fail" and 0 < data["score"] < 100


def test_fixing_the_typo_passes_the_step(postfix_host1) -> None:
    lab = postfix_host1
    fixed = TYPO.replace("destinaition", "destination")
    proc = lab.exec("host1", ["postconf", "-e", f"smtpd_recipient_restrictions = {fixed}"])
    assert proc.returncode == 0
    code, data = grade(lab)
    assert code == 0, [c for c in data["checks"] if c["status"] != "pass"]
    assert data["verdict"] == "pass" and data["score"] == 100


def test_a_check_needing_root_is_an_error_for_a_learner_without_sudo(postfix_host1) -> None:
    lab = postfix_host1
    argv = ["maillab-tui", "--check-only", "--host", "host1", "--platform", "debian12",
            "--format", "json", "--lang", "en", "--step", "postfix-check"]
    proc = lab.exec("host1", argv, user="admin", timeout=300)
    data = json.loads(proc.stdout)
    shell = next(c for c in data["checks"] if c["check"] == "shell")
    assert shell["status"] == "error"
    assert "root" in shell["message"]
    assert proc.returncode == 1
