"""The private lab network: a namespace per host, a bridge and dnsmasq in a namespace of their own.

The root namespace never holds a link or an address in the lab subnet: the veth pairs are
created from inside the lab network's namespace (`ip -n NET link add ... peer ... netns HOST`).
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from maillab_tui import system
from maillab_tui.sandbox.topology import LabNetwork
from maillab_tui.sandbox.util import SandboxError, pid_alive, run, which

NETNS_DIR = Path("/run/netns")
BRIDGE = "labbr0"


def netns_name(lab: str, what: str) -> str:
    """The network namespace of a host (`maillab-host1`) or of the lab network (`maillab-net`)."""
    return f"{lab}-{what}"


def netns_list() -> list[str]:
    """Names of the machine's named network namespaces."""
    proc = run(["ip", "-j", "netns", "list"], check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return []
    return [entry["name"] for entry in json.loads(proc.stdout)]


def netns_addresses(ns: str | None) -> list[str]:
    """IPv4 addresses (CIDR) in a namespace, or in the root namespace when ns is None."""
    argv = ["ip", "-j", "-4", "addr", "show"]
    if ns:
        argv = ["ip", "-n", ns, "-j", "-4", "addr", "show"]
    proc = run(argv, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return []
    out = []
    for link in json.loads(proc.stdout):
        for addr in link.get("addr_info", []):
            out.append(f"{addr['local']}/{addr['prefixlen']}")
    return out


def in_subnet(addresses: list[str], subnet: ipaddress.IPv4Network) -> list[str]:
    """The addresses among `addresses` that lie in `subnet`."""
    return [a for a in addresses if ipaddress.IPv4Interface(a).ip in subnet]


def mac(address: str) -> str:
    """A host's fixed MAC address, from its IPv4 address (02:00:c0:a8:38:65 for .56.101).

    Like a VM's, it stays the same when the host is reset, so the other hosts' neighbour
    entries stay right (a new random one each time left the peer unreachable for seconds).
    """
    return "02:00:" + ":".join(f"{octet:02x}" for octet in ipaddress.IPv4Address(address).packed)


def create(lab: str, net: LabNetwork) -> None:
    """Create the namespaces, bridge, veth pairs and addresses (skipping what already exists)."""
    existing = set(netns_list())
    lab_ns = netns_name(lab, "net")
    for ns in [lab_ns, *(netns_name(lab, h.name) for h in net.hosts)]:
        if ns not in existing:
            run(["ip", "netns", "add", ns])
    links = {link["ifname"] for link in _links(lab_ns)}
    if BRIDGE not in links:
        run(["ip", "-n", lab_ns, "link", "add", BRIDGE, "type", "bridge"])
        run(["ip", "-n", lab_ns, "addr", "add", f"{net.dns}/{net.prefixlen}", "dev", BRIDGE])
    # A bridge left to choose its MAC takes its lowest port's, so a new port (a host reset, a
    # station) could change it: the hosts' ARP entries for the DNS server then point nowhere
    # for seconds (lookups time out, Postfix's greeting waits on them: a flake in CI).
    run(["ip", "-n", lab_ns, "link", "set", BRIDGE, "address", mac(net.dns)])
    run(["ip", "-n", lab_ns, "link", "set", "lo", "up"])
    run(["ip", "-n", lab_ns, "link", "set", BRIDGE, "up"])
    for host in net.hosts:
        _attach(lab_ns, f"v-{host.name}"[:15], netns_name(lab, host.name), host.address,
                net.prefixlen, links)


def _attach(lab_ns: str, port: str, ns: str, address: str, prefixlen: int,
            links: set[object]) -> None:
    """Plug namespace `ns` into the lab bridge: a veth (eth0 there, `port` on the bridge)."""
    if port not in links:
        run(["ip", "-n", lab_ns, "link", "add", port, "type", "veth",
             "peer", "name", "eth0", "netns", ns])
        run(["ip", "-n", ns, "link", "set", "eth0", "address", mac(address)])
        run(["ip", "-n", ns, "addr", "add", f"{address}/{prefixlen}", "dev", "eth0"])
    run(["ip", "-n", lab_ns, "link", "set", port, "master", BRIDGE, "up"])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(["ip", "-n", ns, "link", "set", "eth0", "up"])


def check_station_address(net: LabNetwork, address: str) -> ipaddress.IPv4Address:
    """The address, if a station may have it: inside the lab network and nobody else's."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError as exc:
        raise SandboxError(f"station address {address!r} is not an IPv4 address") from exc
    taken = {net.dns: "the lab's DNS server", **{h.address: h.name for h in net.hosts}}
    if ip not in net.subnet:
        raise SandboxError(f"station address {address} is not in the lab network {net.subnet}")
    if str(ip) in taken:
        raise SandboxError(f"station address {address} is {taken[str(ip)]}'s",
                           "choose a free address in the lab network, e.g. "
                           f"{net.subnet.network_address + 10}")
    return ip


def add_station(lab: str, net: LabNetwork, name: str, address: str) -> str:
    """A namespace `<lab>-<name>` with one address on the lab bridge (e.g. an instructor's PC).

    It is a network namespace only: programs run there with `ip netns exec` see this machine's
    files, which is what a controller such as ansible-playbook needs. Returns its name.
    """
    ip = check_station_address(net, address)
    lab_ns, ns = netns_name(lab, "net"), netns_name(lab, name)
    if lab_ns not in netns_list():
        raise SandboxError(f"lab {lab!r} has no network", "start it with `maillab-tui sandbox up`")
    if ns not in netns_list():
        run(["ip", "netns", "add", ns])
    _attach(lab_ns, f"s-{name}"[:15], ns, str(ip), net.prefixlen,
            {link["ifname"] for link in _links(lab_ns)})
    return ns


def _links(ns: str) -> list[dict[str, object]]:
    proc = run(["ip", "-n", ns, "-j", "link", "show"], check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return []
    result: list[dict[str, object]] = json.loads(proc.stdout)
    return result


def dns_records(net: LabNetwork) -> list[tuple[str, str, str]]:
    """The records the lab's DNS serves: (type, name, value), an MX and an A per host."""
    out = []
    for host in net.hosts:
        out += [("MX", host.domain, f"10 {host.fqdn}"), ("A", host.fqdn, host.address)]
    return out


def dns_record(net: LabNetwork, rtype: str, name: str) -> tuple[str, str, str]:
    """The served record of that type and name, or a SandboxError listing the records."""
    for record in dns_records(net):
        if record[0] == rtype.upper() and record[1] == name.lower().rstrip("."):
            return record
    known = ", ".join(f"{r[0]} {r[1]}" for r in dns_records(net))
    raise SandboxError(f"the lab's DNS has no {rtype.upper()} record for {name}",
                       f"its records are: {known}")


def dnsmasq_argv(net: LabNetwork, logfile: Path, hidden: Sequence[str] = ()) -> list[str]:
    """dnsmasq as the lab's authoritative-only DNS server (no forwarding, no DHCP).

    `hidden` names records ("MX example2.jp") left out, as a DNS server missing them would.
    """
    binary = which("dnsmasq")
    if binary is None:
        raise SandboxError("dnsmasq is not installed", "apt-get install dnsmasq-base")
    argv = [binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
            "--no-hosts", "--no-poll", "--bind-interfaces", f"--listen-address={net.dns}",
            "--domain-needed", "--bogus-priv", "--pid-file=", f"--log-facility={logfile}",
            "--log-queries", "--user=dnsmasq", "--group=nogroup"]
    reverse = ".".join(reversed(str(net.subnet.network_address).split(".")[:3]))
    argv.append(f"--local=/{reverse}.in-addr.arpa/")
    for host in net.hosts:
        argv.append(f"--local=/{host.domain}/")
        if f"A {host.fqdn}" not in hidden:
            argv.append(f"--host-record={host.fqdn},{host.address}")
        if f"MX {host.domain}" not in hidden:
            argv.append(f"--mx-host={host.domain},{host.fqdn},10")
    return argv


def start_dns(lab: str, net: LabNetwork, state: Path, hidden: Sequence[str] = ()) -> int:
    """Start dnsmasq inside the lab network's namespace; return its PID."""
    logfile = state / "dnsmasq.log"
    logfile.touch()
    logfile.chmod(0o666)
    with (state / "dnsmasq.out").open("ab") as out:
        proc = system.spawn(
            ["ip", "netns", "exec", netns_name(lab, "net"), *dnsmasq_argv(net, logfile, hidden)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    return proc.pid


def dns_running(pid: int | None) -> bool:
    """Whether the recorded dnsmasq is still running."""
    return pid_alive(pid)


def renew_host(lab: str, net: LabNetwork, host: str) -> None:
    """A new network namespace for a stopped host: nothing of its old one carries over.

    A host's firewall (firewalld's nftables ruleset), connection tracking and neighbours live
    in its namespace, not in its files: a host reset to its fresh files but left in its old
    namespace would still reject what its old firewalld rejected.
    """
    ns = netns_name(lab, host)
    if ns in netns_list():
        run(["ip", "netns", "delete", ns])
    create(lab, net)


def delete(lab: str, net: LabNetwork, stations: Sequence[str] = ()) -> None:
    """Delete the lab's namespaces, its stations' too (their links go with them)."""
    existing = set(netns_list())
    names = [netns_name(lab, "net"), *(netns_name(lab, h.name) for h in net.hosts),
             *(netns_name(lab, s) for s in stations)]
    for ns in names:
        if ns in existing:
            run(["ip", "netns", "delete", ns], check=False)
