"""The `port_listening` check: something listens on a TCP (or UDP) port, from `ss -H -l`.

Process names in `ss` output need root for other users' sockets: without root the check
still passes or fails on the address, and only says that the process is not visible.
"""

from __future__ import annotations

from maillab_tui.check import Context, Diagnosis, Result, check, error, failed, passed, t
from maillab_tui.checking.probes import Listener, parse_ss, tool_missing

_ANY = ("", "any", "*")


def _shown(listener: Listener) -> str:
    """The address:port as ss writes it, with the process names when visible."""
    host = f"[{listener.address}]" if ":" in listener.address else listener.address
    names = ",".join(listener.processes)
    return f"{host}:{listener.port}" + (f" ({names})" if names else "")


@check(
    "port_listening",
    "ポートで待ち受けている（address を指定すればそのアドレスで） / "
    "Something listens on a port (on the given address, if any).",
)
def port_listening(ctx: Context, port: int, address: str = "any", proto: str = "tcp") -> Result:
    """Parse `ss -H -ltnp`; pass when a listener on `port` accepts connections to `address`.

    Parameters:
        port: the port number, e.g. 25 or 143
        address: the address a client connects to (default any; 0.0.0.0 and :: accept every address)
        proto: tcp or udp
    """
    if proto not in ("tcp", "udp"):
        return error(t(f"proto は tcp か udp です（{proto}）",
                       f"proto must be tcp or udp, not {proto}"))
    flag = "-ltnp" if proto == "tcp" else "-lunp"
    proc = ctx.run(["ss", "-H", flag])
    problem = tool_missing(proc, "iproute2")
    if problem is not None:
        return problem
    if proc.returncode != 0:
        return error(t("ss が失敗しました", "ss failed"), proc.output.splitlines()[-5:])
    on_port = [x for x in parse_ss(proc.stdout) if x.port == port]
    wanted = (address or "any").strip().strip("[]")
    good = on_port if wanted in _ANY else [x for x in on_port if x.accepts(wanted)]
    where = f" port {port}" if wanted in _ANY else f" {wanted}:{port}"
    where_ja = f" ポート {port}" if wanted in _ANY else f" {wanted}:{port}"
    if good:
        names = sorted({n for x in good for n in x.processes})
        if names:
            note = t(f"（プロセス: {', '.join(names)}）", f" (process: {', '.join(names)})")
        elif not ctx.root:
            note = t("（プロセス名の表示には root が必要です）", " (process names need root)")
        else:
            note = t("", "")
        return passed(
            t(f"{proto}{where_ja} で待ち受けています{note.ja}",
              f"listening on {proto}{where}{note.en}"),
            [x.line for x in good],
        )
    if not on_port:
        return failed(
            t(f"{proto} ポート {port} で何も待ち受けていません",
              f"nothing listens on {proto} port {port}"),
            f"ss -H {flag}: no listener on port {port}",
            Diagnosis("port.not-listening",
                      t("そのポートで待ち受けるサービスがありません。"
                        "サービスが起動していない？ 設定でポートが無効？",
                        "no service listens there: is it running? "
                        "Is the port enabled in its configuration?"),
                      "sudo ss -ltnp"),
        )
    lines = [x.line for x in on_port]
    if all(x.loopback for x in on_port):
        return failed(
            t(f"ポート {port} は {', '.join(_shown(x) for x in on_port)} だけで待ち受けています"
              "（自分自身からしか接続できません）",
              f"port {port} listens only on {', '.join(_shown(x) for x in on_port)} "
              "(reachable from this machine only)"),
            lines,
            Diagnosis("port.loopback-only",
                      t("ループバックだけで待ち受けています。"
                        "Postfix なら inet_interfaces、Dovecot なら listen の設定と、"
                        "変更後の再起動（reload ではなく restart）を確認してください。",
                        "it listens on loopback only: check inet_interfaces (Postfix) or listen "
                        "(Dovecot), and restart (not reload) after changing it."),
                      "postconf inet_interfaces"),
        )
    return failed(
        t(f"ポート {port} は {wanted} では待ち受けていません"
          f"（{', '.join(_shown(x) for x in on_port)}）",
          f"port {port} does not listen on {wanted} "
          f"(only {', '.join(_shown(x) for x in on_port)})"),
        lines,
        Diagnosis("port.other-address",
                  t(f"別のアドレスで待ち受けています。{wanted} がこのマシンのアドレスか、"
                    "inet_interfaces / listen の設定を確認してください。",
                    f"it listens on another address: is {wanted} this machine's address? "
                    "Check inet_interfaces / listen."),
                  "ip -4 addr show"),
    )
