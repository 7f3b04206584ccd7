"""Sandbox pieces that need no root: chapter values, mirror discovery, DNS records, CLI errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from maillab_tui.cli import sandbox as cli
from maillab_tui.sandbox import lab_hosts, preflight
from maillab_tui.sandbox.mirror import find_mirror
from maillab_tui.sandbox.network import dns_record, dnsmasq_argv, mac
from maillab_tui.sandbox.topology import lab_name
from maillab_tui.sandbox.util import SandboxError


def test_lab_hosts_from_the_chapter() -> None:
    net = lab_hosts()
    assert str(net.subnet) == "192.168.56.0/24"
    assert net.dns == "192.168.56.53"
    h1, h2 = net.host("host1"), net.host("host2")
    assert (h1.fqdn, h1.domain, h1.address, h1.user) == (
        "mail.example1.jp", "example1.jp", "192.168.56.101", "user1")
    assert (h2.fqdn, h2.address) == ("mail.example2.jp", "192.168.56.102")
    assert net.host("mail.example2.jp") == h2
    with pytest.raises(SandboxError, match="no lab host"):
        net.host("host3")


def test_mirror_from_deb822_and_one_line_sources(tmp_path: Path) -> None:
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n"
    )
    (d / "other.list.disabled").write_text("deb http://elsewhere.example/debian bookworm main\n")
    (d / "vendor.list").write_text("deb [arch=amd64] https://vendor.example/apt stable contrib\n")
    mirror = find_mirror(tmp_path)
    assert mirror.archive == "http://mirror.example/debian"
    assert mirror.security == "http://mirror.example/debian-security"
    assert "deb http://mirror.example/debian bookworm main" in mirror.sources_list()

    one = tmp_path / "one"
    one.mkdir()
    (one / "sources.list").write_text(
        "# comment\ndeb http://ftp.example.jp/debian/ bookworm main contrib\n"
        "deb http://security.example/debian-security bookworm-security main\n"
    )
    mirror = find_mirror(one)
    assert mirror.archive == "http://ftp.example.jp/debian"
    assert mirror.security == "http://security.example/debian-security"

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SandboxError, match="no Debian mirror"):
        find_mirror(empty)


def test_dns_records(tmp_path: Path) -> None:
    argv = dnsmasq_argv(lab_hosts(), tmp_path / "log")
    assert "--no-resolv" in argv and "--listen-address=192.168.56.53" in argv
    assert "--local=/example1.jp/" in argv and "--local=/example2.jp/" in argv
    assert "--host-record=mail.example2.jp,192.168.56.102" in argv
    assert "--mx-host=example2.jp,mail.example2.jp,10" in argv


def test_hidden_dns_records_are_left_out(tmp_path: Path) -> None:
    argv = dnsmasq_argv(lab_hosts(), tmp_path / "log", ["MX example2.jp", "A mail.example1.jp"])
    assert "--mx-host=example2.jp,mail.example2.jp,10" not in argv
    assert "--host-record=mail.example1.jp,192.168.56.101" not in argv
    assert "--mx-host=example1.jp,mail.example1.jp,10" in argv
    assert "--local=/example2.jp/" in argv  # still authoritative: the name has no record
    assert dns_record(lab_hosts(), "mx", "Example2.jp.") == ("MX", "example2.jp",
                                                             "10 mail.example2.jp")
    with pytest.raises(SandboxError, match=r"no A record for example2\.jp"):
        dns_record(lab_hosts(), "A", "example2.jp")


def test_lab_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILLAB_LAB", raising=False)
    assert lab_name() == "maillab"
    monkeypatch.setenv("MAILLAB_LAB", "lab2")
    assert lab_name() == "lab2"
    monkeypatch.setenv("MAILLAB_LAB", "Bad name!")
    with pytest.raises(SandboxError, match="invalid lab name"):
        lab_name()


def test_cli_explains_instead_of_tracebacks(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(preflight.os, "geteuid", lambda: 1000)
    assert cli.main(["up"]) == 1
    err = capsys.readouterr().err
    assert "needs root" in err and "sudo" in err and "Traceback" not in err

    monkeypatch.setattr(preflight.os, "geteuid", lambda: 0)
    monkeypatch.setattr(preflight, "which", lambda tool: None)
    assert cli.main(["up"]) == 1
    err = capsys.readouterr().err
    assert "systemd-container" in err and "apt-get install" in err

    assert cli.main(["exec", "host1"]) == 2
    assert "no command" in capsys.readouterr().err


def test_a_hosts_mac_address_follows_from_its_ip_address() -> None:
    assert mac("192.168.56.101") == "02:00:c0:a8:38:65"
    assert mac("192.168.56.102") != mac("192.168.56.101")
