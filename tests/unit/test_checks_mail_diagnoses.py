"""The diagnosis catalogue of the mail checks, its table, and the parsers behind the checks."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from maillab_tui.checking.api import load_library
from maillab_tui.checking.sysparse import parse_firewall_zones, parse_lsblk, parse_mounts
from maillab_tui.mail.clients import (
    parse_mail_url,
    parse_muttrc,
    parse_prefs_js,
    thunderbird_profile,
)
from maillab_tui.mail.delivery import parse_delivery
from maillab_tui.mail.diagnoses import CATALOGUE, diagnose
from maillab_tui.mail.maillog import known_problems
from maillab_tui.mail.patterns import PATTERNS
from maillab_tui.mail.sessions import Reply
from tests.conftest import ROOT

MAIL_MODULES = ("smtp", "imap_pop", "delivery", "dns", "firewall", "saslauthd", "thunderbird",
                "dvd", "diagnose", "files", "users", "services", "logs")


def _sources() -> str:
    texts = [(ROOT / "checks" / f"{m}.py").read_text(encoding="utf-8") for m in MAIL_MODULES]
    texts += [(ROOT / "maillab_tui/mail" / f"{m}.py").read_text(encoding="utf-8")
              for m in ("net", "sessions", "mbox", "maillog", "peers")]
    return "\n".join(texts)


def test_the_table_in_checks_diagnose_lists_exactly_the_catalogue() -> None:
    doc = (ROOT / "checks/diagnose.py").read_text(encoding="utf-8")
    table = re.findall(r"^\| ([a-z0-9]+\.[a-z0-9-]+) \|", doc, re.MULTILINE)
    assert len(table) == len(set(table)), "a code is listed twice"
    assert set(table) == set(CATALOGUE)


def test_every_code_in_the_sources_is_in_the_catalogue_and_none_is_dead() -> None:
    prefixes = {code.split(".")[0] for code in CATALOGUE}
    quoted = set(re.findall(r'"([a-z0-9]+\.[a-z0-9-]+)"', _sources()))
    codes = {q for q in quoted if q.split(".")[0] in prefixes and not q.endswith((".py", ".jp"))}
    codes |= {pattern.code for pattern in PATTERNS if pattern.finding}  # the checks' log findings
    assert codes - set(CATALOGUE) == set()
    assert set(CATALOGUE) - codes == set(), "catalogue entries no check raises"


def test_every_message_is_bilingual_and_an_unknown_field_stays_visible() -> None:
    for code, entry in CATALOGUE.items():
        assert entry.ja and entry.en, code
        assert re.search(r"[ぁ-んァ-ヶ一-龥]", entry.ja), f"{code}: no Japanese"
    filled = diagnose("postfix.inet-interfaces", address="192.168.56.101", port=25)
    assert "inet_interfaces = localhost, 192.168.56.101" in filled.suggestion
    partial = diagnose("postfix.inet-interfaces")
    assert "{address}" in partial.suggestion


def test_the_library_loads_the_mail_checks_with_documented_parameters() -> None:
    library = load_library()
    assert not [p for p in library.problems if "checks/" in p]
    for name in ("smtp_banner", "smtp_auth_offered", "smtp_auth", "smtp_relay_denied",
                 "smtp_relay_after_auth", "smtp_accepts_mail", "imap_login", "pop3_login",
                 "mail_delivered", "mail_log_delivery", "dns_record", "firewall_service",
                 "port_reachable", "saslauthd_ok", "thunderbird_account", "mail_client_account",
                 "thunderbird_seen", "mail_client_seen", "dvd_mounted", "package_from_file",
                 "mail_log_clean"):
        definition = library.get(name)
        assert definition is not None, name
        assert "timeout" not in definition.params, f"{name}: timeout is the chapter's retry key"
        assert all(p.doc for p in definition.params.values()), name


# ----------------------------------------------------------------------------- parsers


def test_firewall_zone_headers() -> None:
    text = "public (default, active)\n  interfaces: eth0\n  services: ssh smtp\n  ports: \n" \
           "dmz\n  services: ssh\n"
    zones = parse_firewall_zones(text)
    assert [z.name for z in zones] == ["public", "dmz"]
    assert zones[0].active and zones[0].default and zones[0].allows("smtp")
    assert not zones[1].active and not zones[1].allows("imap")


def test_prefs_js_values_and_escapes() -> None:
    prefs = parse_prefs_js(
        'user_pref("a.b", "say \\"hi\\"");\nuser_pref("n", 25);\nuser_pref("t", true);\n'
        '// user_pref("c", 1);\n')
    assert prefs == {"a.b": 'say "hi"', "n": 25, "t": True}


def test_profiles_ini_default_profile_without_install_section() -> None:
    ini = "[Profile0]\nName=a\nIsRelative=1\nPath=a.default\n\n[Profile1]\nName=b\n" \
          "IsRelative=1\nPath=b.default\nDefault=1\n"
    base = PurePosixPath("/home/u/.thunderbird")
    assert thunderbird_profile(ini, base) == base / "b.default"
    assert thunderbird_profile("garbage", base) is None


def test_muttrc_forms() -> None:
    settings = parse_muttrc(
        "set folder=imap://u@h/ # comment\nset imap_user = 'u'  smtp_url =\"smtp://u@h\"\n"
        "unset ssl_starttls\nset noimap_passive\n")
    assert settings["folder"] == "imap://u@h/"
    assert settings["imap_user"] == "u" and settings["smtp_url"] == "smtp://u@h"
    assert settings["ssl_starttls"] == "no" and settings["imap_passive"] == "no"
    url = parse_mail_url("imaps://user1@mail.example1.jp/INBOX")
    assert url is not None and url.port == 993 and url.user == "user1"
    assert parse_mail_url("+INBOX") is None


def test_lsblk_mountpoints_and_children() -> None:
    text = ('{"blockdevices":[{"name":"sda","children":[{"name":"sda1","mountpoints":'
            '[null,"/boot"]}]},{"name":"sr0","type":"rom","label":"X DVD"}]}')
    devices = parse_lsblk(text)
    assert [(d.path, d.mountpoint) for d in devices] == [("/dev/sda", ""), ("/dev/sda1", "/boot"),
                                                         ("/dev/sr0", "")]
    assert parse_lsblk("not json") == []


def test_proc_mounts_escapes() -> None:
    mounts = parse_mounts("/dev/sr0 /run/media/admin/My\\040DVD iso9660 ro 0 0\n")
    assert mounts[0].mountpoint == "/run/media/admin/My DVD"


def test_delivery_line_with_orig_to_and_instance_name() -> None:
    line = ("2026-11-28T18:14:06.123456+09:00 mail postfix-a/local[9]: 1A: to=<u@d>, "
            "orig_to=<root>, relay=local, delay=0.1, delays=0/0/0/0, dsn=2.0.0, "
            "status=sent (delivered to mailbox)")
    delivery = parse_delivery(line)
    assert delivery is not None and delivery.agent == "local" and delivery.to == "u@d"
    assert parse_delivery("postfix/qmgr[1]: 1A: removed") is None


def test_known_problems_first_per_code() -> None:
    lines = ['postfix/smtpd[1]: warning: unknown smtpd restriction: "reject_anouth_destination"',
             'postfix/smtpd[2]: warning: unknown smtpd restriction: "x"']
    found = known_problems(lines)
    assert len(found) == 1 and found[0].values["restriction"] == "reject_anouth_destination"


def test_reply_shows_multiline() -> None:
    reply = Reply(250, ("mail.example1.jp", "AUTH PLAIN LOGIN"))
    assert reply.shown() == ["250-mail.example1.jp", "250 AUTH PLAIN LOGIN"]
