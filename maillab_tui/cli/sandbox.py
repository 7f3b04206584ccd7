"""`maillab-tui sandbox ...`: the two lab hosts on one machine, for instructors, tests and CI."""

from __future__ import annotations

import argparse
import json
import sys

from maillab_tui.config import INSTALL_MODES
from maillab_tui.sandbox.image import ADMIN_USER
from maillab_tui.sandbox.lab import Lab
from maillab_tui.sandbox.topology import STATE_ROOT
from maillab_tui.sandbox.util import SandboxError

DESCRIPTION = """\
The lab's two hosts (host1, host2) as real Debian 12 systems booted with systemd-nspawn on a
private network with a DNS server, on this machine. Needs root. The image is cached in
$MAILLAB_SANDBOX_CACHE (default /var/cache/maillab-tui); runtime state lives in
/run/maillab-tui/<lab>/. Set MAILLAB_LAB to run a lab under another name (default maillab).
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `maillab-tui sandbox`."""
    parser = argparse.ArgumentParser(
        prog="maillab-tui sandbox", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("up", help="build the image if needed and boot host1 and host2")
    p.add_argument("--fresh", action="store_true", help="throw away the hosts' changes first")
    p.add_argument("--install", choices=INSTALL_MODES, default=None,
                   help="how the hosts get maillab-tui: file (the one file copied in, as a "
                        "student's machine; the default) or tree (this working tree, bound "
                        "read-only: edits show at once). Default: MAILLAB_SANDBOX_INSTALL")

    sub.add_parser("down", help="stop the lab and remove everything it set up")

    p = sub.add_parser("status", help="the hosts and the network")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("shell", help="interactive login shell on a host")
    p.add_argument("host")
    p.add_argument("--user", default=ADMIN_USER, help=f"log in as this user (default {ADMIN_USER})")

    p = sub.add_parser(
        "exec", help="run a command on a host (as root by default)",
        description="Run CMD on HOST, passing stdin/stdout/stderr and the exit code through. "
        "Runs as root with a clean environment (LANG=C.UTF-8) unless --user is given, which "
        "runs it like `su - USER -c CMD`.",
    )
    p.add_argument("host")
    p.add_argument("--user", default=None, help="run as this user (login environment)")
    p.add_argument("-t", "--tty", action="store_true", help="run under a pty inside the host")
    p.add_argument("cmd", nargs="*", help="-- CMD [ARG ...] (put -- before the command)")

    p = sub.add_parser("tui", help=f"run maillab-tui on a host as {ADMIN_USER}")
    p.add_argument("host")

    p = sub.add_parser("reset", help="put a host back to its freshly built state")
    p.add_argument("host")
    p.add_argument("--install", choices=INSTALL_MODES, default=None,
                   help="give it maillab-tui this way from now on (default: as before)")

    p = sub.add_parser("reboot", help="reboot a host as `sudo reboot` does (its changes are kept)",
                       description="Reboot HOST from inside (systemctl reboot) and wait until "
                       "its systemd has settled again: what a learner's reboot does.")
    p.add_argument("host")

    p = sub.add_parser(
        "dns", help="the lab DNS's records: list, hide one, restore",
        description="List the records the lab's DNS server serves, or hide one (as a DNS "
        "server that lacks it would: e.g. `dns hide MX example2.jp`) and restore it. "
        "Hidden records stay hidden across down/up; `up --fresh` restores them.",
    )
    p.add_argument("action", nargs="?", default="list", choices=("list", "hide", "restore"))
    p.add_argument("type", nargs="?", choices=("A", "MX", "a", "mx"), metavar="TYPE",
                   help="A or MX (restore without TYPE NAME restores every record)")
    p.add_argument("name", nargs="?", help="e.g. example2.jp (MX) or mail.example2.jp (A)")
    return parser


def _dns(lab: Lab, action: str, rtype: str | None, name: str | None) -> int:
    if action == "hide" and (rtype is None or name is None):
        print("sandbox dns: hide needs TYPE and NAME (e.g. `dns hide MX example2.jp`)",
              file=sys.stderr)
        return 2
    if action == "hide":
        lab.dns_hide(str(rtype), str(name))
    elif action == "restore":
        lab.dns_restore(rtype, name)
    for rtype_, record, value, served in lab.dns_records():
        print(f"  {rtype_:2} {record:18} {value:20} {'served' if served else 'HIDDEN'}")
    return 0


def _print_status(lab: Lab, as_json: bool) -> int:
    st = lab.status()
    if as_json:
        print(json.dumps(st.as_dict(), indent=2))
        return 0 if st.up else 3
    print(f"lab {st.lab}: {'up' if st.up else 'down'}   image {st.image or '-'}")
    print(f"network {st.subnet}: DNS {st.dns_address} "
          f"{'running' if st.dns_running else 'not running'}; "
          f"namespaces: {', '.join(st.namespaces) or 'none'}")
    for h in st.hosts:
        mem = f"{h.memory_bytes / 2**20:.0f} MiB" if h.memory_bytes is not None else "-"
        line = f"  {h.name:6} {h.fqdn:18} {h.address:15} {h.state:9} memory {mem}"
        if h.failed_units:
            line += f"  failed: {', '.join(h.failed_units)}"
        print(line)
    return 0 if st.up else 3


def main(argv: list[str] | None = None) -> int:
    """Run a sandbox command; returns the exit code (exec passes the command's through)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    tail: list[str] = []
    if argv[:1] == ["exec"] and "--" in argv:
        cut = argv.index("--")
        argv, tail = argv[:cut], argv[cut + 1 :]
    args = build_parser().parse_args(argv)
    try:
        lab = Lab(install=getattr(args, "install", None) if args.command == "up" else None)
        if args.command == "up":
            lab.up(fresh=args.fresh)
            print(lab.summary())
            return 0
        if args.command == "down":
            lab.down()
            print(f"lab {lab.name!r} is down (host changes kept under {STATE_ROOT / lab.name}; "
                  "`up --fresh` discards them)")
            return 0
        if args.command == "status":
            return _print_status(lab, args.json)
        if args.command == "shell":
            return lab.shell(args.host, user=args.user)
        if args.command == "tui":
            return lab.tui(args.host)
        if args.command == "reset":
            lab.reset(args.host, install=args.install)
            return 0
        if args.command == "reboot":
            lab.reboot(args.host)
            return 0
        if args.command == "dns":
            return _dns(lab, args.action, args.type, args.name)
        if args.command == "exec":
            cmd = [*args.cmd, *tail]
            if not cmd:
                print("sandbox exec: no command given (usage: exec HOST -- CMD ...)",
                      file=sys.stderr)
                return 2
            return lab.exec(args.host, cmd, user=args.user, tty=args.tty,
                            capture=False).returncode
    except SandboxError as err:
        print(f"sandbox: error: {err}", file=sys.stderr)
        if err.hint:
            print(f"sandbox: what to do: {err.hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sandbox: interrupted (run `maillab-tui sandbox down` to clean up)", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
