"""The mail log as the checks read it: the lines since a time (file, else the journal),
the lines that name a known cause (from the one pattern table in `mail.patterns`), and
what a Postfix `status=deferred/bounced (reason)` means.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from maillab_tui.checking.api import Context, Diagnosis, Param, Result, error, t
from maillab_tui.checking.probes import log_lines_since, permission_denied, tool_missing
from maillab_tui.mail.delivery import Delivery
from maillab_tui.mail.diagnoses import diagnose, mail_log_hint
from maillab_tui.mail.patterns import known
from maillab_tui.mail.peers import hostname_recipient
from maillab_tui.platform import find_mail_log, journal_denied

# --------------------------------------------------------------------------- the mail log

_MAX_LINES = 50_000


@dataclass
class MailLog:
    """Mail log lines since a time and where they came from."""

    lines: list[str]
    source: str
    deliveries: list[Delivery] = field(default_factory=list)


SINCE_STEP_OR_ALL = Param(str, default="step",
                          doc='"step" (since the step started) or "all" (the whole log)')
"""The `since` parameter of a check that reads the mail log from the step's start or whole."""


def read_mail_log_from(ctx: Context, since: str) -> MailLog | Result:
    """The mail log since the step started (`since="step"`) or whole (`"all"`); anything else
    is an error result naming the two choices."""
    if since not in ("step", "all"):
        return error(t(f"since は step か all です（{since}）",
                       f"since must be step or all, not {since}"))
    return read_mail_log(ctx, ctx.since if since == "step" else None)


def read_mail_log(ctx: Context, since: float | None) -> MailLog | Result:
    """The mail log lines since `since`: the platform's file, else the journal's mail facility.

    At most the last 50,000 lines. Without the right to read, the standard permission error.
    """
    found = find_mail_log(ctx.platform, ctx.files_root)
    if found is not None:
        shown = "/" + str(found.relative_to(ctx.files_root)).lstrip("/")
        try:
            lines = list(deque(log_lines_since(found, since), maxlen=_MAX_LINES))
        except PermissionError:
            return permission_denied(shown, ctx.platform, log=True)
        return MailLog(lines, shown)
    argv = ["journalctl", "--no-pager", "-o", "short"]
    if since is not None:
        argv += ["--since", f"@{int(since)}"]
    argv.append("SYSLOG_FACILITY=2")
    proc = ctx.run(argv, timeout=30)
    problem = tool_missing(proc)
    if problem is not None:
        return error(t("メールログのファイルがなく、journalctl も使えません",
                       "there is no mail log file and journalctl cannot be used"), proc.output)
    if journal_denied(proc.output):
        return permission_denied("the journal", ctx.platform, log=True)
    lines = [x for x in proc.stdout.splitlines() if x and not x.startswith("-- ")]
    return MailLog(lines[-_MAX_LINES:], "journalctl SYSLOG_FACILITY=2")


@dataclass(frozen=True)
class Finding:
    """A log line that names a known cause, and the diagnosis for it."""

    code: str
    line: str
    values: Mapping[str, str] = field(default_factory=dict)


def known_problems(lines: Iterable[str]) -> list[Finding]:
    """Every line naming a known cause (a `finding` of the pattern table), first one per code,
    in log order."""
    seen: set[str] = set()
    out: list[Finding] = []
    for line in lines:
        found = known(line)
        if found is None or not found[0].finding or found[0].code in seen:
            continue
        pattern, match = found
        seen.add(pattern.code)
        out.append(Finding(pattern.code, line, {k: v for k, v in match.groupdict().items() if v}))
    return out


def finding_diagnosis(finding: Finding, ctx: Context) -> Diagnosis:
    """The diagnosis for a log finding, with this host's values filled in."""
    values: dict[str, object] = {
        "where": ctx.value("fqdn") or ctx.host, "user": ctx.value("user"),
        "log": mail_log_hint(ctx.platform), "seen": finding.line.split(": ", 1)[-1][:120],
        "install": sasl_install_hint(ctx.platform),
    }
    values.update(finding.values)
    return diagnose(finding.code, **values)


def sasl_install_hint(platform: str | None) -> str:
    """How to install the PLAIN/LOGIN SASL mechanisms on this platform (sasl.no-mechanisms)."""
    if platform == "almalinux9":
        return "sudo dnf install cyrus-sasl-plain"
    return "sudo apt-get install libsasl2-modules"




def delivery_diagnosis(ctx: Context, delivery: Delivery) -> Diagnosis:
    """The cause of a deferred or bounced delivery, read from its `(reason)` text."""
    reason = delivery.reason
    recipient = delivery.to
    local, _, domain = recipient.rpartition("@")
    peer = delivery.relay_host if delivery.relay not in ("none", "local") else domain
    peer_match = re.search(r"(?:host|connect to) ([\w.-]+)\[([^\]]+)\]", reason)
    if peer_match:
        peer = peer_match.group(1)
    name_match = re.search(r"name=(\S+) type=(\w+)", reason)
    name, rtype = (name_match.group(1), name_match.group(2)) if name_match else (domain, "MX")
    log = mail_log_hint(ctx.platform)
    hostname = hostname_recipient(ctx, recipient)
    if "4.3.5" in reason or "Server configuration error" in reason:
        return diagnose("postfix.unknown-restriction", where=peer)
    if "Name service error" in reason and "try again" in reason:
        return diagnose("dns.unreachable", name=name, type=rtype, server="")
    if "Host or domain name not found" in reason or "Host not found" in reason:
        return diagnose("dns.missing-record", name=name, type=rtype, status="NXDOMAIN")
    if "Relay access denied" in reason:
        if hostname is not None:
            return diagnose("mail.reply-to-hostname", recipient=recipient, domain=hostname[0],
                            suggested=hostname[1])
        return diagnose("postfix.relay-denied-by-peer", peer=peer, domain=domain)
    if "loops back to myself" in reason:
        if hostname is not None:
            return diagnose("mail.reply-to-hostname", recipient=recipient, domain=hostname[0],
                            suggested=hostname[1])
        return diagnose("postfix.mydestination", server=ctx.value("fqdn") or ctx.host,
                        domain=domain)
    if "No route to host" in reason:
        return diagnose("firewall.closed", where=peer, service="smtp", port=25, zone="public")
    if "Connection refused" in reason:
        return diagnose("postfix.peer-refused", peer=peer)
    if "Connection timed out" in reason or "timed out" in reason:
        return diagnose("net.timeout", where=peer, seconds="30",
                        address=delivery.relay_address or peer)
    if "Network is unreachable" in reason:
        return diagnose("net.unreachable", address=delivery.relay_address or peer)
    if "User unknown" in reason or "unknown user" in reason:
        return diagnose("mail.unknown-user", recipient=recipient, local_part=local)
    code = "mail.bounced" if delivery.status == "bounced" else "mail.deferred"
    return diagnose(code, reason=reason, log=log)
