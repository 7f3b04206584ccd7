"""The `dns_record` check: an A or MX record resolves (to the expected value) from this machine.

It asks the DNS server this machine uses (/etc/resolv.conf), or `server`, with
`dig +noall +comments +answer +stats`, which shows the status (NOERROR, NXDOMAIN, SERVFAIL)
and the server that answered; without dig it uses `host -t TYPE`, and for an A record
without either, the system resolver (getaddrinfo, which also reads /etc/hosts). Postfix
delivers by DNS (smtp_host_lookup = dns): /etc/hosts does not help it, which is why the
MX and A records themselves are checked. For an MX record the target's A record is checked
too.

Diagnoses: dns.unreachable (timeout), dns.missing-record (NXDOMAIN, or no record of that
type), dns.wrong-record, dns.servfail (SERVFAIL / REFUSED), dns.mx-target-missing.
"""

from __future__ import annotations

from maillab_tui.check import Context, Result, check, error, failed, passed, t
from maillab_tui.mail.diagnoses import diagnose
from maillab_tui.mail.dns import DnsAnswer, mx_target, parse_dig, parse_host, same_name
from maillab_tui.mail.net import Unreachable, io_seconds, resolve


def _nameserver(ctx: Context) -> str:
    """The first nameserver in /etc/resolv.conf, or ""."""
    try:
        text = ctx.path("/etc/resolv.conf").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            return fields[1]
    return ""


def _query(ctx: Context, name: str, rtype: str, server: str | None,
           seconds: float) -> tuple[DnsAnswer, str] | Result:
    """Ask dig (else host, else getaddrinfo for A); the answer and the command shown."""
    at = [f"@{server}"] if server else []
    wait = max(1, round(seconds))
    argv = ["dig", "+noall", "+comments", "+answer", "+stats", f"+time={wait}", "+tries=1",
            name, rtype, *at]
    proc = ctx.run(argv, timeout=seconds * 2 + 5)
    if not proc.missing:
        return parse_dig(proc.output, rtype), f"dig {name} {rtype}{' ' + at[0] if at else ''}"
    argv = ["host", "-W", str(wait), "-t", rtype, name, *([server] if server else [])]
    proc = ctx.run(argv, timeout=seconds * 2 + 5)
    if not proc.missing:
        return parse_host(proc.output, rtype), " ".join(argv)
    if rtype == "A" and not server:
        try:
            addresses = [a for a in resolve(name, seconds) if ":" not in a]
        except Unreachable as exc:
            status = "TIMEOUT" if exc.kind == "name-again" else "NXDOMAIN"
            return DnsAnswer(status), f"getaddrinfo({name})"
        return DnsAnswer("NOERROR", tuple(addresses)), f"getaddrinfo({name})"
    return error(t("dig も host もありません（AlmaLinux: bind-utils、Debian: bind9-dnsutils を"
                   "インストールしてください）",
                   "neither dig nor host is installed (bind-utils on AlmaLinux, "
                   "bind9-dnsutils on Debian)"))


def _matches(rtype: str, records: tuple[str, ...], expect: str) -> bool:
    """True when one record is the expected value (an MX by its target, or `10 target`)."""
    for record in records:
        if rtype == "MX":
            if same_name(mx_target(record), expect) or \
                    " ".join(record.split()).rstrip(".") == " ".join(expect.split()).rstrip("."):
                return True
        elif record.strip() == expect.strip() or same_name(record, expect):
            return True
    return False


@check(
    "dns_record",
    "DNS の A / MX レコードが引ける（expect の値である） / "
    "A DNS A or MX record resolves (to the expected value).",
)
def dns_record(ctx: Context, name: str, type: str = "A", expect: str | None = None,
               server: str | None = None, io_timeout: float = 3.0) -> Result:
    """Look the record up and compare; an MX's target must have an A record too.

    Parameters:
        name: the name to look up, e.g. example2.jp
        type: A or MX
        expect: the address (A) or the mail server's name (MX) expected
        server: ask this DNS server instead of the one in /etc/resolv.conf
        io_timeout: seconds to wait for the DNS server
    """
    rtype = type.upper()
    if rtype not in ("A", "MX"):
        return error(t(f"type は A か MX です（{type}）", f"type must be A or MX, not {type}"))
    seconds = io_seconds(io_timeout, 3.0)
    got = _query(ctx, name, rtype, server, seconds)
    if isinstance(got, Result):
        return got
    answer, command = got
    shown_server = answer.server or server or _nameserver(ctx)
    evidence = [f"{command}: {answer.status}", *answer.records,
                *([f"SERVER: {shown_server}"] if shown_server else [])]
    if answer.timed_out:
        named = f"（{shown_server}）" if shown_server else ""
        return failed(t(f"DNS サーバー{named}が応答しません",
                        f"the DNS server{f' ({shown_server})' if shown_server else ''} does not "
                        "answer"),
                      evidence,
                      diagnose("dns.unreachable", name=name, type=rtype,
                               server=f"（{shown_server}）" if shown_server else ""))
    if answer.status in ("SERVFAIL", "REFUSED"):
        zone = name if rtype == "MX" else name.split(".", 1)[-1]
        return failed(t(f"{name} の問い合わせに {answer.status} が返りました",
                        f"the query for {name} got {answer.status}"),
                      evidence, diagnose("dns.servfail", status=answer.status, zone=zone))
    if answer.status not in ("NOERROR", "NXDOMAIN"):
        return error(t(f"DNS の応答を読めません（{answer.status}）",
                       f"cannot read the DNS answer ({answer.status})"), evidence)
    if not answer.records:
        status = answer.status if answer.status == "NXDOMAIN" else f"{answer.status}, 0 件"
        return failed(t(f"{name} の {rtype} レコードがありません（{answer.status}）",
                        f"{name} has no {rtype} record ({answer.status})"),
                      evidence,
                      diagnose("dns.missing-record", name=name, type=rtype, status=status))
    if expect and not _matches(rtype, answer.records, expect):
        actual = ", ".join(answer.records)
        return failed(t(f"{name} の {rtype} レコードが {actual} です（期待 {expect}）",
                        f"{name} {rtype} is {actual}, expected {expect}"),
                      evidence,
                      diagnose("dns.wrong-record", name=name, type=rtype, actual=actual,
                               expected=expect))
    if rtype == "MX":
        for record in answer.records:
            target = mx_target(record)
            if expect and not same_name(target, expect) and not _matches("MX", (record,), expect):
                continue
            sub = _query(ctx, target, "A", server, seconds)
            if isinstance(sub, Result):
                break
            target_answer, target_command = sub
            evidence.append(f"{target_command}: {target_answer.status} "
                            f"{' '.join(target_answer.records)}".rstrip())
            if not target_answer.timed_out and not target_answer.records:
                return failed(t(f"MX の {target} に A レコードがありません",
                                f"the MX target {target} has no A record"),
                              evidence, diagnose("dns.mx-target-missing", name=name, target=target))
            break
    return passed(t(f"{name} の {rtype} レコード: {', '.join(answer.records)}",
                    f"{name} {rtype}: {', '.join(answer.records)}"), evidence)
