"""Account checks: a user exists (getent passwd) and has a password set (/etc/shadow)."""

from __future__ import annotations

from maillab_tui.check import Context, Result, check, error, failed, passed, t
from maillab_tui.checking.probes import permission_denied, tool_missing
from maillab_tui.mail.diagnoses import diagnose


def _no_user(user: str, evidence: str) -> Result:
    """The failure for an account that does not exist."""
    return failed(
        t(f"ユーザー {user} がいません", f"there is no user {user}"),
        evidence,
        diagnose("user.missing", user=user),
    )


@check(
    "user_exists",
    "ローカルのユーザーアカウントが存在する / A local user account exists.",
)
def user_exists(ctx: Context, user: str) -> Result:
    """Look the account up with `getent passwd`; the evidence is its passwd line.

    Parameters:
        user: the login name
    """
    proc = ctx.run(["getent", "passwd", user])
    problem = tool_missing(proc)
    if problem is not None:
        return problem
    line = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""
    if proc.returncode == 0 and line.startswith(f"{user}:"):
        return passed(t(f"ユーザー {user} がいます", f"user {user} exists"), line)
    return _no_user(user, f"getent passwd {user}: exit {proc.returncode}")


@check(
    "password_set",
    "ユーザーにパスワードが設定されている（/etc/shadow を読むので root が必要） / "
    "A user has a password set (reads /etc/shadow: needs root).",
    needs_root=True,
)
def password_set(ctx: Context, user: str) -> Result:
    """Read the user's /etc/shadow entry: `!`, `*` or empty means no usable password.

    The evidence never shows the hash, only its scheme (`$y$` yescrypt, `$6$` SHA-512).

    Parameters:
        user: the login name
    """
    try:
        with ctx.path("/etc/shadow").open(encoding="utf-8", errors="replace") as handle:
            entry = next((line.rstrip("\n") for line in handle
                          if line.startswith(f"{user}:")), None)
    except PermissionError:
        return permission_denied("/etc/shadow", ctx.platform)
    except FileNotFoundError:
        return error(t("/etc/shadow がありません", "there is no /etc/shadow"))
    if entry is None:
        return _no_user(user, f"/etc/shadow: no entry for {user}")
    field = entry.split(":")[1] if entry.count(":") >= 1 else ""
    if field in ("", "*", "!", "!!", "!*", "*!"):
        return failed(
            t(f"ユーザー {user} にパスワードが設定されていません", f"user {user} has no password"),
            f"{user}:{field}:…",
            diagnose("user.no-password", user=user),
        )
    scheme = field.lstrip("!")
    scheme = scheme[: scheme.index("$", 1) + 1] if scheme.startswith("$") and "$" in scheme[1:] \
        else "(des)"
    if field.startswith("!"):
        return failed(
            t(f"ユーザー {user} のパスワードがロックされています",
              f"user {user}'s password is locked"),
            f"{user}:!{scheme}…",
            diagnose("user.password-locked", user=user),
        )
    return passed(t(f"ユーザー {user} にパスワードが設定されています",
                    f"user {user} has a password"),
                  f"{user}:{scheme}…（ハッシュは非表示 / hash hidden）")
