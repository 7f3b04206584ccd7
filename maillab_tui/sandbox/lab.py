"""The lab engine: two real Debian 12 hosts booted with systemd-nspawn on a private network.

Each host is `systemd-nspawn --register=no --keep-unit --boot` over an overlayfs (the cached
image read-only below, a per-host upper layer under /run/maillab-tui/<lab>/<host>/), in a
cgroup of its own and a network namespace of its own. Commands enter a host with nsenter.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from maillab_tui import system
from maillab_tui.config import sandbox_install
from maillab_tui.sandbox import cgroups, network, onefile, preflight
from maillab_tui.sandbox.image import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    REPO_MOUNT,
    SRC_MOUNT,
    Image,
    ensure_image,
    images_dir,
    safe_rmtree,
)
from maillab_tui.sandbox.topology import (
    STATE_ROOT,
    LabHost,
    LabNetwork,
    cache_dir,
    lab_hosts,
    lab_name,
)
from maillab_tui.sandbox.util import (
    SandboxError,
    children,
    kill,
    locked,
    log,
    mounted_under,
    pid_alive,
    run,
    umount_all,
    wait_gone,
    which,
)
from maillab_tui.system import Proc

__all__ = ["Lab", "LabHost", "LabNetwork", "SandboxError", "lab_hosts"]

EXEC_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0

# Restarts the container when it reboots itself (nspawn exits 133), unless asked to stop.
WRAPPER = """\
stop="$1"; shift
while :; do
  "$@"
  rc=$?
  if [ "$rc" != 133 ] || [ -e "$stop" ]; then exit "$rc"; fi
  echo "sandbox: host rebooted, starting it again"
done
"""


def _descendants(pid: int) -> list[int]:
    """All descendants of a process, parents before children."""
    out: list[int] = []
    todo = children(pid)
    while todo:
        child = todo.pop(0)
        out.append(child)
        todo += children(child)
    return out


def _signal_inside(nsenter_pid: int, sig: int) -> None:
    """Signal what nsenter started inside the host (nsenter itself does not forward signals)."""
    for pid in reversed(_descendants(nsenter_pid)):
        kill(pid, sig)


def _run_passthrough(argv: list[str]) -> Proc:
    """Run with the caller's stdin/stdout/stderr; SIGTERM/SIGHUP to us reach the command too."""
    proc = system.spawn(argv, stdin=None, new_session=False)

    def forward(signum: int, _frame: object) -> None:
        _signal_inside(proc.pid, signum)

    main = threading.current_thread() is threading.main_thread()
    signals = (signal.SIGTERM, signal.SIGHUP) if main else ()
    previous = {s: signal.signal(s, forward) for s in signals}
    try:
        returncode = proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return Proc(tuple(argv), returncode)


@dataclass
class HostStatus:
    """What `status()` reports for one host."""

    name: str
    fqdn: str
    address: str
    running: bool
    pid: int | None = None
    state: str = "stopped"
    memory_bytes: int | None = None
    failed_units: list[str] = field(default_factory=list)


@dataclass
class LabStatus:
    """What `status()` reports for the lab."""

    lab: str
    up: bool
    image: str | None
    dns_running: bool
    dns_address: str
    subnet: str
    namespaces: list[str]
    hosts: list[HostStatus]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view."""
        out = dict(self.__dict__)
        out["hosts"] = [dict(h.__dict__) for h in self.hosts]
        return out


class Lab:
    """One lab (default name `maillab`): its network, DNS server and hosts."""

    def __init__(
        self,
        name: str | None = None,
        net: LabNetwork | None = None,
        cache: Path | None = None,
        install: str | None = None,
    ) -> None:
        """Describe a lab; nothing is started until `up()`. `install`: how new hosts get
        maillab-tui (config.INSTALL_MODES; default MAILLAB_SANDBOX_INSTALL, else file)."""
        try:
            self.install = sandbox_install(install)
        except ValueError as exc:
            raise SandboxError(str(exc)) from None
        self.name = name or lab_name()
        self.net = net or lab_hosts()
        self.cache = cache or cache_dir()
        self.state_dir = STATE_ROOT / self.name
        self._lock = STATE_ROOT / f"{self.name}.lock"

    # -- state ----------------------------------------------------------------------------

    @property
    def _state_file(self) -> Path:
        return self.state_dir / "state.json"

    def _load(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            data = {}
        data.setdefault("lab", self.name)
        data.setdefault("hosts", {})
        return data

    def _save(self, state: dict[str, Any]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.replace(self._state_file)

    def _host_dir(self, host: LabHost) -> Path:
        return self.state_dir / host.name

    def recorded_pids(self) -> list[int]:
        """PIDs the lab recorded (dnsmasq, the host launchers, the nspawn processes)."""
        state = self._load()
        pids = [state.get("dns_pid")]
        for entry in state["hosts"].values():
            pids += [entry.get("wrapper_pid"), entry.get("nspawn_pid")]
        return [int(p) for p in pids if p]

    def recorded_loops(self) -> list[str]:
        """Loop devices the lab attached (one disc drive per host)."""
        return [e["loop"] for e in self._load()["hosts"].values() if e.get("loop")]

    # -- queries --------------------------------------------------------------------------

    def host(self, name: str) -> LabHost:
        """The lab host called `name` (host1, host2 or its fqdn)."""
        return self.net.host(name)

    def init_pid(self, host: str) -> int | None:
        """The PID (in the root namespace) of the host's systemd, or None if it is not running."""
        h = self.host(host)
        wrapper = self._load()["hosts"].get(h.name, {}).get("wrapper_pid")
        if not pid_alive(wrapper):
            return None
        for pid in cgroups.pids(self.name, h.name):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("NSpid:"):
                    ids = line.split()[1:]
                    if len(ids) > 1 and ids[-1] == "1":
                        return pid
        return None

    def is_up(self) -> bool:
        """Whether the lab network, its DNS server and every host are running."""
        state = self._load()
        if not network.dns_running(state.get("dns_pid")):
            return False
        if not set(network.netns_list()) >= set(self._netns_names(stations=False)):
            return False
        return all(self.init_pid(h.name) for h in self.net.hosts)

    def _netns_names(self, stations: bool = True) -> list[str]:
        names = [network.netns_name(self.name, "net"),
                 *(network.netns_name(self.name, h.name) for h in self.net.hosts)]
        if stations:
            names += [network.netns_name(self.name, s) for s in self._load().get("stations", {})]
        return names

    def add_station(self, name: str, address: str) -> str:
        """Put a station (an instructor's PC, say) on the lab network; returns its namespace.

        Run its programs with `ip netns exec NAMESPACE ...`; `down()` removes it with the lab.
        """
        preflight.require_root()
        if not re.fullmatch(r"[a-z][a-z0-9]{0,11}", name) or name in (
            "net", *(h.name for h in self.net.hosts)
        ):
            raise SandboxError(f"invalid station name {name!r}",
                               "use lower-case letters and digits, not net or a host's name")
        network.check_station_address(self.net, address)
        with locked(self._lock):
            if not self.is_up():
                raise SandboxError(f"lab {self.name!r} is not up",
                                   "start it with `maillab-tui sandbox up`")
            state = self._load()
            stations = state.setdefault("stations", {})
            if stations.get(name, address) != address:
                raise SandboxError(f"station {name!r} already has the address {stations[name]}")
            holder = next((n for n, a in stations.items() if a == address and n != name), None)
            if holder:
                raise SandboxError(f"station address {address} is station {holder!r}'s")
            stations[name] = address
            self._save(state)  # recorded first, so that teardown removes it whatever happens
            return network.add_station(self.name, self.net, name, address)

    def status(self) -> LabStatus:
        """Each host (running, address, systemd state, memory from its cgroup) and the network."""
        preflight.require_root()
        state = self._load()
        hosts = []
        for h in self.net.hosts:
            pid = self.init_pid(h.name)
            hs = HostStatus(h.name, h.fqdn, h.address, running=pid is not None, pid=pid)
            if pid:
                hs.memory_bytes = cgroups.memory_bytes(self.name, h.name)
                proc = self.exec(h.name, ["systemctl", "is-system-running"], timeout=15)
                hs.state = proc.stdout.strip() or "unknown"
                if hs.state == "degraded":
                    hs.failed_units = self._failed_units(h.name)
            hosts.append(hs)
        present = set(network.netns_list())
        return LabStatus(
            lab=self.name,
            up=self.is_up(),
            image=state.get("image"),
            dns_running=network.dns_running(state.get("dns_pid")),
            dns_address=self.net.dns,
            subnet=str(self.net.subnet),
            namespaces=[ns for ns in self._netns_names() if ns in present],
            hosts=hosts,
        )

    # -- entering a host ------------------------------------------------------------------

    def nsenter_argv(self, host: str, user: str | None = None) -> list[str]:
        """The argv prefix that runs a command inside a host, as root or (login shell) as `user`."""
        preflight.require_root()
        pid = self.init_pid(host)
        if pid is None:
            raise SandboxError(
                f"{host} is not running (lab {self.name!r})",
                "start the lab with `maillab-tui sandbox up`",
            )
        term = os.environ.get("TERM", "dumb")
        argv = ["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w", "--",
                "/usr/bin/env", "-i", f"PATH={EXEC_PATH}", f"TERM={term}", "LANG=C.UTF-8"]
        if user in (None, "root"):
            return [*argv, "HOME=/root", "USER=root", "LOGNAME=root"]
        # setpriv changes user without starting a new session (su -c does, for safety), so the
        # command keeps its controlling terminal and sudo can ask for the learner's password
        # there, as on a real login. A login shell gives the user's environment and locale;
        # the command's words reach it as "$0" "$@", with no re-quoting.
        login = ('set -a; [ -r /etc/default/locale ] && . /etc/default/locale; set +a; '
                 'cd 2>/dev/null; exec "$0" "$@"')
        return [*argv, "/usr/bin/setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
                "--reset-env", "--", "/bin/bash", "-l", "-c", login]

    def _full_argv(self, host: str, argv: list[str], user: str | None, tty: bool) -> list[str]:
        if not tty:
            return [*self.nsenter_argv(host, user), *argv]
        # A pty allocated inside the host by `script`, as a terminal login would have: for a
        # user, `script` itself runs as that user (through the setpriv login of nsenter_argv),
        # so the pty is theirs and becomes the command's controlling terminal. (`su -c` would
        # start the command in a new session without one, where sudo, passwd and editors
        # cannot ask the learner anything: "conversation failed".)
        return [*self.nsenter_argv(host, user), "/usr/bin/script", "-qefc", shlex.join(argv),
                "/dev/null"]

    def exec(
        self,
        host: str,
        argv: list[str],
        user: str | None = None,
        input: str | None = None,
        timeout: float | None = None,
        tty: bool = False,
        capture: bool = True,
    ) -> Proc:
        """Run a command inside a host (as root by default) and return its output and exit code."""
        full = self._full_argv(host, list(argv), user, tty)
        if not capture:
            return _run_passthrough(full)
        # nsenter does not pass signals on: on a timeout, end the command inside the host too.
        proc = system.run(full, timeout=timeout, input=input, env=os.environ, replace_env=True,
                          on_timeout=lambda pid: _signal_inside(pid, signal.SIGKILL))
        if proc.timed_out:
            return replace(proc, returncode=124,
                           stderr=proc.stderr + f"timed out after {timeout} s\n")
        return proc

    def login(self, host: str, command: list[str], user: str = ADMIN_USER) -> int:
        """Run `command` on a host as `user` in the current terminal, as after a terminal login.

        `sandbox shell` and `sandbox tui` both come here, so sudo, passwd and editors behave
        the same in both: the command has a controlling terminal (a pty inside the host) and
        the user's login environment. Returns the command's exit code.
        """
        return self.exec(host, command, user=user, tty=True, capture=False).returncode

    def shell(self, host: str, user: str = ADMIN_USER) -> int:
        """An interactive login shell on a host in the current terminal; returns its exit code."""
        return self.login(host, ["/bin/sh", "-c", 'exec "${SHELL:-/bin/bash}" -l'], user)

    def tui(self, host: str, user: str = ADMIN_USER) -> int:
        """Run maillab-tui on a host as `user` in the current terminal; returns its exit code."""
        return self.login(host, ["maillab-tui"], user)

    # -- up ------------------------------------------------------------------------------

    def up(self, fresh: bool = False) -> bool:
        """Build the image if needed, create the network and boot the hosts; False if already up."""
        preflight.check_run()
        with locked(self._lock):
            if self.is_up() and not fresh:
                log(f"lab {self.name!r} is already up; nothing changed")
                return False
            self._check_other_labs()
            if fresh:
                self._teardown(quiet=True)
            image = self._image(self._load())
            state = self._load()
            if self._anything_running(state) and state.get("image") != image.key:
                log("the lab image changed: restarting the lab on the new image")
                self._teardown(quiet=True)
            preflight.require_space(
                self.state_dir, 200, "the hosts' writable layers",
                "make /run larger (e.g. `mount -o remount,size=1G /run`) or free space there",
            )
            started = time.monotonic()
            try:
                state = self._load()
                state["image"] = image.key
                state["image_path"] = str(image.path)
                for h in self.net.hosts:  # how they get maillab-tui: this lab's way
                    state["hosts"].setdefault(h.name, {})["install"] = self.install
                self._save(state)
                network.create(self.name, self.net)
                if fresh:
                    state.pop("dns_hidden", None)
                if not network.dns_running(state.get("dns_pid")):
                    state["dns_pid"] = network.start_dns(self.name, self.net, self.state_dir,
                                                         state.get("dns_hidden", []))
                self._save(state)
                for h in self.net.hosts:
                    self._start_host(h, image, fresh=fresh)
                for h in self.net.hosts:
                    self._wait_ready(h)
            except BaseException:
                log("start-up failed: tearing the lab down again")
                try:
                    self._teardown(quiet=True)
                except SandboxError as err:
                    log(str(err))
                raise
            log(f"lab {self.name!r} is up ({time.monotonic() - started:.1f} s)")
            return True

    @staticmethod
    def _anything_running(state: dict[str, Any]) -> bool:
        pids = [state.get("dns_pid")] + [e.get("wrapper_pid") for e in state["hosts"].values()]
        return any(pid_alive(p) for p in pids if p)

    def _image(self, state: dict[str, Any]) -> Image:
        in_use = set()
        for other in self._other_states():
            if other.get("image"):
                in_use.add(str(other["image"]))
        return ensure_image(self.cache, in_use=in_use)

    def _other_states(self) -> list[dict[str, Any]]:
        out = []
        if STATE_ROOT.is_dir():
            for d in STATE_ROOT.iterdir():
                if d.is_dir() and d.name != self.name:
                    with contextlib.suppress(OSError, ValueError):
                        out.append(json.loads((d / "state.json").read_text()))
        return out

    def _check_other_labs(self) -> None:
        """Refuse when another lab (or anything else outside this lab) holds the lab subnet."""
        subnet = self.net.subnet
        for other in self._other_states():
            pids = [other.get("dns_pid")] + [
                e.get("wrapper_pid") for e in other.get("hosts", {}).values()
            ]
            if any(pid_alive(p) for p in pids if p):
                name = other.get("lab", "?")
                raise SandboxError(
                    f"another lab, {name!r}, is running and holds {subnet}",
                    f"stop it with `MAILLAB_LAB={name} maillab-tui sandbox down`, or use it "
                    f"(`MAILLAB_LAB={name} maillab-tui sandbox status`)",
                )
        mine = set(self._netns_names())
        for ns in network.netns_list():
            if ns in mine:
                continue
            taken = network.in_subnet(network.netns_addresses(ns), subnet)
            if taken:
                raise SandboxError(
                    f"network namespace {ns!r} already holds {', '.join(taken)} in {subnet}",
                    "another lab is probably running under another name: stop it with "
                    f"`MAILLAB_LAB=<name> maillab-tui sandbox down` (namespace {ns})",
                )
        taken = network.in_subnet(network.netns_addresses(None), subnet)
        if taken:
            raise SandboxError(
                f"this machine's own network holds {', '.join(taken)} in {subnet}",
                "the lab network must stay private: remove that address from the machine",
            )

    def _start_host(self, h: LabHost, image: Image, fresh: bool) -> None:
        if pid_alive(self._load()["hosts"].get(h.name, {}).get("wrapper_pid")):
            return
        self._stop_hosts([h])  # clear what a host that stopped by itself left behind
        state = self._load()
        entry = state["hosts"].setdefault(h.name, {})
        hd = self._host_dir(h)
        root, upper, work = hd / "root", hd / "upper", hd / "work"
        umount_all(root)
        marker = hd / "image"
        if fresh or not marker.is_file() or marker.read_text().strip() != image.key:
            if upper.exists() and not fresh:
                log(f"{h.name}: the image changed, starting from a fresh layer")
            for d in (upper, work):
                safe_rmtree(d)
            (hd / "prepared").unlink(missing_ok=True)
        for d in (upper, work, root):
            d.mkdir(parents=True, exist_ok=True)
        marker.write_text(image.key + "\n")
        run(["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir={image.rootfs},upperdir={upper},workdir={work}", str(root)])
        if not (hd / "prepared").exists():
            self._prepare(h, root)
            (hd / "prepared").write_text("")
        mode = entry.setdefault("install", self.install)
        onefile.install_into(root, mode, self.cache, SRC_MOUNT)
        loop = entry.get("loop")
        if not loop or not self._loop_backs(loop, image.disc):
            loop = run(["losetup", "--find", "--show", "--read-only", str(image.disc)]).stdout
            entry["loop"] = loop.strip()
            self._save(state)
        procs = cgroups.create(self.name, h.name)
        stop = hd / "stop"
        stop.unlink(missing_ok=True)
        nspawn = which("systemd-nspawn") or "systemd-nspawn"
        argv = [
            nspawn, "--register=no", "--keep-unit", f"--machine={self.name}-{h.name}",
            f"--hostname={h.fqdn}", f"--directory={root}",
            f"--network-namespace-path=/run/netns/{network.netns_name(self.name, h.name)}",
            "--console=read-only", "--resolv-conf=off", "--timezone=off", "--link-journal=no",
            f"--bind-ro={image.repo}:{REPO_MOUNT}",
            *([onefile.src_binding(SRC_MOUNT)] if mode == "tree" else []),
            f"--bind={entry['loop']}:/dev/sr0",
            # The host's own network namespace is private to the lab, so it may manage its
            # firewall there: firewalld (nftables) needs CAP_NET_ADMIN, as on a real machine.
            "--capability=CAP_NET_ADMIN", "--boot",
        ]
        with (hd / "nspawn.log").open("ab") as out:
            out.write(f"\n=== {time.strftime('%F %T')} {shlex.join(argv)}\n".encode())
            out.flush()
            proc = system.spawn(
                ["/bin/sh", "-c", WRAPPER, "sh", str(stop), *argv],
                stdout=out, stderr=subprocess.STDOUT, preexec_fn=lambda: cgroups.join(procs),
            )
        entry["wrapper_pid"] = proc.pid
        entry.pop("nspawn_pid", None)
        self._save(state)

    @staticmethod
    def _loop_backs(loop: str, disc: Path) -> bool:
        name = Path(loop).name
        try:
            backing = Path(f"/sys/block/{name}/loop/backing_file").read_text().strip()
        except OSError:
            return False
        return backing == str(disc)

    def _prepare(self, h: LabHost, root: Path) -> None:
        """Per-host files on a fresh layer: hostname, /etc/hosts, resolv.conf (debconf is left
        as on a stock machine: installing postfix asks its questions)."""
        etc = root / "etc"
        (etc / "hostname").write_text(f"{h.fqdn}\n")
        (etc / "hosts").write_text(
            "127.0.0.1\tlocalhost\n"
            f"{h.address}\t{h.fqdn}\t{h.short}\n\n"
            "# The following lines are desirable for IPv6 capable hosts\n"
            "::1     localhost ip6-localhost ip6-loopback\n"
            "ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"
        )
        resolv = etc / "resolv.conf"
        if resolv.is_symlink() or resolv.exists():
            resolv.unlink()
        resolv.write_text(f"search {h.domain}\nnameserver {self.net.dns}\n")

    def _wait_ready(self, h: LabHost, timeout: float = READY_TIMEOUT) -> str:
        """Wait (bounded) until systemd in the host has settled; report failed units."""
        deadline = time.monotonic() + timeout
        state = "starting"
        while time.monotonic() < deadline:
            entry = self._load()["hosts"].get(h.name, {})
            if not pid_alive(entry.get("wrapper_pid")):
                logfile = self._host_dir(h) / "nspawn.log"
                tail = "\n".join(logfile.read_text(errors="replace").splitlines()[-20:])
                raise SandboxError(f"{h.name} stopped while booting; its log ({logfile}):\n{tail}")
            if self.init_pid(h.name):
                proc = self.exec(h.name, ["systemctl", "is-system-running"], timeout=10)
                state = proc.stdout.strip()
                if state in ("running", "degraded"):
                    break
            time.sleep(0.2)
        else:
            log(f"warning: {h.name} did not settle within {timeout:.0f} s (state: {state})")
            return state
        self._record_nspawn(h)
        if state == "degraded":
            failed = self._failed_units(h.name)
            log(f"{h.name}: degraded, failed units: {', '.join(failed) or '?'}")
        return state

    def _record_nspawn(self, h: LabHost) -> None:
        state = self._load()
        entry = state["hosts"].get(h.name, {})
        kids = children(int(entry.get("wrapper_pid") or 0))
        if kids:
            entry["nspawn_pid"] = kids[0]
            self._save(state)

    def _failed_units(self, host: str) -> list[str]:
        proc = self.exec(host, ["systemctl", "--failed", "--plain", "--no-legend"], timeout=10)
        return [line.split()[0] for line in proc.stdout.splitlines() if line.split()]

    # -- down / reset -------------------------------------------------------------------

    def down(self) -> None:
        """Stop the hosts and DNS server, remove namespaces, mounts, cgroups and loop devices."""
        preflight.require_root()
        with locked(self._lock):
            self._teardown(quiet=False)

    def _stop_hosts(self, hosts: list[LabHost], hard: bool = False) -> None:
        """Power the hosts off (or, when hard, kill them at once) and release their resources."""
        state = self._load()
        waiting: list[int] = []
        for h in hosts:
            self._host_dir(h).mkdir(parents=True, exist_ok=True)
            (self._host_dir(h) / "stop").write_text("")  # the launcher must not restart it
            wrapper = state["hosts"].get(h.name, {}).get("wrapper_pid")
            if pid_alive(wrapper) and not hard:
                kids = children(int(wrapper))
                for pid in kids or [int(wrapper)]:
                    kill(pid, signal.SIGTERM)  # nspawn asks the host's systemd to power off
                waiting.append(int(wrapper))
        if waiting and not wait_gone(waiting, STOP_TIMEOUT):
            log("hosts did not power off in time: killing their processes")
        for h in hosts:
            # Whatever is left in the host's cgroup is ours: the launcher, nspawn, the host.
            leftovers = cgroups.pids(self.name, h.name)
            for pid in leftovers:
                kill(pid, signal.SIGKILL)
            wait_gone(leftovers, 10)
            entry = state["hosts"].get(h.name, {})
            with contextlib.suppress(SandboxError):
                umount_all(self._host_dir(h) / "root")
            loop = entry.pop("loop", None)
            if loop:
                run(["losetup", "-d", loop], check=False)
            left = cgroups.remove(self.name, h.name)
            if left:
                time.sleep(0.5)
                cgroups.remove(self.name, h.name)
            entry.pop("wrapper_pid", None)
            entry.pop("nspawn_pid", None)
        self._save(state)

    @staticmethod
    def _stop_dns(state: dict[str, Any]) -> None:
        """End the recorded dnsmasq (and forget its PID in `state`)."""
        dns = state.pop("dns_pid", None)
        if dns and pid_alive(dns):
            kill(int(dns), signal.SIGTERM)
            if not wait_gone([int(dns)], 5):
                kill(int(dns), signal.SIGKILL)
                wait_gone([int(dns)], 5)

    # -- the lab's DNS ----------------------------------------------------------------------

    def dns_records(self) -> list[tuple[str, str, str, bool]]:
        """The lab DNS's records: (type, name, value, served), hidden ones with served False."""
        hidden = set(self._load().get("dns_hidden", []))
        return [(t, n, v, f"{t} {n}" not in hidden) for t, n, v in network.dns_records(self.net)]

    def dns_hide(self, rtype: str, name: str) -> None:
        """Stop serving one record (as a DNS server that lacks it would): restarts dnsmasq."""
        record = network.dns_record(self.net, rtype, name)
        self._serve_dns(lambda hidden: hidden | {f"{record[0]} {record[1]}"})

    def dns_restore(self, rtype: str | None = None, name: str | None = None) -> None:
        """Serve a hidden record again, or every record when none is named."""
        if rtype is None or name is None:
            self._serve_dns(lambda hidden: set())
            return
        record = network.dns_record(self.net, rtype, name)
        self._serve_dns(lambda hidden: hidden - {f"{record[0]} {record[1]}"})

    def _serve_dns(self, change: Callable[[set[str]], set[str]]) -> None:
        preflight.require_root()
        with locked(self._lock):
            state = self._load()
            if not network.dns_running(state.get("dns_pid")):
                raise SandboxError(f"lab {self.name!r} is not up",
                                   "start it with `maillab-tui sandbox up`")
            hidden = sorted(change(set(state.get("dns_hidden", []))))
            self._stop_dns(state)
            state["dns_hidden"] = hidden
            state["dns_pid"] = network.start_dns(self.name, self.net, self.state_dir, hidden)
            self._save(state)
        self._wait_dns()

    def _wait_dns(self, timeout: float = 10.0) -> None:
        """Wait (bounded) until the restarted dnsmasq answers on the lab network."""
        host = self.net.hosts[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = self.exec(host.name, ["dig", "+short", "+time=1", "+tries=1", host.fqdn,
                                          "A", f"@{self.net.dns}"], timeout=5)
            if probe.returncode == 0:
                return
            time.sleep(0.1)
        raise SandboxError(f"the lab's DNS server does not answer after {timeout:.0f} s",
                           f"see {self.state_dir / 'dnsmasq.out'}")

    def _teardown(self, quiet: bool) -> None:
        state = self._load()
        running = bool(state.get("dns_pid")) or any(
            e.get("wrapper_pid") for e in state["hosts"].values()
        )
        if not quiet:
            log(f"stopping lab {self.name!r}" if running else f"lab {self.name!r} is not running")
        self._stop_hosts(list(self.net.hosts))
        state = self._load()
        self._stop_dns(state)
        self._save(state)
        network.delete(self.name, self.net, list(state.get("stations", {})))
        present = set(network.netns_list())
        state["stations"] = {name: address for name, address in state.get("stations", {}).items()
                             if network.netns_name(self.name, name) in present}
        self._save(state)
        cgroups.remove(self.name)
        if self.state_dir.exists():
            umount_all(self.state_dir)
        left = self.leftovers()
        if left:
            raise SandboxError("teardown left things behind:\n  " + "\n  ".join(left),
                               "run `maillab-tui sandbox down` again; report it if it stays")

    def leftovers(self) -> list[str]:
        """Anything of this lab still present: namespaces, mounts, cgroups, loop devices, PIDs."""
        out = []
        present = set(network.netns_list())
        out += [f"network namespace {ns}" for ns in self._netns_names() if ns in present]
        out += [f"mount {m}" for m in mounted_under(self.state_dir)]
        out += [f"cgroup {c}" for c in cgroups.remaining(self.name)]
        out += [f"process {p}" for p in self.recorded_pids() if pid_alive(p)]
        for loop in self.recorded_loops():
            if Path(f"/sys/block/{Path(loop).name}/loop/backing_file").exists():
                out.append(f"loop device {loop}")
        return out

    def reset(self, host: str, install: str | None = None) -> None:
        """Put one host back to its freshly built state (fresh upper layer, reboot); with
        `install`, give it maillab-tui that way from now on."""
        preflight.check_run()
        h = self.host(host)
        with locked(self._lock):
            state = self._load()
            if not network.dns_running(state.get("dns_pid")):
                raise SandboxError(f"lab {self.name!r} is not up",
                                   "start it with `maillab-tui sandbox up`")
            image_path = Path(state.get("image_path") or images_dir(self.cache) / "missing")
            image = Image(image_path.name, image_path)
            if not image.complete():
                raise SandboxError(f"the lab's image {image_path} is gone",
                                   "run `maillab-tui sandbox up --fresh`")
            if install is not None:
                state["hosts"].setdefault(h.name, {})["install"] = install
                self._save(state)
            started = time.monotonic()
            self._stop_hosts([h], hard=True)  # its changes are thrown away: no shutdown needed
            network.renew_host(self.name, self.net, h.name)
            self._start_host(h, image, fresh=True)
            self._wait_ready(h)
            log(f"{h.name} reset ({time.monotonic() - started:.1f} s)")

    def reboot(self, host: str, timeout: float = READY_TIMEOUT) -> None:
        """Reboot one host from inside, as a learner's `sudo reboot`, and wait for it again.

        systemd-nspawn exits 133 when the host reboots and the wrapper starts it again on the
        same upper layer and network namespace (nothing of the host's work is lost)."""
        preflight.check_run()
        h = self.host(host)
        before = self.init_pid(h.name)
        if not before:
            raise SandboxError(f"{h.name} is not running", "start the lab with `sandbox up`")
        started = time.monotonic()
        self.exec(h.name, ["systemctl", "reboot"], timeout=30)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.init_pid(h.name)
            if now and now != before:
                break
            entry = self._load()["hosts"].get(h.name, {})
            if not pid_alive(entry.get("wrapper_pid")):
                raise SandboxError(f"{h.name} did not come back after the reboot")
            time.sleep(0.2)
        else:
            raise SandboxError(f"{h.name} did not reboot within {timeout:.0f} s")
        self._wait_ready(h)
        log(f"{h.name} rebooted ({time.monotonic() - started:.1f} s)")

    # -- messages -------------------------------------------------------------------------

    def summary(self) -> str:
        """What an instructor needs to know once the lab is up."""
        lines = [f"lab {self.name!r}: network {self.net.subnet}, DNS {self.net.dns}"]
        for h in self.net.hosts:
            lines.append(f"  {h.name}: {h.fqdn} {h.address}")
        lines += [
            f"login user: {ADMIN_USER}, password: {ADMIN_PASSWORD} (has sudo, with that password)",
            "enter a host:  maillab-tui sandbox shell host1",
            "run as root:   maillab-tui sandbox exec host1 -- CMD ...",
        ]
        return "\n".join(lines)

