"""Bounded connections to the lab's mail services: resolving, connecting, and what an
unreachable service means (Postfix or Dovecot not running, inet_interfaces, firewall, DNS).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
from collections.abc import Mapping
from typing import Any

from maillab_tui.checking.api import Context, Result, error, failed, t
from maillab_tui.mail.diagnoses import diagnose

# --------------------------------------------------------------------------- connecting

# The daemon and default port behind each service a probe talks to.
SERVICES: Mapping[str, tuple[int, str]] = {
    "smtp": (25, "Postfix"), "imap": (143, "Dovecot"), "pop3": (110, "Dovecot"),
}


class Unreachable(Exception):
    """A connection that could not be made, with the kind of failure.

    Kinds: `refused`, `no-route` (EHOSTUNREACH: firewalld's reject, or the host is down),
    `timeout`, `net-unreachable`, `name` (no such name), `name-again` (DNS did not answer),
    `bind` (from_address is not this machine's), `other`.
    """

    def __init__(self, kind: str, detail: str, address: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.address = address


def _is_ip(text: str) -> bool:
    """True for an IPv4 or IPv6 address literal."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def resolve(host: str, timeout: float) -> list[str]:
    """The IPv4 (then IPv6) addresses of `host`, giving up after `timeout` seconds.

    getaddrinfo cannot be interrupted, so it runs in a daemon thread; a lookup that outlives
    the timeout is reported as DNS not answering.
    """
    if _is_ip(host):
        return [host.strip("[]")]
    box: dict[str, Any] = {}

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise Unreachable("name-again", f"{host}: DNS lookup timed out")
    exc = box.get("error")
    if isinstance(exc, socket.gaierror):
        kind = "name-again" if exc.errno == socket.EAI_AGAIN else "name"
        raise Unreachable(kind, f"{host}: {exc.strerror}")
    if exc is not None:
        raise Unreachable("other", f"{host}: {exc}")
    infos = box.get("infos") or []
    v4 = [i[4][0] for i in infos if i[0] == socket.AF_INET]
    v6 = [i[4][0] for i in infos if i[0] == socket.AF_INET6]
    addresses = list(dict.fromkeys(v4 + v6))
    if not addresses:
        raise Unreachable("name", f"{host}: no address")
    return addresses


_ERRNO_KINDS = {
    errno.ECONNREFUSED: "refused", errno.EHOSTUNREACH: "no-route",
    errno.ENETUNREACH: "net-unreachable", errno.ETIMEDOUT: "timeout",
}


def _kind_of(exc: OSError) -> str:
    """The Unreachable kind for a socket error."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    return _ERRNO_KINDS.get(exc.errno or 0, "other")


def connect(host: str, port: int, timeout: float,
            from_address: str | None = None) -> tuple[socket.socket, str]:
    """A connected TCP socket to `host`:`port` and the address it reached; or `Unreachable`."""
    addresses = resolve(host, timeout)
    last: Unreachable | None = None
    for address in addresses[:3]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        if from_address:
            try:
                sock.bind((from_address, 0))
            except OSError as exc:
                sock.close()
                raise Unreachable("bind", f"bind {from_address}: {exc.strerror or exc}",
                                  address) from exc
        try:
            sock.connect((address, port))
        except OSError as exc:
            sock.close()
            detail = exc.strerror or str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError | socket.timeout):
                detail = "timed out"
            last = Unreachable(_kind_of(exc), f"connect to {address}:{port}: {detail}", address)
            continue
        return sock, address
    assert last is not None
    raise last


def is_local_address(address: str) -> bool:
    """True when `address` belongs to this machine (a socket can be bound to it)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


def answers(address: str, port: int, timeout: float) -> bool:
    """True when something accepts a TCP connection at `address`:`port`."""
    try:
        sock, _ = connect(address, port, timeout)
    except Unreachable:
        return False
    sock.close()
    return True


def where(host: str, address: str = "") -> str:
    """`mail.example2.jp (192.168.56.102)` or just the address, for messages."""
    if address and address != host:
        return f"{host} ({address})"
    return host


def unreachable_result(ctx: Context, exc: Unreachable, service: str, host: str, port: int,
                       seconds: float) -> Result:
    """The failure (or error) for a connection that could not be made, naming the cause.

    Connection refused on one of this machine's own addresses is retried on 127.0.0.1: if
    the daemon answers there, it listens on loopback only (Postfix's fresh inet_interfaces).
    """
    address = exc.address or host
    shown = where(host, exc.address)
    evidence = [exc.detail]
    _, daemon = SERVICES.get(service, (port, ""))
    if exc.kind == "bind":
        return error(t(f"送信元アドレスを使えません（{exc.detail}）。from_address はこのマシンの"
                       "アドレスにしてください",
                       f"cannot use the source address ({exc.detail}): from_address must be "
                       "one of this machine's addresses"), evidence)
    if exc.kind in ("name", "name-again"):
        code = "dns.missing-record" if exc.kind == "name" else "dns.unreachable"
        return failed(
            t(f"{host} の名前を解決できません", f"cannot resolve {host}"), evidence,
            diagnose(code, name=host, type="A", status="NXDOMAIN", server=""),
        )
    if exc.kind == "refused":
        elsewhere = address not in ("127.0.0.1", "::1")
        if service == "smtp" and elsewhere and is_local_address(address) \
                and answers("127.0.0.1", port, seconds):
            evidence.append(f"127.0.0.1:{port}: connected")
            return failed(
                t(f"{shown} の {port} 番ポートに接続できません（127.0.0.1 では応答します）",
                  f"{shown} refuses port {port} (127.0.0.1 answers)"),
                evidence, diagnose("postfix.inet-interfaces", address=address, port=port),
            )
        code = {"smtp": "postfix.not-running", "imap": "dovecot.not-running",
                "pop3": "dovecot.not-running"}.get(service, "port.refused")
        return failed(
            t(f"{shown} の {port} 番ポートに接続できません（Connection refused）",
              f"{shown} refused port {port}"),
            evidence, diagnose(code, where=shown, port=port, protocol=service.upper()),
        )
    if exc.kind == "no-route":
        return failed(
            t(f"{shown} の {port} 番ポートに届きません（No route to host）",
              f"{shown} port {port}: No route to host"),
            evidence, diagnose("firewall.closed", where=shown, service=service, port=port,
                               zone="public"),
        )
    if exc.kind == "timeout":
        return failed(
            t(f"{shown} の {port} 番ポートから {seconds:g} 秒以内に応答がありません",
              f"no answer from {shown} port {port} within {seconds:g} s"),
            evidence, diagnose("net.timeout", where=shown, seconds=f"{seconds:g}", address=address),
            silent=True,
        )
    if exc.kind == "net-unreachable":
        return failed(
            t(f"{shown} へのネットワーク経路がありません", f"no route to the network of {shown}"),
            evidence, diagnose("net.unreachable", address=address),
        )
    name = daemon or service
    return error(t(f"{shown} の {name} に接続できません: {exc.detail}",
                   f"cannot connect to {name} at {shown}: {exc.detail}"), evidence)




# --------------------------------------------------------------------------- small helpers


def io_seconds(value: float | None, default: float = 5.0) -> float:
    """A per-operation network timeout: the parameter, bounded to 0.2-60 s."""
    return min(max(float(value if value is not None else default), 0.2), 60.0)


def default_host(ctx: Context, host: str | None) -> str:
    """The host a probe connects to: the parameter, else this host's address (or 127.0.0.1)."""
    return (host or ctx.value("address") or ctx.value("fqdn") or "127.0.0.1").strip()
