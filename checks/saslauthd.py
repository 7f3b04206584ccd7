"""The `saslauthd_ok` check: saslauthd runs and accepts the user's password, where smtpd can ask.

The check asks saslauthd on its socket as Postfix does (PAM service smtp), speaking the
protocol testsaslauthd speaks: four counted strings (user, password, service, realm), each
after a 2-byte length in network order; the answer is one counted string whose first word is
the verdict, `OK` or `NO` (a reason may follow; testsaslauthd prints `0: OK "Success."`).
Talking to the socket itself keeps the password off every command line (testsaslauthd
takes it as `-p`). The socket is /run/saslauthd/mux (AlmaLinux; Debian's /var/run is /run);
on Debian, where smtpd runs chrooted in /var/spool/postfix, the
socket must be inside the chroot (/var/spool/postfix/var/run/saslauthd/mux): both paths are
tried, and when smtpd is chrooted (`postconf -M smtp/inet`, column 5 is `y`) the chroot socket
must exist.

Needs root (the socket's directory is root:sasl 710). The password is never shown.

Diagnoses: saslauthd.not-running, saslauthd.auth-failed, saslauthd.unreachable.
"""

from __future__ import annotations

import socket
import struct

from maillab_tui.check import Context, Result, check, error, failed, passed, t
from maillab_tui.checking.probes import mask
from maillab_tui.mail.diagnoses import diagnose
from maillab_tui.mail.peers import credentials

STANDARD_SOCKET = "/run/saslauthd/mux"
CHROOT_SOCKET = "/var/spool/postfix/var/run/saslauthd/mux"
_SOCKET_TROUBLE = ("connect()", "No such file or directory", "Connection refused")
TIMEOUT = 15.0


def ask_saslauthd(path: str, login: str, password: str, service: str, realm: str = "",
                  timeout: float = TIMEOUT) -> str:
    """saslauthd's answer on the socket at `path` (`OK`, `NO ...`), or what went
    wrong in testsaslauthd's words (`connect() : No such file or directory`)."""
    request = b"".join(struct.pack("!H", len(part)) + part for part in (
        login.encode(), password.encode(), service.encode(), realm.encode()))
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(path)
            conn.sendall(request)
            head = _read(conn, 2)
            answer = _read(conn, struct.unpack("!H", head)[0])
    except TimeoutError:
        return f"Timeout ({timeout:.0f} secs) waiting for server response"
    except OSError as exc:
        return f"connect() : {exc.strerror or exc}"
    except (struct.error, ValueError):
        return "short answer from saslauthd"
    return answer.decode("utf-8", "replace")


def _says(answer: str, word: str) -> bool:
    """saslauthd's verdict is the answer's first word: OK or NO (a reason may follow)."""
    return answer.split()[:1] == [word]


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ValueError("closed")
        data += chunk
    return data


def _smtpd_chrooted(ctx: Context) -> bool:
    """True when master.cf runs smtp/inet chrooted (Debian's default)."""
    proc = ctx.run(["postconf", "-M", "smtp/inet"], timeout=10)
    fields = proc.stdout.split()
    # service type private unpriv chroot wakeup maxproc command: `-` means n since Postfix 3.0.
    return proc.ok and len(fields) >= 5 and fields[4] == "y"


@check(
    "saslauthd_ok",
    "saslauthd が起動していて、ユーザーのパスワードを確認できる（ソケットに問い合わせる） / "
    "saslauthd runs and accepts the user's password (asked on its socket).",
    needs_root=True,
)
def saslauthd_ok(ctx: Context, user: str | None = None, password: str | None = None,
                 service: str = "smtp") -> Result:
    """systemctl is-active saslauthd, then ask it on the standard and chroot sockets.

    Parameters:
        user: the login name (default: this host's user)
        password: the password (default: the chapter variable password)
        service: the PAM service asked for (testsaslauthd's -s)
    """
    given = credentials(ctx, ctx.value("address"), user, password)
    if isinstance(given, Result):
        return given
    login, secret = given
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
        where = socket_path or STANDARD_SOCKET
        output = mask(ask_saslauthd(str(ctx.path(where)), login, secret, service), secrets)
        evidence.append(f"saslauthd {where} (user {login}, service {service}): {output}")
        results[socket_path or "standard"] = output
        if _says(output, "NO"):
            return failed(t(f"saslauthd が {login} を認証できません", f"saslauthd rejects {login}"),
                          evidence, diagnose("saslauthd.auth-failed", user=login))
        if _says(output, "OK") and not socket_path and not chrooted:
            return passed(t(f"saslauthd が {login} を認証しました", f"saslauthd accepts {login}"),
                          evidence)
        if _says(output, "OK") and socket_path:
            return passed(t(f"saslauthd が {login} を認証しました"
                            "（postfix の chroot 内のソケット）",
                            f"saslauthd accepts {login} (socket inside postfix's chroot)"),
                          evidence)
    if chrooted and _says(results.get("standard", ""), "OK"):
        evidence.append(f"postconf -M smtp/inet: chroot = y; {CHROOT_SOCKET}: no socket")
        return failed(t("saslauthd は動いていますが、chroot された smtpd からソケットが見えません",
                        "saslauthd works, but the chrooted smtpd cannot see its socket"),
                      evidence, diagnose("saslauthd.unreachable"))
    if any(s in text for text in results.values() for s in _SOCKET_TROUBLE):
        return failed(t("saslauthd のソケットに接続できません",
                        "cannot connect to saslauthd's socket"),
                      evidence, diagnose("saslauthd.unreachable"))
    return error(t("saslauthd の答えを読めません", "cannot read saslauthd's answer"), evidence)
