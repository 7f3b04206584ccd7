"""An instructor's PC on the sandbox's lab network, grading the hosts with the Ansible example.

The instructor is a station of the lab (a network namespace with 192.168.56.10 on the lab
bridge, never the root namespace); the hosts get openssh-server from the lab's offline
repository and the instructor's key. ansible-playbook runs inside the station against the
hosts' lab addresses, exactly as examples/ansible/README.md tells an instructor to. Shared by
tests/integration/test_class_grading_live.py and bench/class_grading.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from maillab_tui.chapter import load_chapter
from maillab_tui.sandbox import Lab
from maillab_tui.sandbox.image import ADMIN_PASSWORD, ADMIN_USER
from maillab_tui.selftest.engine import SelfTest, StepRun
from maillab_tui.selftest.steps import StepRunner
from tests.conftest import ROOT, ansible_playbook

EXAMPLE = ROOT / "examples" / "ansible"
STATION = "teacher"
STATION_ADDRESS = "192.168.56.10"
STUDENT = "山田太郎"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium() -> str | None:
    """Debian's Chromium, for looking at the HTML report as an instructor would."""
    return shutil.which("chromium")


def walk(lab: Lab, stop_after: Mapping[str, str] | None = None) -> list[StepRun]:
    """Reset both hosts and work through the chapter on them as a learner would (see stage)."""
    for host in lab.net.hosts:
        lab.reset(host.name)
    chapter = load_chapter("mail-server")
    runner = StepRunner(lab, chapter, "debian12", ADMIN_USER, ADMIN_PASSWORD)
    test = SelfTest(lab, chapter, runner, progress=lambda line: print(line, flush=True))
    return test.stage(stop_after)


class Instructor:
    """The instructor's station: an SSH key, sshd on the hosts, ansible-playbook on the lab net."""

    def __init__(self, lab: Lab, workdir: Path) -> None:
        self.lab = lab
        self.workdir = workdir
        self.key = workdir / "id_instructor"
        self.netns = ""

    def setup(self) -> None:
        """Create the station and the key; install sshd on every host and authorise the key."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.netns = self.lab.add_station(STATION, STATION_ADDRESS)
        if not self.key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "instructor",
                            "-f", str(self.key)], check=True, timeout=30)
        public = self.key.with_suffix(".pub").read_text(encoding="utf-8")
        script = (
            "set -e; DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server "
            ">/tmp/ssh-apt.log 2>&1 || { tail -20 /tmp/ssh-apt.log; exit 1; }; "
            "install -d -m 700 /root/.ssh; cat >> /root/.ssh/authorized_keys; "
            "chmod 600 /root/.ssh/authorized_keys; systemctl enable --now ssh"
        )
        for host in self.lab.net.hosts:
            proc = self.lab.exec(host.name, ["sh", "-c", script], input=public, timeout=300)
            if proc.returncode != 0:
                raise RuntimeError(f"sshd on {host.name}: {proc.stdout}{proc.stderr}")

    def inventory(self) -> Path:
        """An inventory of the lab's hosts as one student's pair, reached on the lab network."""
        hosts = {
            f"yamada-{host.name}": {"ansible_host": host.address, "lab_role": host.name}
            for host in self.lab.net.hosts
        }
        inventory = {"students": {
            "vars": {"ansible_user": "root", "ansible_ssh_private_key_file": str(self.key),
                     "ansible_python_interpreter": "/usr/bin/python3", "student": STUDENT},
            "hosts": hosts,
        }}  # fmt: skip
        path = self.workdir / "inventory.yml"
        path.write_text(json.dumps(inventory, ensure_ascii=False), encoding="utf-8")
        return path

    def env(self) -> dict[str, str]:
        """ansible-playbook's environment: its own home and known_hosts, no lingering ssh."""
        home = self.workdir / "ansible"
        ssh_args = ("-o ControlMaster=no -o StrictHostKeyChecking=accept-new "
                    f"-o UserKnownHostsFile={self.workdir / 'known_hosts'} -o ConnectTimeout=10")
        return {**os.environ, "ANSIBLE_HOME": str(home), "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
                "ANSIBLE_SSH_ARGS": ssh_args, "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_RETRY_FILES_ENABLED": "0", "LC_ALL": "C.UTF-8"}

    def grade(self, results: Path, extra: Mapping[str, Any] | None = None,
              timeout: float = 900) -> tuple[subprocess.CompletedProcess[str], float]:
        """Run examples/ansible/grade.yml from the station; the process and its wall time."""
        playbook = ansible_playbook()
        if playbook is None:
            raise RuntimeError("ansible-playbook is not installed (pip install ansible-core)")
        variables = {"maillab_results_dir": str(results), **(extra or {})}
        argv = ["ip", "netns", "exec", self.netns, playbook, "-i", str(self.inventory()),
                str(EXAMPLE / "grade.yml"), "-e", json.dumps(variables, ensure_ascii=False)]
        started = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env=self.env(), stdin=subprocess.DEVNULL)
        return proc, time.monotonic() - started


def screenshot(html: Path, png: Path, width: int = 1400, height: int = 700) -> str:
    """Open the page in headless Chromium: save a screenshot and return the DOM it rendered."""
    binary = chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    profile = png.parent / "chromium-profile"
    common = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
              f"--window-size={width},{height}"]
    url = html.resolve().as_uri()
    shot = subprocess.run([*common, f"--screenshot={png}", url], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    if shot.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium made no screenshot: {shot.stderr[-2000:]}")
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL)
    if dom.returncode != 0:
        raise RuntimeError(f"chromium could not render {html}: {dom.stderr[-2000:]}")
    shutil.rmtree(profile, ignore_errors=True)
    return dom.stdout
