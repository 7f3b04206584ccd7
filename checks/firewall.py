"""Firewall checks: a service is allowed by firewalld; a port answers from this machine.

`firewall_service` asks firewalld for the zone's running and permanent settings over D-Bus
(`busctl call org.fedoraproject.FirewallD1 ... getZoneSettings2`, milliseconds), and where
that gets no answer (firewalld stopped or not installed, no busctl, not allowed) reads
`firewall-cmd --zone=Z --list-all` twice, for the running configuration and with
`--permanent` (about a second a call), parsing the `services:` and `ports:` lines. A
service also counts as open when its port, e.g. `25/tcp`, is listed. The textbook's
commands change the permanent configuration and then `--reload`; forgetting the reload
leaves the service closed now (`firewall.not-reloaded`); opening it without `--permanent`
loses it at the next reload or boot (`firewall.not-permanent`). It also makes sure the zone
is in use (active, or the default zone).

When firewall-cmd is not installed at all the check is *skipped*: there is no firewalld
to configure, so the step does not apply (and `port_reachable` from the other host shows
whether the port can be reached). When firewalld is installed but stopped, it *fails*
(`firewall.not-running`): the step's commands cannot work.

`port_reachable` opens a TCP connection from this machine (optionally from a given local
address): run it on the other host to prove the port answers through the firewall.

Diagnoses: firewall.closed, firewall.not-reloaded, firewall.not-permanent,
firewall.not-running, firewall.inactive-zone; port_reachable adds the connection codes
(postfix.not-running, dovecot.not-running, port.refused, net.timeout ...).
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from maillab_tui.check import (
    Context,
    Proc,
    Result,
    check,
    error,
    failed,
    needs_root,
    passed,
    skipped,
    t,
)
from maillab_tui.checking.probes import tool_missing
from maillab_tui.checking.sysparse import FIREWALL_SERVICE_PORTS, FirewallZone, parse_firewall_zones
from maillab_tui.mail.diagnoses import diagnose
from maillab_tui.mail.net import Unreachable, connect, io_seconds, unreachable_result, where

_DENIED = ("Authorization failed", "Not authorized", "AccessDenied", "Permission denied")


_CACHE_SECONDS = 2.0
_cache_lock = threading.Lock()


def _asked(ctx: Context, argv: list[str], timeout: float) -> Proc:
    """A firewall question's answer (busctl or firewall-cmd), shared for two seconds by the
    checks of one grading.

    Each firewall-cmd call is a Python D-Bus client costing about a second; three firewall
    checks asking
    the same questions at once would otherwise make nine calls. The answers live on the
    grading's context, and older than two seconds they are asked again, so a retry after
    `firewall-cmd --reload` sees the new state.
    """
    with _cache_lock:
        cache: dict[tuple[str, ...], tuple[float, Proc]] = ctx.__dict__.setdefault(
            "_firewall_answers", {})
        locks: dict[tuple[str, ...], threading.Lock] = ctx.__dict__.setdefault(
            "_firewall_locks", {})
        lock = locks.setdefault(tuple(argv), threading.Lock())
    with lock:
        hit = cache.get(tuple(argv))
        if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return hit[1]
        proc = ctx.run(argv, timeout=timeout)
        cache[tuple(argv)] = (time.monotonic(), proc)
        return proc


_BUS = "org.fedoraproject.FirewallD1"
_PATH = "/org/fedoraproject/FirewallD1"


def _bus_call(ctx: Context, path: str, interface: str, method: str,
              *args: str) -> list[Any] | None:
    """One method call to firewalld over D-Bus (busctl): the reply's values, or None."""
    argv = ["busctl", "--json=short", "call", _BUS, path, interface, method,
            *(["s", *args] if args else [])]
    proc = _asked(ctx, argv, 10)
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout).get("data")
    except (ValueError, AttributeError):
        return None
    return data if isinstance(data, list) and data else None


def _settings_zone(zone: str, settings: Any, *, active: bool = False,
                   default: bool = False) -> FirewallZone | None:
    """A FirewallZone from firewalld's zone settings (a{sv}: services as, ports a(ss))."""
    if not isinstance(settings, dict):
        return None

    def values(key: str) -> list[Any]:
        entry = settings.get(key) or {}
        data = entry.get("data", []) if isinstance(entry, dict) else []
        return data if isinstance(data, list) else []

    ports = tuple(f"{p[0]}/{p[1]}" for p in values("ports")
                  if isinstance(p, list) and len(p) == 2)
    return FirewallZone(zone, active=active, default=default,
                        interfaces=tuple(map(str, values("interfaces"))),
                        sources=tuple(map(str, values("sources"))),
                        services=tuple(map(str, values("services"))), ports=ports)


def _zones_over_dbus(ctx: Context, zone: str) -> tuple[FirewallZone, FirewallZone, list[str],
                                                        tuple[str, list[str]]] | None:
    """The running and permanent zone from firewalld itself, in milliseconds; None if it
    does not answer that way (then firewall-cmd is asked: it says why, but costs a second).
    """
    running = _bus_call(ctx, _PATH, f"{_BUS}.zone", "getZoneSettings2", zone)
    default = _bus_call(ctx, _PATH, _BUS, "getDefaultZone")
    active = _bus_call(ctx, _PATH, f"{_BUS}.zone", "getActiveZones")
    path = _bus_call(ctx, f"{_PATH}/config", f"{_BUS}.config", "getZoneByName", zone)
    if running is None or default is None or active is None or path is None:
        return None
    permanent = _bus_call(ctx, str(path[0]), f"{_BUS}.config.zone", "getSettings2")
    if permanent is None:
        return None
    in_use = isinstance(active[0], dict) and zone in active[0]
    now = _settings_zone(zone, running[0], active=in_use, default=default[0] == zone)
    kept = _settings_zone(zone, permanent[0])
    if now is None or kept is None:
        return None
    evidence = []
    for label, z in (("running", now), ("--permanent", kept)):
        flags = [f for f, on in (("default", z.default), ("active", z.active)) if on]
        evidence += [f"{label}: {zone}" + (f" ({', '.join(flags)})" if flags else ""),
                     f"{label}: services: {' '.join(z.services)}",
                     f"{label}: ports: {' '.join(z.ports)}"]
    zones = sorted(active[0]) if isinstance(active[0], dict) else []
    if not now.active and not now.default:
        evidence.append(f"active zones: {', '.join(zones)}; default zone: {default[0]}")
    return now, kept, evidence, (str(default[0]), zones)


def _prefetch(ctx: Context, zone: str) -> None:
    """Ask for the running and the permanent zone at once rather than one after the other."""
    questions = [["firewall-cmd", f"--zone={zone}", "--list-all"],
                 ["firewall-cmd", "--permanent", f"--zone={zone}", "--list-all"]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda argv: _asked(ctx, argv, 20), questions))


def _zone(ctx: Context, zone: str, permanent: bool) -> tuple[FirewallZone | None, list[str],
                                                             Result | None]:
    """The parsed zone (running or permanent), its shown lines, or the result that ends it."""
    argv = ["firewall-cmd", *(["--permanent"] if permanent else []), f"--zone={zone}",
            "--list-all"]
    proc = _asked(ctx, argv, 20)
    if any(s in proc.output for s in _DENIED):
        return None, [], needs_root()
    if proc.returncode != 0 or "INVALID_ZONE" in proc.output:
        return None, [], error(t(f"ゾーン {zone} を読めません: {proc.output.splitlines()[-1:]}",
                                 f"cannot read zone {zone}: {proc.output.splitlines()[-1:]}"),
                               proc.output.splitlines()[-3:])
    zones = parse_firewall_zones(proc.stdout)
    label = "--permanent" if permanent else "running"
    shown = [f"{label}: " + line.strip() for line in proc.stdout.splitlines()
             if line.strip().startswith(("services:", "ports:", "interfaces:"))]
    header = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""
    return (zones[0] if zones else None), [f"{label}: {header}", *shown], None


@check(
    "firewall_service",
    "firewalld でサービス（smtp / imap / pop3）が許可されている（実行中の設定と --permanent の"
    "両方） / firewalld allows a service, both running and permanently.",
)
def firewall_service(ctx: Context, service: str, zone: str = "public",
                     installed: bool = False) -> Result:
    """Compare the running and the permanent zone; skip where firewalld is not installed.

    Parameters:
        service: the firewalld service: smtp, imap, pop3 ...
        zone: the zone (the textbook uses public)
        installed: firewalld must be installed (fail, not skip, without it): for steps that install
            it
    """
    fast = _zones_over_dbus(ctx, zone)
    if fast is not None:
        return _verdict(ctx, service, zone, *fast)
    state = _asked(ctx, ["firewall-cmd", "--state"], 10)
    if state.missing and installed:
        return failed(t("firewalld がインストールされていません", "firewalld is not installed"),
                      "firewall-cmd: command not found", diagnose("firewall.not-installed"))
    if state.missing:
        return skipped(t("firewalld がインストールされていません"
                         "（ファイアウォールの設定は不要です）",
                         "firewalld is not installed (there is no firewall to configure)"))
    problem = tool_missing(state)
    if problem is not None:
        return problem
    if any(s in state.output for s in _DENIED):
        return needs_root()
    if "not running" in state.output or state.returncode == 252:
        return failed(t("firewalld が起動していません", "firewalld is not running"),
                      f"firewall-cmd --state: {state.output or 'not running'}",
                      diagnose("firewall.not-running"))
    _prefetch(ctx, zone)
    running, run_lines, stop = _zone(ctx, zone, permanent=False)
    if stop is not None:
        return stop
    permanent, perm_lines, stop = _zone(ctx, zone, permanent=True)
    if stop is not None:
        return stop
    return _verdict(ctx, service, zone, running, permanent, [*run_lines, *perm_lines])


def _verdict(ctx: Context, service: str, zone: str, running: FirewallZone | None,
             permanent: FirewallZone | None, evidence: list[str],
             in_use: tuple[str, list[str]] | None = None) -> Result:
    """Open now and kept, open only until the next reload, only after one, or closed.

    `in_use` is the default zone and the active ones when already known (asked otherwise).
    """
    now = running is not None and running.allows(service)
    kept = permanent is not None and permanent.allows(service)
    port = FIREWALL_SERVICE_PORTS.get(service, "?").split("/")[0]
    if now and kept:
        if running is not None and not running.active and not running.default:
            if in_use is None:
                active_proc = _asked(ctx, ["firewall-cmd", "--get-active-zones"], 10)
                in_use = (_asked(ctx, ["firewall-cmd", "--get-default-zone"], 10).stdout.strip(),
                          [line.strip() for line in active_proc.stdout.splitlines()
                           if line.strip() and not line[0].isspace()])
            default, active = in_use
            if zone != default and active and zone not in active:
                return failed(t(f"{service} はゾーン {zone} で許可されていますが、"
                                "このゾーンは使われていません",
                                f"{service} is allowed in zone {zone}, which is not in use"),
                              [*evidence, f"active zones: {', '.join(active)}"],
                              diagnose("firewall.inactive-zone", service=service, zone=zone,
                                       active=", ".join(active)))
        return passed(t(f"ゾーン {zone} で {service} が許可されています"
                        "（実行中・--permanent とも）",
                        f"{service} is allowed in zone {zone} (running and permanent)"), evidence)
    if kept:
        return failed(t(f"{service} は --permanent では許可されていますが、"
                        "実行中の設定にはありません",
                        f"{service} is allowed permanently but not in the running configuration"),
                      evidence, diagnose("firewall.not-reloaded", service=service))
    if now:
        return failed(t(f"{service} は実行中の設定だけで許可されています"
                        "（--permanent にはありません）",
                        f"{service} is allowed at runtime only (not --permanent)"),
                      evidence, diagnose("firewall.not-permanent", service=service, zone=zone))
    return failed(t(f"ゾーン {zone} で {service} が許可されていません",
                    f"{service} is not allowed in zone {zone}"),
                  evidence,
                  diagnose("firewall.closed", where=f"このマシン（ゾーン {zone}）", service=service,
                           port=port, zone=zone))


_SERVICE_OF_PORT = {25: "smtp", 143: "imap", 110: "pop3"}


@check(
    "port_reachable",
    "このマシンから TCP ポートに接続できる（相手のマシンで実行すると、ファイアウォール越しに"
    "届くことが分かる） / A TCP port accepts a connection from this machine.",
)
def port_reachable(ctx: Context, address: str, port: int, from_address: str | None = None,
                   io_timeout: float = 5.0) -> Result:
    """Connect and close at once; a failure says whether it was refused, filtered or silent.

    Parameters:
        address: the host name or address to connect to
        port: the TCP port, e.g. 25, 110 or 143
        from_address: bind the client to this local address
        io_timeout: seconds to wait for the connection
    """
    seconds = io_seconds(io_timeout)
    try:
        sock, reached = connect(address, port, seconds, from_address)
    except Unreachable as exc:
        return unreachable_result(ctx, exc, _SERVICE_OF_PORT.get(port, "tcp"), address, port,
                                  seconds)
    client = sock.getsockname()[0]
    sock.close()
    return passed(t(f"{where(address, reached)} の {port} 番ポートに接続できました",
                    f"connected to {where(address, reached)} port {port}"),
                  f"{client} -> {reached}:{port}: connected")
