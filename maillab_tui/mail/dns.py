"""Reading `dig` and `host` answers: the status, the records and which server answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --------------------------------------------------------------------------- DNS


@dataclass(frozen=True)
class DnsAnswer:
    """What a DNS query returned: the status, the records' data, the server that answered."""

    status: str  # NOERROR, NXDOMAIN, SERVFAIL, REFUSED ... or TIMEOUT
    records: tuple[str, ...] = ()
    server: str = ""

    @property
    def timed_out(self) -> bool:
        """True when no server answered."""
        return self.status == "TIMEOUT"


_DIG_STATUS = re.compile(r"->>HEADER<<-.*status: ([A-Z]+)")
_DIG_SERVER = re.compile(r"^;; SERVER: ([^#\s]+)", re.MULTILINE)
_DIG_TIMEOUT = ("connection timed out", "no servers could be reached",
                "communications error")


def parse_dig(text: str, rtype: str) -> DnsAnswer:
    """`dig +noall +comments +answer +stats NAME TYPE` output as a `DnsAnswer`.

    Answer lines are `example2.jp. 3600 IN MX 10 mail.example2.jp.`; only records of `rtype`
    count (a CNAME on the way is skipped).
    """
    server_match = _DIG_SERVER.search(text)
    server = server_match.group(1) if server_match else ""
    status_match = _DIG_STATUS.search(text)
    if status_match is None:
        if any(s in text for s in _DIG_TIMEOUT):
            return DnsAnswer("TIMEOUT", (), server)
        return DnsAnswer("UNKNOWN", (), server)
    records: list[str] = []
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        fields = line.split()
        if len(fields) >= 5 and fields[2] == "IN" and fields[3] == rtype.upper():
            records.append(" ".join(fields[4:]))
    return DnsAnswer(status_match.group(1), tuple(records), server)


def parse_host(text: str, rtype: str) -> DnsAnswer:
    """`host -t TYPE NAME` output as a `DnsAnswer` (the fallback when dig is missing)."""
    if any(s in text for s in _DIG_TIMEOUT):
        return DnsAnswer("TIMEOUT")
    found = re.search(r"not found: \d+\((\w+)\)", text)
    if found:
        return DnsAnswer(found.group(1))
    records: list[str] = []
    for line in text.splitlines():
        if rtype.upper() == "MX":
            mx = re.search(r"mail is handled by (\d+) (\S+)", line)
            if mx:
                records.append(f"{mx.group(1)} {mx.group(2)}")
        else:
            a = re.search(r"has address (\S+)", line)
            if a:
                records.append(a.group(1))
    return DnsAnswer("NOERROR", tuple(records))


def same_name(a: str, b: str) -> bool:
    """True when two DNS names are equal, ignoring case and a trailing dot."""
    return a.rstrip(".").lower() == b.rstrip(".").lower()


def mx_target(record: str) -> str:
    """The host of an MX record's data `10 mail.example2.jp.` (without the trailing dot)."""
    parts = record.split()
    return parts[-1].rstrip(".") if parts else ""
