"""Postfix's delivery lines (`to=<...>, relay=..., status=sent|deferred|bounced (reason)`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --------------------------------------------------------------------------- Postfix delivery

_DELIVERY = re.compile(
    r"postfix[^/\s\[]*/(?P<agent>[\w-]+)\[\d+\]: (?P<queue_id>[0-9A-Za-z]+): "
    r"to=<(?P<to>[^>]*)>,(?: orig_to=<[^>]*>,)? relay=(?P<relay>[^,]+),"
    r".*? dsn=(?P<dsn>[\d.]+), status=(?P<status>\w+) \((?P<reason>.*)\)\s*$"
)


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt logged by Postfix: to=<...>, relay=..., status=... (reason)."""

    queue_id: str
    agent: str
    to: str
    relay: str
    dsn: str
    status: str
    reason: str
    line: str

    @property
    def relay_host(self) -> str:
        """The relay's name: `mail.example2.jp` of `mail.example2.jp[192.168.56.102]:25`."""
        return self.relay.split("[", 1)[0]

    @property
    def relay_address(self) -> str:
        """The relay's address: `192.168.56.102` of `mail.example2.jp[192.168.56.102]:25`."""
        found = re.search(r"\[([^\]]+)\]", self.relay)
        return found.group(1) if found else ""


def parse_delivery(line: str) -> Delivery | None:
    """The delivery record in a Postfix log line, or None."""
    found = _DELIVERY.search(line)
    if not found:
        return None
    return Delivery(found.group("queue_id"), found.group("agent"), found.group("to"),
                    found.group("relay"), found.group("dsn"), found.group("status"),
                    found.group("reason"), line)
