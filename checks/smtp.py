"""SMTP checks: talk to a Postfix server the way a client or another MTA does, and stop short.

Every check here connects to `host`:`port` (default: this host's address, port 25), reads
the 220 greeting, says EHLO, and goes on one command and one reply at a time (Postfix rejects
pipelined blind dialogues). None of them sends a message: they stop at RCPT TO and end with
RSET and QUIT. Passwords never appear in the evidence (the transcript shows ********).

`from_address` binds the client socket to one of this machine's addresses, to probe as a
given client would. Remember that a probe from the server itself is trusted by mynetworks:
relay and AUTH behaviour must be tested from the other host (`host: "{{ peer_address }}"`).

- smtp_banner: the server greets with 220 naming its fqdn and answers EHLO
  (postfix.myhostname).
- smtp_auth_offered: EHLO offers AUTH PLAIN or LOGIN (postfix.sasl-disabled,
  postfix.auth-needs-tls, sasl.no-mechanisms).
- smtp_auth: AUTH succeeds with the password (235), or with `expect: failure` fails with a
  wrong one (535) (smtp.auth-failed, saslauthd.unreachable, smtp.auth-too-lenient).
- smtp_relay_denied: an unauthenticated client cannot relay to a foreign domain
  (postfix.open-relay, postfix.mynetworks-peer, postfix.unknown-restriction).
- smtp_relay_after_auth: after AUTH the server relays to the other domain
  (postfix.sasl-not-permitted).
- smtp_accepts_mail: the server accepts mail for its own user from the other host, as the
  other MTA will (postfix.unknown-restriction, postfix.mydestination, mail.unknown-user).

Connection codes (all checks): postfix.not-running, postfix.inet-interfaces, firewall.closed,
net.timeout, net.unreachable, dns.missing-record, dns.unreachable, smtp.slow-banner,
postfix.smtpd-closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from maillab_tui.check import Context, Result, check, error, failed, passed, t, takes_params_of
from maillab_tui.mail.diagnoses import diagnose, mail_log_hint
from maillab_tui.mail.dns import same_name
from maillab_tui.mail.maillog import sasl_install_hint
from maillab_tui.mail.net import (
    Unreachable,
    connect,
    default_host,
    io_seconds,
    is_local_address,
    unreachable_result,
    where,
)
from maillab_tui.mail.peers import credentials, other_values, server_values
from maillab_tui.mail.sessions import Reply, SmtpClosed, SmtpSession, smtp_closed_result

_COMMON = {
    "host": "the server's name or address (default: this host's address)",
    "port": "the SMTP port",
    "from_address": "bind the client to this local address (probe as that client)",
    "io_timeout": "seconds to wait for each connect and reply",
}
_CREDENTIALS = {
    "user": "the login name (default: the user of the server's host)",
    "password": "the password (default: the chapter variable password)",
    "mechanism": "PLAIN or LOGIN (default: PLAIN when offered)",
}
_RELAY_DENIED = re.compile(r"Relay access denied", re.IGNORECASE)


class _Stop(Exception):
    """A probe ended early with this result."""

    def __init__(self, result: Result) -> None:
        super().__init__("stop")
        self.result = result


def _helo(ctx: Context) -> str:
    """The name the probe says EHLO with."""
    return ctx.value("fqdn") or "maillab-probe.localdomain"


def _session(ctx: Context, host: str, port: int, from_address: str | None,
             seconds: float) -> tuple[SmtpSession, str, Reply]:
    """Connect, read the greeting and say EHLO; `_Stop` with the failure when that fails."""
    try:
        sock, address = connect(host, port, seconds, from_address)
    except Unreachable as exc:
        raise _Stop(unreachable_result(ctx, exc, "smtp", host, port, seconds)) from exc
    session = SmtpSession(sock, _helo(ctx), ctx.secrets)
    client = sock.getsockname()[0]
    shown = where(host, address)
    session.transcript.append(f"# {client} -> {address}:{port}")
    stage = "greeting"
    try:
        greeting = session.greeting()
        if greeting.code != 220:
            session.close()
            raise _Stop(failed(
                t(f"{shown} の挨拶が 220 ではありません: {greeting}",
                  f"{shown} did not greet with 220: {greeting}"),
                session.transcript,
                diagnose("smtp.unexpected-reply", reply=str(greeting),
                         log=mail_log_hint(ctx.platform)),
            ))
        stage = "ehlo"
        reply = session.ehlo()
    except SmtpClosed as exc:
        session.close()
        raise _Stop(smtp_closed_result(ctx, exc, shown, seconds, client, session.transcript,
                                       at_greeting=stage == "greeting")) from exc
    if reply.code != 250:
        session.close()
        raise _Stop(failed(t(f"EHLO が断られました: {reply}", f"EHLO was refused: {reply}"),
                           session.transcript,
                           diagnose("smtp.unexpected-reply", reply=str(reply),
                                    log=mail_log_hint(ctx.platform))))
    return session, address, greeting


def _probe(ctx: Context, host: str, port: int, from_address: str | None, seconds: float,
           body: Callable[[SmtpSession, str, Reply], Result]) -> Result:
    """Open a session, run `body`, and always end with RSET/QUIT."""
    try:
        session, address, greeting = _session(ctx, host, port, from_address, seconds)
    except _Stop as stop:
        return stop.result
    try:
        return body(session, address, greeting)
    except _Stop as stop:
        return stop.result
    except SmtpClosed as exc:
        return smtp_closed_result(ctx, exc, where(host, address), seconds, "", session.transcript,
                                  at_greeting=False)
    finally:
        session.close()


def _unexpected(ctx: Context, what: str, reply: Reply, transcript: list[str]) -> Result:
    """The failure for a reply none of the known causes explains."""
    return failed(t(f"{what}: 想定外の応答 {reply}", f"{what}: unexpected reply {reply}"),
                  transcript,
                  diagnose("smtp.unexpected-reply", reply=str(reply),
                           log=mail_log_hint(ctx.platform)))


def _why_no_auth(ctx: Context, session: SmtpSession) -> Result:
    """The failure for an EHLO without usable AUTH: ask AUTH anyway to learn why."""
    offered = session.auth_mechanisms()
    if offered:
        return failed(
            t(f"AUTH は提示されていますが PLAIN / LOGIN がありません（{' '.join(offered)}）",
              f"AUTH is offered without PLAIN / LOGIN ({' '.join(offered)})"),
            session.transcript,
            diagnose("sasl.no-mechanisms", install=sasl_install_hint(ctx.platform)),
        )
    reply = session.command("AUTH LOGIN")
    if reply.code == 334:
        session.command("*")  # cancel the exchange we started
    if reply.code in (530, 538) or "encryption" in reply.text.lower() or \
            "STARTTLS" in reply.text:
        return failed(t("AUTH は STARTTLS のあとでしか使えません",
                        "AUTH is only available after STARTTLS"),
                      session.transcript, diagnose("postfix.auth-needs-tls"))
    return failed(t("EHLO の応答に AUTH がありません（SMTP 認証が無効です）",
                    "EHLO offers no AUTH (SMTP authentication is off)"),
                  session.transcript, diagnose("postfix.sasl-disabled"))


def _mechanism(session: SmtpSession, wanted: str | None) -> str | None:
    """The mechanism to use: the one asked for if offered, else PLAIN, else LOGIN."""
    offered = session.auth_mechanisms()
    if wanted:
        return wanted.upper() if wanted.upper() in offered else None
    return next((m for m in ("PLAIN", "LOGIN") if m in offered), None)


def _authenticate(ctx: Context, session: SmtpSession, user: str, password: str,
                  mechanism: str | None) -> Reply:
    """AUTH with the chosen mechanism; `_Stop` when AUTH is not usable at all."""
    chosen = _mechanism(session, mechanism)
    if chosen is None:
        if session.auth_mechanisms() and mechanism:
            raise _Stop(failed(
                t(f"{mechanism} は提示されていません（{' '.join(session.auth_mechanisms())}）",
                  f"{mechanism} is not offered ({' '.join(session.auth_mechanisms())})"),
                session.transcript,
                diagnose("sasl.no-mechanisms", install=sasl_install_hint(ctx.platform))))
        raise _Stop(_why_no_auth(ctx, session))
    return session.auth(user, password, chosen)


def _auth_failure(ctx: Context, reply: Reply, user: str, transcript: list[str]) -> Result:
    """The failure for an AUTH that did not succeed, by its reply code."""
    if reply.code == 454 or "Temporary authentication failure" in reply.text:
        return failed(t(f"SMTP 認証が一時的なエラーになりました: {reply}",
                        f"SMTP AUTH failed temporarily: {reply}"),
                      transcript, diagnose("saslauthd.unreachable"))
    if reply.code == 535:
        return failed(t(f"ユーザー {user} の SMTP 認証が失敗しました: {reply}",
                        f"SMTP AUTH as {user} failed: {reply}"),
                      transcript, diagnose("smtp.auth-failed", user=user))
    if reply.code == 503:
        return failed(t(f"SMTP 認証が有効ではありません: {reply}",
                        f"SMTP AUTH is not enabled: {reply}"),
                      transcript, diagnose("postfix.sasl-disabled"))
    if reply.code in (530, 538):
        return failed(t(f"AUTH には暗号化が必要と言われました: {reply}",
                        f"AUTH requires encryption: {reply}"),
                      transcript, diagnose("postfix.auth-needs-tls"))
    if reply.code == 504:
        return failed(t(f"その認証方式は使えません: {reply}", f"mechanism refused: {reply}"),
                      transcript,
                      diagnose("sasl.no-mechanisms", install=sasl_install_hint(ctx.platform)))
    return _unexpected(ctx, "AUTH", reply, transcript)


_Body = Callable[[SmtpSession, str, Reply], Result]
_Plan = _Body | Result


@dataclass(frozen=True)
class _Login:
    """The login parameters of a check that authenticates, as given (None: the default)."""

    user: str | None
    password: str | None
    mechanism: str | None


def _with_login(plan: Callable[..., _Plan]) -> Callable[..., _Plan]:
    """`plan` (context, server, `_Login`, its own parameters) with the login parameters."""

    def with_login(ctx: Context, target: str, user: str | None = None,
                   password: str | None = None, mechanism: str | None = None,
                   **own: object) -> _Plan:
        return plan(ctx, target, _Login(user, password, mechanism), **own)

    return takes_params_of(with_login, plan, skip=3)


def _smtp_check(name: str, description: str, login: bool = False,
                ) -> Callable[[Callable[..., _Plan]], Callable[..., Result]]:
    """Declare an SMTP check. The function takes the context, the server (`host` filled in),
    with `login` the `_Login` (user, password, mechanism), and its own parameters; it returns
    what to do in the session (`body`), or a Result when its parameters are wrong. The
    session's parameters (host, port, from_address, io_timeout) are added here, the same for
    every SMTP check, before the function's own."""

    def declare(plan: Callable[..., _Plan]) -> Callable[..., Result]:
        if login:
            plan = _with_login(plan)

        def run(ctx: Context, host: str | None = None, port: int = 25,
                from_address: str | None = None, io_timeout: float = 5.0,
                **own: object) -> Result:
            target = default_host(ctx, host)
            body = plan(ctx, target, **own)
            if isinstance(body, Result):
                return body
            return _probe(ctx, target, port, from_address, io_seconds(io_timeout), body)

        return check(name, description, docs={**_COMMON, **(_CREDENTIALS if login else {})})(
            takes_params_of(run, plan, skip=2))

    return declare


@_smtp_check(
    "smtp_banner",
    "SMTP サーバーが 220 で挨拶して自分の FQDN を名乗り、EHLO に答える / "
    "The SMTP server greets with 220 naming its fqdn and answers EHLO.",
)
def smtp_banner(ctx: Context, target: str,
                fqdn: str | None = None) -> _Plan:
    """Read the 220 greeting and the EHLO reply; both name the server (myhostname).

    Parameters:
        fqdn: the name the greeting must carry (default: the server's fqdn)
    """
    expected = fqdn or server_values(ctx, target)["fqdn"]

    def body(session: SmtpSession, address: str, greeting: Reply) -> Result:
        named = greeting.lines[0].split()[0] if greeting.lines and greeting.lines[0] else ""
        if expected and not same_name(named, expected):
            return failed(t(f"挨拶が {named or '(名前なし)'} を名乗っています（期待 {expected}）",
                            f"the greeting names {named or '(nothing)'}, expected {expected}"),
                          session.transcript,
                          diagnose("postfix.myhostname", actual=named or "?", expected=expected))
        return passed(t(f"{where(target, address)} が {named} として挨拶し、EHLO に答えました",
                        f"{where(target, address)} greets as {named} and answers EHLO"),
                      session.transcript)

    return body


@_smtp_check(
    "smtp_auth_offered",
    "EHLO の応答で SMTP 認証（AUTH PLAIN / LOGIN）が提示される / "
    "EHLO offers SMTP authentication (AUTH PLAIN or LOGIN).",
)
def smtp_auth_offered(ctx: Context, target: str) -> _Plan:
    """Look for `250-AUTH PLAIN LOGIN` in the EHLO reply; without it, ask why."""

    def body(session: SmtpSession, address: str, greeting: Reply) -> Result:
        offered = session.auth_mechanisms()
        usable = [m for m in ("PLAIN", "LOGIN") if m in offered]
        if not usable:
            return _why_no_auth(ctx, session)
        return passed(t(f"AUTH {' '.join(offered)} が提示されています",
                        f"AUTH {' '.join(offered)} is offered"), session.transcript)

    return body


@_smtp_check(
    "smtp_auth",
    "SMTP 認証が正しいパスワードで成功する（expect: failure なら、間違ったパスワードで失敗する） / "
    "SMTP AUTH succeeds with the password (with expect failure: fails with a wrong one).",
    login=True,
)
def smtp_auth(ctx: Context, target: str, auth: _Login, expect: str = "success") -> _Plan:
    """AUTH PLAIN (or LOGIN) and judge the reply: 235, 535, or 454 (saslauthd).

    Parameters:
        expect: success (235 with the right password) or failure (535 with a wrong one; without
            password a made-up wrong one is used)
    """
    if expect not in ("success", "failure"):
        return error(t(f"expect は success か failure です（{expect}）",
                       f"expect must be success or failure, not {expect}"))
    given = credentials(ctx, target, auth.user, auth.password, wrong=expect == "failure")
    if isinstance(given, Result):
        return given
    login, secret = given
    mechanism = auth.mechanism

    def body(session: SmtpSession, address: str, greeting: Reply) -> Result:
        reply = _authenticate(ctx, session, login, secret, mechanism)
        if expect == "success":
            if reply.code == 235:
                return passed(t(f"{login} で SMTP 認証に成功しました（235）",
                                f"SMTP AUTH as {login} succeeded (235)"), session.transcript)
            return _auth_failure(ctx, reply, login, session.transcript)
        if reply.code == 235:
            return failed(t("間違ったパスワードで SMTP 認証に成功してしまいました",
                            "SMTP AUTH succeeded with a wrong password"),
                          session.transcript, diagnose("smtp.auth-too-lenient"))
        if reply.code == 535:
            return passed(t(f"間違ったパスワードでは SMTP 認証が失敗します（{reply.code}）",
                            f"SMTP AUTH with a wrong password fails ({reply.code})"),
                          session.transcript)
        return _auth_failure(ctx, reply, login, session.transcript)

    return body


def _mail_from(ctx: Context, session: SmtpSession, sender: str) -> None:
    """MAIL FROM; `_Stop` when it is not accepted."""
    reply = session.command(f"MAIL FROM:<{sender}>")
    if reply.code != 250:
        raise _Stop(_unexpected(ctx, "MAIL FROM", reply, session.transcript))


def _is_unknown_restriction(reply: Reply) -> bool:
    """451 4.3.5 Server configuration error: an unknown restriction name (the typo)."""
    return reply.code == 451 and ("4.3.5" in reply.text or "configuration" in reply.text)


@_smtp_check(
    "smtp_relay_denied",
    "認証していないクライアントからの、よそのドメイン宛ての中継が断られる（454/554 Relay access "
    "denied） / An unauthenticated client cannot relay to a foreign domain.",
)
def smtp_relay_denied(ctx: Context, target: str,
                      sender: str | None = None,
                      recipient: str = "maillab-probe@example.invalid") -> _Plan:
    """MAIL FROM, RCPT TO a foreign domain: expect Relay access denied, never 250.

    Parameters:
        sender: the MAIL FROM address (default: this host's user@domain)
        recipient: a recipient in a domain the server does not serve
    """
    mail_from = sender or f"{ctx.value('user') or 'probe'}@{ctx.value('domain') or 'example.com'}"
    server = server_values(ctx, target)

    def body(session: SmtpSession, address: str, greeting: Reply) -> Result:
        client = session.client.sock.getsockname()[0] if session.client.sock else ""
        _mail_from(ctx, session, mail_from)
        reply = session.command(f"RCPT TO:<{recipient}>")
        if reply.code in (454, 554) and _RELAY_DENIED.search(reply.text):
            return passed(t(f"中継は断られました（{reply.code} Relay access denied）",
                            f"relaying was refused ({reply.code} Relay access denied)"),
                          session.transcript)
        if _is_unknown_restriction(reply):
            return failed(t(f"{where(target, address)} が設定エラーを返しました: {reply}",
                            f"{where(target, address)} answered a configuration error: {reply}"),
                          session.transcript,
                          diagnose("postfix.unknown-restriction", where=server["fqdn"] or target))
        if reply.code in (250, 251):
            if is_local_address(address):
                return error(t(f"サーバー自身（{client}）から試したため mynetworks で信用されて"
                               "います。相手のマシンから試してください（host に相手のアドレス）",
                               f"the probe came from the server itself ({client}), which "
                               "mynetworks trusts: run it from the other host"),
                             session.transcript)
            if client == ctx.value("address") and target in (ctx.value("peer_address"),
                                                             ctx.value("peer_fqdn")):
                return failed(t(f"{target} が {client} からの中継を認証なしで受け付けました",
                                f"{target} relays for {client} without authentication"),
                              session.transcript,
                              diagnose("postfix.mynetworks-peer", server=server["fqdn"] or target,
                                       client=client, server_address=server["address"] or address))
            return failed(t(f"よそのドメイン宛ての中継を受け付けました（オープンリレー）: {reply}",
                            f"relaying to a foreign domain was accepted (open relay): {reply}"),
                          session.transcript, diagnose("postfix.open-relay", client=client))
        return _unexpected(ctx, "RCPT TO", reply, session.transcript)

    return body


@_smtp_check(
    "smtp_relay_after_auth",
    "SMTP 認証すれば、よそのドメイン宛ての中継を受け付ける（RCPT TO が 250） / "
    "After SMTP AUTH the server relays to another domain (RCPT TO gets 250).",
    login=True,
)
def smtp_relay_after_auth(ctx: Context, target: str, auth: _Login, sender: str | None = None,
                          recipient: str | None = None) -> _Plan:
    """AUTH, MAIL FROM, RCPT TO the other domain: expect 250, then RSET and QUIT.

    Parameters:
        sender: the MAIL FROM address (default: user at the server's domain)
        recipient: the recipient (default: the other lab host's user@domain)
    """
    given = credentials(ctx, target, auth.user, auth.password)
    if isinstance(given, Result):
        return given
    login, secret = given
    mechanism = auth.mechanism
    server, other = server_values(ctx, target), other_values(ctx, target)
    mail_from = sender or f"{login}@{server['domain'] or 'example.com'}"
    rcpt = recipient or f"{other['user'] or 'postmaster'}@{other['domain'] or 'example.invalid'}"

    def body(session: SmtpSession, address: str, greeting: Reply) -> Result:
        reply = _authenticate(ctx, session, login, secret, mechanism)
        if reply.code != 235:
            return _auth_failure(ctx, reply, login, session.transcript)
        _mail_from(ctx, session, mail_from)
        reply = session.command(f"RCPT TO:<{rcpt}>")
        if reply.code in (250, 251):
            return passed(t(f"認証後、{rcpt} 宛ての中継を受け付けました（{reply.code}）",
                            f"after AUTH, relaying to {rcpt} is accepted ({reply.code})"),
                          session.transcript)
        if _is_unknown_restriction(reply):
            return failed(t(f"設定エラーが返りました: {reply}", f"a configuration error: {reply}"),
                          session.transcript,
                          diagnose("postfix.unknown-restriction", where=server["fqdn"] or target))
        if _RELAY_DENIED.search(reply.text):
            return failed(t(f"認証したのに中継を断られました: {reply}",
                            f"relaying was refused despite AUTH: {reply}"),
                          session.transcript, diagnose("postfix.sasl-not-permitted"))
        return _unexpected(ctx, "RCPT TO", reply, session.transcript)

    return body


@_smtp_check(
    "smtp_accepts_mail",
    "他のサーバーと同じように認証なしで接続して、サーバー自身のユーザー宛ての RCPT TO が受け付け"
    "られる / The server accepts mail for its own user from an unauthenticated client (as "
    "the other MTA will).",
)
def smtp_accepts_mail(ctx: Context, target: str,
                      sender: str | None = None, recipient: str | None = None) -> _Plan:
    """RCPT TO the server's own user without AUTH: catches the restriction typo (451 4.3.5).

    Run it from the other host: from the server itself permit_mynetworks accepts before the
    misspelt restriction is ever evaluated.

    Parameters:
        sender: the MAIL FROM address (default: the other lab host's user)
        recipient: the local recipient (default: the server's user@domain)
    """
    server, other = server_values(ctx, target), other_values(ctx, target)
    rcpt = recipient or f"{server['user'] or 'postmaster'}@{server['domain'] or target}"
    mail_from = sender or f"{other['user'] or 'probe'}@{other['domain'] or 'example.com'}"

    def body(session: SmtpSession, address: str, greeting: Reply) -> Result:
        _mail_from(ctx, session, mail_from)
        reply = session.command(f"RCPT TO:<{rcpt}>")
        if reply.code in (250, 251):
            if is_local_address(address):
                return error(t("サーバー自身から試したため permit_mynetworks で受け付けられ、制限の"
                               "誤りは分かりません。相手のマシンから試してください（host に相手の"
                               "アドレス）",
                               "the probe came from the server itself, which permit_mynetworks "
                               "accepts before any misspelt restriction: run it from the other "
                               "host"), session.transcript)
            return passed(t(f"{rcpt} 宛てのメールを受け付けます（{reply.code}）",
                            f"mail for {rcpt} is accepted ({reply.code})"), session.transcript)
        if _is_unknown_restriction(reply):
            return failed(t(f"設定エラーが返りました: {reply}", f"a configuration error: {reply}"),
                          session.transcript,
                          diagnose("postfix.unknown-restriction", where=server["fqdn"] or target))
        if _RELAY_DENIED.search(reply.text):
            domain = rcpt.rpartition("@")[2]
            return failed(t(f"{rcpt} を自分宛てとして受け取りません: {reply}",
                            f"{rcpt} is not taken as local: {reply}"),
                          session.transcript,
                          diagnose("postfix.mydestination", server=server["fqdn"] or target,
                                   domain=domain))
        if reply.code == 550 and ("unknown" in reply.text.lower() or "5.1.1" in reply.text):
            return failed(t(f"{rcpt} というユーザーがいません: {reply}",
                            f"there is no user {rcpt}: {reply}"),
                          session.transcript,
                          diagnose("mail.unknown-user", recipient=rcpt,
                                   local_part=rcpt.partition("@")[0]))
        return _unexpected(ctx, "RCPT TO", reply, session.transcript)

    return body
