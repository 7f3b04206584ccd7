"""Class grading for real: Ansible from an instructor's station grades host1 and host2 over SSH.

host1 has done the whole chapter; host2 stopped after reading its mail (the `mail` command
half), as a slower student would. ansible-playbook runs examples/ansible/grade.yml from the
lab network, `maillab-tui report` merges what it fetched, and headless Chromium shows the page
(the screenshot is kept in test-artifacts/class-report.png). Last, the playbook installs
maillab-tui from a wheel on both hosts before grading them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from maillab_tui import __version__
from maillab_tui.sandbox.onefile import build
from tests.integration.classroom import (
    ROOT,
    STUDENT,
    Instructor,
    ansible_playbook,
    chromium,
    screenshot,
    walk,
)

pytestmark = pytest.mark.sandbox

HALF_WAY = "read-mail"
"""host2 stops after this step: Postfix and the `mail` command done, Dovecot not started."""
ARTIFACTS = ROOT / "test-artifacts"


class Rows(HTMLParser):
    """The cells of each row of the report's table, as the browser rendered them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def classroom(lab, tmp_path_factory):
    """The two hosts at their stages, sshd on both, and the instructor's station."""
    missing = [name for name, find in (("ansible-playbook", ansible_playbook),
                                       ("chromium", chromium)) if find() is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (scripts/setup.sh installs them)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    runs = walk(lab, {"host2": HALF_WAY})
    instructor = Instructor(lab, tmp_path_factory.mktemp("instructor"))
    instructor.setup()
    yield lab, instructor, runs
    for host in lab.net.hosts:
        lab.reset(host.name)


def direct(lab, host: str) -> dict:
    """`maillab-tui --check-only` on the host itself, for comparing with what Ansible fetched."""
    argv = ["maillab-tui", "--check-only", "--host", host, "--format", "json", "--lang", "en"]
    proc = lab.exec(host, argv, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def failing_steps(result: dict) -> list[str]:
    steps = [c["step"] for c in result["checks"] if c["status"] != "pass"]
    return list(dict.fromkeys(steps))


def report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "maillab_tui", "report", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_hosts_reached_their_stages(classroom) -> None:
    _, _, runs = classroom
    steps = {(r.step, r.host): r for r in runs}
    assert ("install-dovecot", "host2") not in steps and ("read-mail", "host2") in steps
    assert ("summary", "host1") in steps
    # Only the steps that need the peer's Dovecot or its mail client can fail on host1: host2
    # has neither yet.
    not_ok = [(r.step, r.host) for r in runs if not r.ok]
    assert not_ok == [("imap-from-peer", "host1"), ("client-send", "host1")], "\n".join(
        f"{r.step} {r.host}: {p.name}: {p.detail}" for r in runs for p in r.phases if not p.ok)


def test_the_playbook_grades_both_hosts_and_the_report_shows_them(classroom) -> None:
    lab, instructor, _ = classroom
    results = instructor.workdir / "results"
    proc, seconds = instructor.grade(results)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    print(f"playbook wall time for two hosts: {seconds:.1f} s")
    fetched = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*.json")}
    assert set(fetched) == {"yamada-host1", "yamada-host2"}
    for host in ("host1", "host2"):
        got, own = fetched[f"yamada-{host}"], direct(lab, host)
        assert got.get("kind") != "failure", got
        assert got["student"] == STUDENT and got["host"] == host
        assert got["hostname"] == own["hostname"] == lab.host(host).fqdn
        assert got["chapter"]["sha256"] == own["chapter"]["sha256"]
        assert (got["score"], got["verdict"]) == (own["score"], own["verdict"])
        assert failing_steps(got) == failing_steps(own)
    host1, host2 = fetched["yamada-host1"], fetched["yamada-host2"]
    assert failing_steps(host1) == ["imap-from-peer", "client-send"]
    assert failing_steps(host2)[0] == "install-dovecot"
    assert 0 < host2["score"] < host1["score"] < 100

    html = instructor.workdir / "class.html"
    made = report(str(results), "--format", "html", "-o", str(html), "--lang", "en")
    assert made.returncode == 0, made.stdout + made.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "class-report.png"
    png.unlink(missing_ok=True)
    parser = Rows()
    parser.feed(screenshot(html, png))
    assert png.stat().st_size > 10_000  # a page with a table, not a blank image
    rows = {row[1].split()[0]: row for row in parser.rows if len(row) == 7}
    assert set(rows) == {"host1", "host2"}
    for host, result, first_failing in (("host1", host1, "imap-from-peer"),
                                        ("host2", host2, "install-dovecot")):
        student, _, score, _, verdict, first, _ = rows[host]
        assert student == STUDENT
        assert score == f"{result['score']:.1f}"
        assert verdict == "FAIL"
        assert first.startswith(first_failing), first


def test_a_host_that_cannot_be_reached_is_in_the_report_as_such(classroom) -> None:
    lab, instructor, _ = classroom
    stop = lab.exec("host2", ["systemctl", "stop", "ssh.service", "ssh.socket"], timeout=60)
    assert stop.returncode == 0, stop.stderr
    try:
        results = instructor.workdir / "results-unreachable"
        proc, _ = instructor.grade(results)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        record = json.loads((results / "yamada-host2.json").read_text(encoding="utf-8"))
        assert record["kind"] == "failure" and record["unreachable"] is True
        assert record["student"] == STUDENT and record["host"] == "host2"
        assert json.loads((results / "yamada-host1.json").read_text())["host"] == "host1"
        text = report(str(results), "--lang", "en")
        assert text.returncode == 1, text.stdout + text.stderr  # made, but a machine is missing
        line = next(x for x in text.stdout.splitlines() if "host2" in x)
        assert "unreachable" in line.lower()
    finally:
        lab.exec("host2", ["systemctl", "start", "ssh.service"], timeout=60)


def test_the_station_goes_with_the_lab(classroom) -> None:
    lab, instructor, _ = classroom
    assert instructor.netns in lab.status().namespaces
    assert Path(f"/run/netns/{instructor.netns}").exists()
    # The machine itself still holds no address of the lab network.
    from maillab_tui.sandbox import network

    assert network.in_subnet(network.netns_addresses(None), lab.net.subnet) == []


def test_the_playbook_installs_the_one_file_and_grades_with_it(classroom, tmp_path) -> None:
    lab, instructor, _ = classroom
    onefile = build(tmp_path / "maillab-tui")
    for host in ("host1", "host2"):   # as on a machine that never had maillab-tui
        lab.exec(host, ["rm", "-f", "/usr/local/bin/maillab-tui"], timeout=30)
        assert lab.exec(host, ["sh", "-c", "command -v maillab-tui"]).returncode != 0
    results = instructor.workdir / "results-file"
    proc, _ = instructor.grade(results, {"maillab_file": str(onefile),
                                         "maillab_time_factor": 0.1})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    digest = hashlib.sha256(onefile.read_bytes()).hexdigest()
    for host in ("host1", "host2"):
        got = json.loads((results / f"yamada-{host}.json").read_text(encoding="utf-8"))
        assert got.get("kind") != "failure", got
        assert got["version"] == __version__ and got["host"] == host
        there = lab.exec(host, ["sha256sum", "/usr/local/bin/maillab-tui"]).stdout.split()[0]
        assert there == digest                            # the file the instructor copied
        assert lab.exec(host, ["find", "/opt", "/usr/local", "/root", "/home", "-name",
                               "pyvenv.cfg"]).stdout == ""                  # no venv
