"""The `saslauthd_ok` check: saslauthd runs and accepts the user's password, where smtpd can ask.

`testsaslauthd -u USER -p PASS -s smtp` asks saslauthd as Postfix does (PAM service smtp):
`0: OK "Success."` or `0: NO "authentication failed"`. Its socket is /run/saslauthd/mux
(AlmaLinux, Debian's default /var/run/saslauthd/mux); on Debian, where smtpd runs chrooted
in /var/spool/postfix, the socket must be inside the chroot
(/var/spool/postfix/var/run/saslauthd/mux): both paths are tried, and when smtpd is
chrooted (`postconf -M smtp/inet`, column 5 is `y`) the chroot socket must exist.

Needs root (testsaslauthd needs access to the socket). The password is passed on
testsaslauthd's command line (it has no other way) but never shown in the evidence.

Diagnoses: saslauthd.not-running, saslauthd.auth-failed, saslauthd.unreachable.
"""

from __future__ import annotations

from maillab_tui.check import Context, Param, Result, check, error, failed, passed, t
from maillab_tui.maildiag import diagnose
from maillab_tui.probes import mask, tool_missing

CHROOT_SOCKET = "/var/spool/postfix/var/run/saslauthd/mux"
_SOCKET_TROUBLE = ("connect()", "No such file or directory", "Connection refused")


def _smtpd_chrooted(ctx: Context) -> bool:
    """True when master.cf runs smtp/inet chrooted (Debian's default)."""
    proc = ctx.run(["postconf", "-M", "smtp/inet"], timeout=10)
    fields = proc.stdout.split()
    # service type private unpriv chroot wakeup maxproc command: `-` means n since Postfix 3.0.
    return proc.ok and len(fields) >= 5 and fields[4] == "y"


@check(
    "saslauthd_ok",
    "saslauthd が起動していて、ユーザーのパスワードを確認できる（testsaslauthd） / "
    "saslauthd runs and accepts the user's password (testsaslauthd).",
    {
        "user": Param(str, doc="the login name (default: this host's user)"),
        "password": Param(str, doc="the password (default: the chapter variable password)"),
        "service": Param(str, default="smtp", doc="the PAM service testsaslauthd names (-s)"),
    },
    needs_root=True,
)
def saslauthd_ok(ctx: Context, user: str | None = None, password: str | None = None,
                 service: str = "smtp") -> Result:
    """systemctl is-active saslauthd, then testsaslauthd on the standard and chroot sockets."""
    login = user or ctx.value("user")
    secret = password if password is not None else ctx.value("password")
    if not login or not secret:
        return error(t("ユーザー名かパスワードがありません（user / password）",
                       "no user or password (user / password)"))
    secrets = [*ctx.secrets, secret]
    state_proc = ctx.run(["systemctl", "is-active", "saslauthd"], timeout=10)
    state = state_proc.stdout.strip().splitlines()[0] if state_proc.stdout.strip() else ""
    evidence = [f"systemctl is-active saslauthd: {state or state_proc.output or '?'}"]
    if not state_proc.missing and state != "active":
        return failed(t(f"saslauthd が起動していません（{state or 'inactive'}）",
                        f"saslauthd is not running ({state or 'inactive'})"),
                      evidence, diagnose("saslauthd.not-running", state=state or "inactive"))
    chrooted = _smtpd_chrooted(ctx)
    results: dict[str, str] = {}
    for socket_path in (None, CHROOT_SOCKET):
        argv = ["testsaslauthd", "-u", login, "-p", secret, "-s", service]
        if socket_path:
            argv += ["-f", socket_path]
        proc = ctx.run(argv, timeout=15)
        problem = tool_missing(proc, "sasl2-bin / cyrus-sasl")
        if problem is not None:
            return problem
        output = mask(proc.output, secrets)
        shown = f"testsaslauthd -u {login} -p ******** -s {service}" + \
            (f" -f {socket_path}" if socket_path else "")
        evidence.append(f"{shown}: {output}")
        results[socket_path or "standard"] = output
        if 'NO "' in output:
            return failed(t(f"saslauthd が {login} を認証できません", f"saslauthd rejects {login}"),
                          evidence, diagnose("saslauthd.auth-failed", user=login))
        if 'OK "Success."' in output and not socket_path and not chrooted:
            return passed(t(f"saslauthd が {login} を認証しました", f"saslauthd accepts {login}"),
                          evidence)
        if 'OK "Success."' in output and socket_path:
            return passed(t(f"saslauthd が {login} を認証しました"
                            "（postfix の chroot 内のソケット）",
                            f"saslauthd accepts {login} (socket inside postfix's chroot)"),
                          evidence)
    if chrooted and 'OK "Success."' in results.get("standard", ""):
        evidence.append(f"postconf -M smtp/inet: chroot = y; {CHROOT_SOCKET}: no socket")
        return failed(t("saslauthd は動いていますが、chroot された smtpd からソケットが見えません",
                        "saslauthd works, but the chrooted smtpd cannot see its socket"),
                      evidence, diagnose("saslauthd.unreachable"))
    if any(s in text for text in results.values() for s in _SOCKET_TROUBLE):
        return failed(t("saslauthd のソケットに接続できません",
                        "cannot connect to saslauthd's socket"),
                      evidence, diagnose("saslauthd.unreachable"))
    return error(t("testsaslauthd の出力を読めません", "cannot read testsaslauthd's output"),
                 evidence)
