"""DNS, firewall, saslauthd, DVD and package-origin checks against recorded command output.

The AlmaLinux outputs (firewalld 1.2, dnf 4, rsyslog) are recorded from AlmaLinux 9; the
Debian ones from Debian 12 (bookworm). A fake runner answers the exact commands a check runs.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from maillab_tui.checking.api import Context, Status
from tests.unit.mail_support import code, make_ctx, run, text

# ----------------------------------------------------------------------------- DNS

DIG_HEAD = """
; <<>> DiG 9.18.24-1-Debian <<>> +noall +comments +answer +stats {name} {type}
;; global options: +cmd
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: {status}, id: 4242
;; flags: qr aa rd ra; QUERY: 1, ANSWER: {count}, AUTHORITY: 0, ADDITIONAL: 1

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
; COOKIE: 7a1e0d2c4b3f8e9a0100000067480e5e1c2d3e4f5a6b7c8d (good)
"""
DIG_TAIL = """
;; Query time: 0 msec
;; SERVER: 192.168.56.1#53(192.168.56.1) (UDP)
;; WHEN: Sat Nov 28 18:14:06 JST 2026
;; MSG SIZE  rcvd: 80
"""
DIG_TIMEOUT = """;; communications error to 192.168.56.1#53: timed out
;; communications error to 192.168.56.1#53: timed out
;; communications error to 192.168.56.1#53: timed out

; <<>> DiG 9.18.24-1-Debian <<>> +noall +comments +answer +stats example2.jp MX
;; global options: +cmd
;; no servers could be reached
"""


def dig(name: str, rtype: str, status: str = "NOERROR", *answers: str) -> tuple[int, str, str]:
    """A recorded dig answer for NAME TYPE."""
    body = ";; ANSWER SECTION:\n" + "".join(f"{a}\n" for a in answers) if answers else ""
    return 0, DIG_HEAD.format(name=name, type=rtype, status=status, count=len(answers)) + body \
        + DIG_TAIL, ""


def dig_key(name: str, rtype: str) -> tuple[str, ...]:
    return ("dig", "+noall", "+comments", "+answer", "+stats", "+time=3", "+tries=1", name, rtype)


MX = "example2.jp.\t\t3600\tIN\tMX\t10 mail.example2.jp."
A = "mail.example2.jp.\t3600\tIN\tA\t192.168.56.102"


def test_dns_mx_passes_and_checks_its_target() -> None:
    table = {dig_key("example2.jp", "MX"): dig("example2.jp", "MX", "NOERROR", MX),
             dig_key("mail.example2.jp", "A"): dig("mail.example2.jp", "A", "NOERROR", A)}
    result = run("dns_record", make_ctx(table=table), name="example2.jp", type="MX",
                 expect="mail.example2.jp")
    assert result.status is Status.PASS, text(result)
    assert "10 mail.example2.jp." in text(result) and "192.168.56.1" in text(result)


def test_dns_a_passes() -> None:
    table = {dig_key("mail.example2.jp", "A"): dig("mail.example2.jp", "A", "NOERROR", A)}
    result = run("dns_record", make_ctx(table=table), name="mail.example2.jp",
                 expect="192.168.56.102")
    assert result.status is Status.PASS


def test_dns_nxdomain_is_a_missing_record() -> None:
    table = {dig_key("example2.jp", "MX"): dig("example2.jp", "MX", "NXDOMAIN")}
    result = run("dns_record", make_ctx(table=table), name="example2.jp", type="MX")
    assert code(result) == "dns.missing-record"
    assert "NXDOMAIN" in text(result)


def test_dns_nodata_is_a_missing_record() -> None:
    table = {dig_key("example2.jp", "MX"): dig("example2.jp", "MX", "NOERROR")}
    result = run("dns_record", make_ctx(table=table), name="example2.jp", type="MX")
    assert code(result) == "dns.missing-record"
    assert "0 件" in text(result)


def test_dns_timeout_is_an_unreachable_server(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/resolv.conf").write_text("search example1.jp\nnameserver 192.168.56.1\n")
    table = {dig_key("example2.jp", "MX"): (9, DIG_TIMEOUT, "")}
    result = run("dns_record", make_ctx(tmp_path, table), name="example2.jp", type="MX")
    assert code(result) == "dns.unreachable"
    assert "192.168.56.1" in text(result) and "resolv.conf" in text(result)


def test_dns_wrong_value() -> None:
    wrong = "mail.example2.jp.\t3600\tIN\tA\t192.168.56.101"
    table = {dig_key("mail.example2.jp", "A"): dig("mail.example2.jp", "A", "NOERROR", wrong)}
    result = run("dns_record", make_ctx(table=table), name="mail.example2.jp",
                 expect="192.168.56.102")
    assert code(result) == "dns.wrong-record"
    assert "192.168.56.101" in text(result)


def test_dns_servfail() -> None:
    table = {dig_key("example2.jp", "MX"): dig("example2.jp", "MX", "SERVFAIL")}
    result = run("dns_record", make_ctx(table=table), name="example2.jp", type="MX")
    assert code(result) == "dns.servfail"
    assert "named-checkzone" in text(result)


def test_dns_mx_target_without_a_record() -> None:
    table = {dig_key("example2.jp", "MX"): dig("example2.jp", "MX", "NOERROR", MX),
             dig_key("mail.example2.jp", "A"): dig("mail.example2.jp", "A", "NXDOMAIN")}
    result = run("dns_record", make_ctx(table=table), name="example2.jp", type="MX")
    assert code(result) == "dns.mx-target-missing"


def test_dns_falls_back_to_host() -> None:
    table = {("host", "-W", "3", "-t", "MX", "example2.jp"):
             (0, "example2.jp mail is handled by 10 mail.example2.jp.\n", ""),
             ("host", "-W", "3", "-t", "A", "mail.example2.jp"):
             (0, "mail.example2.jp has address 192.168.56.102\n", ""),
             ("host", "-W", "3", "-t", "A", "nothing.example2.jp"):
             (1, "Host nothing.example2.jp not found: 3(NXDOMAIN)\n", "")}
    ctx = make_ctx(table=table, missing=("dig",))
    assert run("dns_record", ctx, name="example2.jp", type="MX",
               expect="mail.example2.jp").status is Status.PASS
    assert code(run("dns_record", ctx, name="nothing.example2.jp")) == "dns.missing-record"


def test_dns_without_tools() -> None:
    ctx = make_ctx(missing=("dig", "host"))
    assert run("dns_record", ctx, name="example2.jp", type="MX").status is Status.ERROR
    assert run("dns_record", ctx, name="localhost").status is Status.PASS  # getaddrinfo


# ----------------------------------------------------------------------------- firewalld

ZONE = """public{flags}
  target: default
  icmp-block-inversion: no
  interfaces: {interfaces}
  sources: 
  services: {services}
  ports: {ports}
  protocols: 
  forward: yes
  masquerade: no
  forward-ports: 
  source-ports: 
  icmp-blocks: 
  rich rules: 
"""  # noqa: W291 (firewall-cmd writes the trailing spaces)


def zone(services: str, *, ports: str = "", permanent: bool = False, active: bool = True,
         name: str = "public") -> tuple[int, str, str]:
    flags = "" if permanent or not active else " (active)"
    out = ZONE.format(flags=flags, interfaces="" if permanent else "enp0s3 enp0s8",
                      services=services, ports=ports).replace("public", name, 1)
    return 0, out, ""


NO_BUS = (1, "", "Call failed: The name org.fedoraproject.FirewallD1 was not provided by any "
                 ".service files\n")


def firewall(running: tuple[int, str, str], permanent: tuple[int, str, str],
             state: tuple[int, str, str] = (0, "running\n", "")) -> dict[tuple[str, ...], Any]:
    """firewall-cmd's answers, with D-Bus not answering (so the check falls back to them)."""
    return {("firewall-cmd", "--state"): state,
            ("firewall-cmd", "--zone=public", "--list-all"): running,
            ("firewall-cmd", "--permanent", "--zone=public", "--list-all"): permanent,
            ("busctl", "*"): NO_BUS}


BUS = ("busctl", "--json=short", "call", "org.fedoraproject.FirewallD1")
RECORDED_SETTINGS = (  # busctl's reply on Debian 12 (firewalld 1.3) after the chapter's steps
    '{"type":"a{sv}","data":[{"short":{"type":"s","data":"Public"},"target":{"type":"s",'
    '"data":"default"},"services":{"type":"as","data":["ssh","dhcpv6-client","smtp","imap",'
    '"pop3"]},"masquerade":{"type":"b","data":false},"forward":{"type":"b","data":true}}]}')


def settings(services: list[str], ports: list[list[str]] | None = None) -> tuple[int, str, str]:
    data: dict[str, Any] = {"target": {"type": "s", "data": "default"},
                            "services": {"type": "as", "data": services}}
    if ports:
        data["ports"] = {"type": "a(ss)", "data": ports}
    return 0, json.dumps({"type": "a{sv}", "data": [data]}), ""


def bus(running: tuple[int, str, str], permanent: tuple[int, str, str], *,
        default: str = "public", active: str = "public") -> dict[tuple[str, ...], Any]:
    """firewalld's D-Bus answers; firewall-cmd is never asked (the test fails if it is)."""
    root, zone = "/org/fedoraproject/FirewallD1", "org.fedoraproject.FirewallD1.zone"
    config = "/org/fedoraproject/FirewallD1/config/zone/6"
    return {
        (*BUS, root, zone, "getZoneSettings2", "s", "public"): running,
        (*BUS, root, "org.fedoraproject.FirewallD1", "getDefaultZone"):
            (0, json.dumps({"type": "s", "data": [default]}), ""),
        (*BUS, root, zone, "getActiveZones"):
            (0, json.dumps({"type": "a{sa{sas}}", "data": [
                {active: {"interfaces": {"type": "as", "data": ["eth0"]}}}]}), ""),
        (*BUS, f"{root}/config", "org.fedoraproject.FirewallD1.config", "getZoneByName", "s",
         "public"): (0, json.dumps({"type": "o", "data": [config]}), ""),
        (*BUS, config, "org.fedoraproject.FirewallD1.config.zone", "getSettings2"): permanent,
    }  # fmt: skip


def test_firewall_over_dbus_open_both_ways() -> None:
    result = run("firewall_service", make_ctx(table=bus((0, RECORDED_SETTINGS, ""),
                                                        settings(["ssh", "smtp"]))),
                 service="smtp")
    assert result.status is Status.PASS, text(result)
    assert "running: public (default, active)" in result.evidence
    assert "running: services: ssh dhcpv6-client smtp imap pop3" in result.evidence


@pytest.mark.parametrize(("running", "permanent", "diagnosis"), [
    (["ssh"], ["ssh", "imap"], "firewall.not-reloaded"),
    (["ssh", "imap"], ["ssh"], "firewall.not-permanent"),
    (["ssh"], ["ssh"], "firewall.closed"),
])  # fmt: skip
def test_firewall_over_dbus_diagnoses(running: list[str], permanent: list[str],
                                      diagnosis: str) -> None:
    table = bus(settings(running), settings(permanent))
    result = run("firewall_service", make_ctx(table=table), service="imap")
    assert code(result) == diagnosis, text(result)


def test_firewall_over_dbus_ports_and_zone_not_in_use() -> None:
    table = bus(settings(["ssh"], [["143", "tcp"]]), settings(["ssh"], [["143", "tcp"]]))
    assert run("firewall_service", make_ctx(table=table), service="imap").status is Status.PASS
    table = bus(settings(["imap"]), settings(["imap"]), default="home", active="home")
    table[("firewall-cmd", "--get-default-zone")] = (0, "home\n", "")
    table[("firewall-cmd", "--get-active-zones")] = (0, "home\n  interfaces: eth0\n", "")
    result = run("firewall_service", make_ctx(table=table), service="imap")
    assert code(result) == "firewall.inactive-zone"
    assert "active zones: home; default zone: home" in result.evidence


def test_firewall_falls_back_to_firewall_cmd_when_dbus_does_not_answer() -> None:
    runner_table = firewall(zone(f"{BASE} smtp"), zone(f"{BASE} smtp", permanent=True))
    ctx = make_ctx(table=runner_table)
    assert run("firewall_service", ctx, service="smtp").status is Status.PASS
    asked = [call[0] for call in ctx.runner.calls]  # type: ignore[attr-defined]
    assert asked[0] == "busctl" and "firewall-cmd" in asked
    garbled = bus((0, "not json", ""), settings(["smtp"]))
    garbled.update(runner_table)
    assert run("firewall_service", make_ctx(table=garbled), service="smtp").status is Status.PASS


BASE = "cockpit dhcpv6-client ssh"


def test_firewall_service_open_both_ways() -> None:
    table = firewall(zone(f"{BASE} smtp"), zone(f"{BASE} smtp", permanent=True))
    result = run("firewall_service", make_ctx(table=table, platform="almalinux9"),
                 service="smtp")
    assert result.status is Status.PASS, text(result)
    assert "services: cockpit dhcpv6-client ssh smtp" in text(result)


def test_firewall_permanent_without_reload() -> None:
    table = firewall(zone(BASE), zone(f"{BASE} smtp imap", permanent=True))
    result = run("firewall_service", make_ctx(table=table), service="imap")
    assert code(result) == "firewall.not-reloaded"
    assert "firewall-cmd --reload" in text(result)


def test_firewall_runtime_only() -> None:
    table = firewall(zone(f"{BASE} pop3"), zone(BASE, permanent=True))
    result = run("firewall_service", make_ctx(table=table), service="pop3")
    assert code(result) == "firewall.not-permanent"
    assert "--permanent" in text(result)


def test_firewall_closed() -> None:
    table = firewall(zone(BASE), zone(BASE, permanent=True))
    result = run("firewall_service", make_ctx(table=table), service="smtp")
    assert code(result) == "firewall.closed"
    assert "--add-service=smtp --zone=public --permanent" in text(result)


def test_firewall_port_counts_as_the_service() -> None:
    table = firewall(zone(BASE, ports="25/tcp"), zone(BASE, ports="25/tcp", permanent=True))
    assert run("firewall_service", make_ctx(table=table), service="smtp").status is Status.PASS


def test_firewall_not_running_and_not_installed() -> None:
    table = {("firewall-cmd", "--state"): (252, "not running\n", ""), ("busctl", "*"): NO_BUS}
    result = run("firewall_service", make_ctx(table=table), service="smtp")
    assert code(result) == "firewall.not-running"
    assert "systemctl enable --now firewalld" in text(result)
    no_bus = {("busctl", "*"): NO_BUS}
    absent = run("firewall_service", make_ctx(table=no_bus, missing=("firewall-cmd",)),
                 service="smtp")
    assert absent.status is Status.SKIP
    required = run("firewall_service", make_ctx(missing=("firewall-cmd", "busctl")),
                   service="smtp", installed=True)
    assert required.status is Status.FAIL
    assert code(required) == "firewall.not-installed"


def test_firewall_without_authorization_needs_root() -> None:
    table = {("firewall-cmd", "--state"): (0, "running\n", ""),
             ("busctl", "*"): (1, "", "Call failed: Access denied\n"),
             ("firewall-cmd", "--zone=public", "--list-all"):
             (1, "", "Authorization failed.\n    Make sure polkit agent is running or run the "
                     "application as superuser.")}
    assert run("firewall_service", make_ctx(table=table, root=False), service="smtp").status \
        is Status.ERROR


def test_firewall_zone_not_in_use() -> None:
    table = firewall(zone(f"{BASE} smtp", active=False), zone(f"{BASE} smtp", permanent=True))
    table[("firewall-cmd", "--get-default-zone")] = (0, "home\n", "")
    table[("firewall-cmd", "--get-active-zones")] = (0, "home\n  interfaces: enp0s3\n", "")
    result = run("firewall_service", make_ctx(table=table), service="smtp")
    assert code(result) == "firewall.inactive-zone"
    assert "home" in text(result)


# ----------------------------------------------------------------------------- saslauthd

CHROOT_SOCKET = "/var/spool/postfix/var/run/saslauthd/mux"
MASTER_DEBIAN = "smtp       inet  n       -       y       -       -       smtpd\n"
MASTER_ALMA = "smtp       inet  n       -       n       -       -       smtpd\n"


class FakeSaslauthd:
    """saslauthd's socket protocol on a Unix socket: four counted strings in, one out."""

    def __init__(self, path: Path, answer: str) -> None:
        import socket
        import threading

        path.parent.mkdir(parents=True, exist_ok=True)
        self.asked: list[list[str]] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.answer = answer.encode()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        import struct

        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                data = b""
                parts: list[str] = []
                while len(parts) < 4:
                    while len(data) < 2:
                        data += conn.recv(64)
                    size = struct.unpack("!H", data[:2])[0]
                    while len(data) < 2 + size:
                        data += conn.recv(64)
                    parts.append(data[2:2 + size].decode())
                    data = data[2 + size:]
                self.asked.append(parts)
                conn.sendall(struct.pack("!H", len(self.answer)) + self.answer)

    def close(self) -> None:
        self.server.close()


def sasl_ctx(tmp_path: Path, master: str, standard: str | None, chroot: str | None = None,
             active: str = "active", platform: str = "debian12") -> Any:
    """A host whose saslauthd answers `standard` / `chroot` on those sockets (None: no socket)."""
    table = {("systemctl", "is-active", "saslauthd"): (0 if active == "active" else 3,
                                                       f"{active}\n", ""),
             ("postconf", "-M", "smtp/inet"): (0, master, "")}
    for where, answer in (("run/saslauthd/mux", standard), (CHROOT_SOCKET[1:], chroot)):
        if answer is not None:
            FakeSaslauthd(tmp_path / where, answer)
    return make_ctx(tmp_path, table, platform=platform)


def test_saslauthd_ok_on_almalinux(tmp_path: Path) -> None:
    ctx = sasl_ctx(tmp_path, MASTER_ALMA, "OK", platform="almalinux9")
    result = run("saslauthd_ok", ctx)
    assert result.status is Status.PASS, text(result)
    assert "userpass" not in text(result) and "/run/saslauthd/mux" in text(result)


def test_saslauthd_is_asked_what_postfix_asks(tmp_path: Path) -> None:
    (tmp_path / "run/saslauthd").mkdir(parents=True)
    server = FakeSaslauthd(tmp_path / "run/saslauthd/mux", "OK")
    from checks.saslauthd import ask_saslauthd

    assert ask_saslauthd(str(tmp_path / "run/saslauthd/mux"), "user1", "userpass",
                         "smtp") == "OK"
    assert server.asked == [["user1", "userpass", "smtp", ""]]
    assert ask_saslauthd(str(tmp_path / "none"), "user1", "x", "smtp").startswith("connect() :")
    server.close()


def test_saslauthd_stopped(tmp_path: Path) -> None:
    result = run("saslauthd_ok", sasl_ctx(tmp_path, MASTER_ALMA, None, active="inactive"))
    assert code(result) == "saslauthd.not-running"
    assert "systemctl enable --now saslauthd" in text(result)


def test_saslauthd_wrong_password(tmp_path: Path) -> None:
    result = run("saslauthd_ok", sasl_ctx(tmp_path, MASTER_ALMA, "NO authentication failed"))
    assert code(result) == "saslauthd.auth-failed"
    assert "MECH=pam" in text(result)


def test_saslauthd_outside_postfix_chroot_on_debian(tmp_path: Path) -> None:
    result = run("saslauthd_ok", sasl_ctx(tmp_path, MASTER_DEBIAN, "OK"))
    assert code(result) == "saslauthd.unreachable"
    assert "chroot" in text(result) and "OPTIONS=" in text(result)
    assert "START=yes" in text(result)


def test_saslauthd_inside_postfix_chroot_on_debian(tmp_path: Path) -> None:
    result = run("saslauthd_ok", sasl_ctx(tmp_path, MASTER_DEBIAN, None, "OK"))
    assert result.status is Status.PASS
    assert CHROOT_SOCKET in text(result)


def test_saslauthd_needs_root() -> None:
    assert run("saslauthd_ok", make_ctx(root=False)).status is Status.ERROR


# ----------------------------------------------------------------------------- the DVD

ALMA_MOUNT = ("/dev/sr0 /run/media/admin/AlmaLinux-9-3-x86_64-dvd iso9660 ro,nosuid,nodev,"
              "relatime,nojoliet,check=s,map=n,blocksize=2048,uid=1000,gid=1000,dmode=500,"
              "fmode=400,uhelper=udisks2 0 0\n")
ROOT_MOUNT = "/dev/sda2 / xfs rw,seclabel,relatime,attr2,inode64,logbufs=8,noquota 0 0\n"


def lsblk(*devices: dict[str, Any]) -> tuple[int, str, str]:
    disk = {"name": "sda", "label": None, "mountpoint": None, "fstype": None, "type": "disk",
            "children": [{"name": "sda2", "label": None, "mountpoint": "/", "fstype": "xfs",
                          "type": "part"}]}
    return 0, json.dumps({"blockdevices": [disk, *devices]}, indent=3), ""


LSBLK = ("lsblk", "-J", "-o", "NAME,LABEL,MOUNTPOINT,FSTYPE,TYPE")


def dvd_ctx(tmp_path: Path, mounts: str, *devices: dict[str, Any]) -> Context:
    (tmp_path / "proc").mkdir(exist_ok=True)
    (tmp_path / "proc/mounts").write_text(ROOT_MOUNT + mounts)
    return make_ctx(tmp_path, {LSBLK: lsblk(*devices)})


SR0 = {"name": "sr0", "label": "AlmaLinux-9-3-x86_64-dvd",
       "mountpoint": "/run/media/admin/AlmaLinux-9-3-x86_64-dvd", "fstype": "iso9660",
       "type": "rom"}


def test_dvd_mounted_on_almalinux(tmp_path: Path) -> None:
    result = run("dvd_mounted", dvd_ctx(tmp_path, ALMA_MOUNT, SR0))
    assert result.status is Status.PASS
    assert "/run/media/admin/AlmaLinux-9-3-x86_64-dvd" in text(result)


def test_dvd_contains_a_package_file(tmp_path: Path) -> None:
    packages = tmp_path / "run/media/admin/AlmaLinux-9-3-x86_64-dvd/AppStream/Packages"
    packages.mkdir(parents=True)
    (packages / "s-nail-14.9.22-6.el9.x86_64.rpm").write_bytes(b"rpm")
    ctx = dvd_ctx(tmp_path, ALMA_MOUNT, SR0)
    assert run("dvd_mounted", ctx, contains="AppStream/Packages/s-nail-*.rpm").status \
        is Status.PASS
    missing = run("dvd_mounted", ctx, contains="AppStream/Packages/thunderbird-*.rpm")
    assert code(missing) == "dvd.file-missing"


def test_dvd_in_the_sandbox_is_an_ext4_image_on_sr0(tmp_path: Path) -> None:
    sandbox = {"name": "sr0", "label": "MAILLAB-DVD", "mountpoint": "/media/cdrom",
               "fstype": "ext4", "type": "rom"}
    result = run("dvd_mounted", dvd_ctx(tmp_path, "/dev/sr0 /media/cdrom ext4 ro,relatime 0 0\n",
                                        sandbox))
    assert result.status is Status.PASS
    assert "/media/cdrom" in text(result)


def test_dvd_inserted_but_not_mounted(tmp_path: Path) -> None:
    unmounted = {**SR0, "mountpoint": None}
    result = run("dvd_mounted", dvd_ctx(tmp_path, "", unmounted))
    assert code(result) == "dvd.not-mounted"
    assert "mount -o ro /dev/sr0" in text(result)


def test_dvd_no_disc(tmp_path: Path) -> None:
    empty = {"name": "sr0", "label": None, "mountpoint": None, "fstype": None, "type": "rom"}
    assert code(run("dvd_mounted", dvd_ctx(tmp_path, "", empty))) == "dvd.no-disc"
    assert code(run("dvd_mounted", dvd_ctx(tmp_path, ""))) == "dvd.no-disc"


# ----------------------------------------------------------------------------- package origin

DPKG = ("dpkg-query", "-W", "-f=${Status} ${Version}", "s-nail")
INSTALLED = (0, "install ok installed 14.9.24-2", "")
FROM_FILE = """Start-Date: 2026-11-28  18:20:01
Commandline: apt-get install -y --reinstall /media/cdrom/pool/main/s/s-nail/s-nail_14.9.24-2_amd64.deb
Requested-By: admin (1000)
Reinstall: s-nail:amd64 (14.9.24-2)
End-Date: 2026-11-28  18:20:03
"""  # noqa: E501 (apt writes one long line)
FROM_REPO = """Start-Date: 2026-11-28  17:02:11
Commandline: apt-get install postfix sasl2-bin libsasl2-modules s-nail
Requested-By: admin (1000)
Install: postfix:amd64 (3.7.11-0+deb12u1), s-nail:amd64 (14.9.24-2), sasl2-bin:amd64 (2.1.28+dfsg-10), libsasl2-modules:amd64 (2.1.28+dfsg-10, automatic)
End-Date: 2026-11-28  17:02:30
"""  # noqa: E501 (apt writes one long line)


def apt_ctx(tmp_path: Path, history: str, dpkg_log: str = "",
            status: tuple[int, str, str] = INSTALLED) -> Context:
    apt = tmp_path / "var/log/apt"
    apt.mkdir(parents=True, exist_ok=True)
    (apt / "history.log").write_text(history)
    if dpkg_log:
        (tmp_path / "var/log/dpkg.log").write_text(dpkg_log)
    return make_ctx(tmp_path, {DPKG: status})


def test_package_from_a_deb_file(tmp_path: Path) -> None:
    result = run("package_from_file", apt_ctx(tmp_path, FROM_REPO + "\n" + FROM_FILE),
                 name="s-nail")
    assert result.status is Status.PASS, text(result)
    assert "s-nail_14.9.24-2_amd64.deb" in text(result)


def test_package_from_the_repository(tmp_path: Path) -> None:
    result = run("package_from_file", apt_ctx(tmp_path, FROM_REPO), name="s-nail")
    assert code(result) == "package.from-repository"
    assert "apt-get install postfix" in text(result)


def test_package_with_dpkg_i_after_apt(tmp_path: Path) -> None:
    dpkg_log = ("2026-11-28 17:02:25 install s-nail:amd64 <none> 14.9.24-2\n"
                "2026-11-28 18:30:00 upgrade s-nail:amd64 14.9.24-2 14.9.24-2\n")
    result = run("package_from_file", apt_ctx(tmp_path, FROM_REPO, dpkg_log), name="s-nail")
    assert result.status is Status.PASS
    assert "dpkg" in text(result)
    during_apt = "2026-11-28 17:02:25 install s-nail:amd64 <none> 14.9.24-2\n"
    assert code(run("package_from_file", apt_ctx(tmp_path, FROM_REPO, during_apt),
                    name="s-nail")) == "package.from-repository"


def test_package_history_in_a_rotated_log(tmp_path: Path) -> None:
    ctx = apt_ctx(tmp_path, "")
    with gzip.open(tmp_path / "var/log/apt/history.log.1.gz", "wt") as handle:
        handle.write(FROM_FILE)
    assert run("package_from_file", ctx, name="s-nail").status is Status.PASS


def test_package_not_installed(tmp_path: Path) -> None:
    ctx = apt_ctx(tmp_path, "", status=(1, "", "dpkg-query: no packages found matching s-nail"))
    assert code(run("package_from_file", ctx, name="s-nail")) == "package.not-installed"


DNF = ("dnf", "-q", "--disablerepo=*", "info", "--installed", "s-nail")
DNF_INFO = """Installed Packages
Name         : s-nail
Version      : 14.9.22
Release      : 6.el9
Architecture : x86_64
Size         : 1.1 M
Source       : s-nail-14.9.22-6.el9.src.rpm
Repository   : @System
From repo    : {repo}
Summary      : Environment for sending and receiving mail, providing functionality of POSIX mailx
URL          : https://www.sdaoden.eu/code.html
License      : ISC and BSD with advertising and BSD
Description  : Mail is a mail processing system with a command syntax reminiscent of ed
             : with lines replaced by messages.
"""


def test_rpm_from_commandline() -> None:
    ctx = make_ctx(table={DNF: (0, DNF_INFO.format(repo="@commandline"), "")},
                   platform="almalinux9")
    result = run("package_from_file", ctx, name="s-nail")
    assert result.status is Status.PASS
    assert "@commandline" in text(result)


def test_rpm_from_appstream() -> None:
    ctx = make_ctx(table={DNF: (0, DNF_INFO.format(repo="appstream"), "")},
                   platform="almalinux9")
    result = run("package_from_file", ctx, name="s-nail")
    assert code(result) == "package.from-repository"
    assert "appstream" in text(result) and "dnf reinstall" in text(result)


def test_rpm_not_installed() -> None:
    ctx = make_ctx(table={DNF: (1, "", "Error: No matching Packages to list\n")},
                   platform="almalinux9")
    assert code(run("package_from_file", ctx, name="s-nail")) == "package.not-installed"


@pytest.mark.parametrize("platform", ["almalinux9", "debian12"])
def test_package_from_file_without_the_tool(platform: str) -> None:
    ctx = make_ctx(platform=platform, missing=("dnf", "dpkg-query"))
    assert run("package_from_file", ctx, name="s-nail").status is Status.ERROR
