"""Which lab host is which: the values of the server a probe talks to and of the other one.
"""

from __future__ import annotations

from maillab_tui.checking.api import Context, Result, error, t


def hostname_recipient(ctx: Context, recipient: str) -> tuple[str, str] | None:
    """(host-name domain, suggested address) when `recipient` is at a server's host name.

    `user1@mail.example1.jp` is at host1's name: the mail domain is example1.jp, so the
    suggested address is user1@example1.jp (the textbook's From: gets replied to like this).
    """
    local, _, domain = recipient.rpartition("@")
    domain = domain.lower()
    pairs = [(ctx.value("fqdn"), ctx.value("domain")),
             (ctx.value("peer_fqdn"), ctx.value("peer_domain"))]
    for fqdn, mail_domain in pairs:
        if fqdn and mail_domain and domain == fqdn.lower():
            return domain, f"{local}@{mail_domain}"
    parent = domain.split(".", 1)[1] if domain.count(".") >= 2 else ""
    if parent and parent in {ctx.value("domain").lower(), ctx.value("peer_domain").lower()}:
        return domain, f"{local}@{parent}"
    return None


def server_values(ctx: Context, host: str) -> dict[str, str]:
    """The chapter values of the server at `host`: the peer's when `host` names the peer."""
    peer = {ctx.value("peer_address"), ctx.value("peer_fqdn")} - {""}
    if host in peer:
        return {"fqdn": ctx.value("peer_fqdn"), "domain": ctx.value("peer_domain"),
                "user": ctx.value("peer_user"), "address": ctx.value("peer_address")}
    return {"fqdn": ctx.value("fqdn"), "domain": ctx.value("domain"), "user": ctx.value("user"),
            "address": ctx.value("address")}


def other_values(ctx: Context, host: str) -> dict[str, str]:
    """The chapter values of the server that is NOT at `host` (the other lab host)."""
    peer = {ctx.value("peer_address"), ctx.value("peer_fqdn")} - {""}
    if host in peer:
        return {"fqdn": ctx.value("fqdn"), "domain": ctx.value("domain"),
                "user": ctx.value("user"), "address": ctx.value("address")}
    return {"fqdn": ctx.value("peer_fqdn"), "domain": ctx.value("peer_domain"),
            "user": ctx.value("peer_user"), "address": ctx.value("peer_address")}


def credentials(ctx: Context, host: str, user: str | None, password: str | None,
                wrong: bool = False) -> tuple[str, str] | Result:
    """The login name and password a probe of the server at `host` uses: the parameters,
    else that server's user and the chapter's password (`wrong`: a made-up wrong password,
    unless one is given); the error naming what is missing when either is empty."""
    login = user or server_values(ctx, host)["user"]
    if wrong:
        secret = password or "maillab-wrong-" + (ctx.value("password") or "password")[::-1]
    else:
        secret = password if password is not None else ctx.value("password")
    if not login or not secret:
        return error(t("ユーザー名かパスワードがありません（user / password）",
                       "no user or password (user / password)"))
    return login, secret
