"""Mail client checks: the account settings of Thunderbird (or Mutt), and the server saw it.

`thunderbird_account` finds the default profile through ~/.thunderbird/profiles.ini (an
`[Install...]` `Default=` wins over `[ProfileN]` `Default=1`; paths are relative to the ini
unless `IsRelative=0`) and reads `user_pref("key", value);` lines of prefs.js. Thunderbird
leaves a value out of prefs.js when it equals the default, so absent keys are read as
Thunderbird's defaults (see maillab_tui/mailparse.py: socketType/try_ssl 0 = no security,
authMethod 3 = normal password, port 0/absent = 143 for IMAP, 110 for POP3, 25 for SMTP).
Thunderbird writes prefs.js when settings change and when it exits; a profile with a `lock`
file is in use, and the message says so when the account is missing.

`mail_client_account` accepts either Thunderbird or a terminal client: ~/.muttrc
(also ~/.mutt/muttrc, and NeoMutt's ~/.neomuttrc, ~/.config/neomutt/neomuttrc) with `folder =
imap://HOST:143/`, `imap_user`, `smtp_url = smtp://USER@HOST:25/` — so the step can be done
and checked on a host without a desktop. Mutt's defaults: imap_user is the local login name;
an smtp_url without a user does not authenticate (relay would be refused).

`thunderbird_seen` (also named `mail_client_seen`) reads the mail log since the step started
for what the server saw of a client: `sasl_method=PLAIN, sasl_username=USER` from Postfix
(the client sent with SMTP AUTH) and `imap-login: Login: user=<USER>` from Dovecot.

Reading another user's home needs root (or being that user).

Diagnoses: thunderbird.no-profile, thunderbird.no-account, thunderbird.incoming-protocol,
thunderbird.imap-host, thunderbird.imap-port, thunderbird.imap-user,
thunderbird.imap-security, thunderbird.imap-auth, thunderbird.smtp-host,
thunderbird.smtp-port, thunderbird.smtp-user, thunderbird.smtp-security, thunderbird.smtp-auth,
thunderbird.identity-email, mutt.imap-url, mutt.imap-user, mutt.smtp-url,
mutt.force-tls, client.no-account, client.smtp-not-seen, client.imap-not-seen, and log
causes (smtp.auth-failed, saslauthd.unreachable, dovecot.auth-failed ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from maillab_tui.check import (
    Context,
    Diagnosis,
    Result,
    check,
    denied,
    failed,
    passed,
    t,
    takes_params_of,
)
from maillab_tui.checking.probes import mask
from maillab_tui.mail.clients import (
    AUTH_METHODS,
    SOCKET_TYPES,
    ThunderbirdAccount,
    parse_mail_url,
    parse_muttrc,
    parse_prefs_js,
    thunderbird_accounts,
    thunderbird_profile,
)
from maillab_tui.mail.diagnoses import diagnose, mail_log_hint
from maillab_tui.mail.dns import same_name
from maillab_tui.mail.maillog import MailLog, finding_diagnosis, known_problems, read_mail_log

# Where Thunderbird keeps profiles.ini: the distribution package, then Flatpak and Snap.
_TB_DIRS = (".thunderbird", ".var/app/org.mozilla.Thunderbird/.thunderbird",
            "snap/thunderbird/common/.thunderbird")
_MUTT_FILES = (".muttrc", ".mutt/muttrc", ".neomuttrc", ".config/neomutt/neomuttrc")


@dataclass(frozen=True)
class Expected:
    """The account settings the lab asks for."""

    user: str
    imap_host: str
    imap_port: int
    imap_user: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    email: str
    socket_type: int = 0
    auth_method: int = 3


class _Denied(Exception):
    """A client file could not be read for lack of permission."""


def _home(ctx: Context, user: str, home: str | None) -> str:
    """The user's home directory: the parameter, /etc/passwd of the checked host, /home/USER."""
    if home:
        return home
    try:
        for line in ctx.path("/etc/passwd").read_text(encoding="utf-8", errors="replace") \
                .splitlines():
            fields = line.split(":")
            if len(fields) >= 6 and fields[0] == user:
                return fields[5]
    except OSError:
        pass
    return f"/home/{user}"


def _read(ctx: Context, name: str) -> str | None:
    """A file of the checked host as text; None when absent; `_Denied` when unreadable."""
    try:
        return ctx.path(name).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except PermissionError as exc:
        raise _Denied(name) from exc


def _denied(name: str, user: str) -> Result:
    """The error for a client file we may not read."""
    return denied(t(f"{name} を読む権限がありません。root（sudo maillab-tui）か {user} 本人として"
                   "実行してください。",
                   f"permission denied reading {name}: run as root (sudo maillab-tui) or as "
                   f"{user}."))


def _expected(ctx: Context, user: str | None, imap_host: str | None, imap_port: int,
              smtp_host: str | None, smtp_port: int, email: str | None) -> Expected:
    """The expectations, with this host's chapter values as defaults."""
    login = user or ctx.value("user")
    fqdn = ctx.value("fqdn")
    return Expected(login, imap_host or fqdn, imap_port, login, smtp_host or fqdn, smtp_port,
                    login, email or (f"{login}@{ctx.value('domain')}" if ctx.value("domain")
                                     else ""))


def _name(table: Mapping[int, str], value: int) -> str:
    """A socketType / authMethod number with its name."""
    return f"{table.get(value, '?')} ({value})"


def _account_problems(account: ThunderbirdAccount, want: Expected) -> list[Diagnosis]:
    """Every difference between an account and the expectations, incoming server first."""
    inc = account.incoming
    out: list[Diagnosis] = []
    if inc.type != "imap":
        out.append(diagnose("thunderbird.incoming-protocol", actual=inc.type.upper(),
                            expected="IMAP"))
    if not same_name(inc.hostname, want.imap_host):
        out.append(diagnose("thunderbird.imap-host", actual=inc.hostname, expected=want.imap_host))
    if inc.socket_type != want.socket_type:
        out.append(diagnose("thunderbird.imap-security",
                            actual=_name(SOCKET_TYPES, inc.socket_type)))
    if inc.type == "imap" and inc.port != want.imap_port:
        out.append(diagnose("thunderbird.imap-port", actual=inc.port, expected=want.imap_port))
    if inc.user != want.imap_user:
        out.append(diagnose("thunderbird.imap-user", actual=inc.user or "(なし)",
                            expected=want.imap_user))
    if inc.auth_method != want.auth_method:
        out.append(diagnose("thunderbird.imap-auth", actual=_name(AUTH_METHODS, inc.auth_method)))
    out_server = account.outgoing
    if out_server is None:
        out.append(diagnose("thunderbird.smtp-host", actual="(なし)", expected=want.smtp_host))
        return out
    if not same_name(out_server.hostname, want.smtp_host):
        out.append(diagnose("thunderbird.smtp-host", actual=out_server.hostname,
                            expected=want.smtp_host))
    if out_server.socket_type != want.socket_type:
        out.append(diagnose("thunderbird.smtp-security",
                            actual=_name(SOCKET_TYPES, out_server.socket_type)))
    if out_server.port != want.smtp_port:
        copied = out_server.port == want.imap_port
        out.append(diagnose(
            "thunderbird.smtp-port", actual=out_server.port, expected=want.smtp_port,
            why_ja="印刷版の表は送信サーバーのプロトコルを IMAP としていますが、SMTP です。"
                   "受信サーバーの値を写していませんか。" if copied else "",
            why_en="The printed table says the outgoing protocol is IMAP, but it is SMTP: "
                   "was the incoming server's value copied?" if copied else ""))
    if out_server.auth_method != want.auth_method:
        out.append(diagnose("thunderbird.smtp-auth",
                            actual=_name(AUTH_METHODS, out_server.auth_method)))
    elif out_server.user != want.smtp_user:
        out.append(diagnose("thunderbird.smtp-user", actual=out_server.user or "(なし)",
                            expected=want.smtp_user))
    if want.email and account.email and account.email.lower() != want.email.lower():
        out.append(diagnose("thunderbird.identity-email", actual=account.email,
                            expected=want.email))
    return out


def _account_lines(account: ThunderbirdAccount) -> list[str]:
    """An account's settings as evidence lines."""
    inc = account.incoming
    lines = [f"{account.key}: {inc.type} {inc.hostname}:{inc.port} user={inc.user} "
             f"socketType={inc.socket_type} authMethod={inc.auth_method}"]
    if account.outgoing is not None:
        out = account.outgoing
        lines.append(f"{account.key}: smtp {out.hostname}:{out.port} user={out.user} "
                     f"try_ssl={out.socket_type} authMethod={out.auth_method}")
    if account.email:
        lines.append(f"{account.key}: email {account.email}")
    return lines


def _thunderbird(ctx: Context, want: Expected, home: str,
                 profile: str | None) -> Result | None:
    """The Thunderbird verdict, or None when the user has no Thunderbird profile at all."""
    if profile:
        chosen: PurePosixPath | None = PurePosixPath(profile)
        ini_name = ""
    else:
        chosen, ini_name = None, ""
        for directory in _TB_DIRS:
            base = PurePosixPath(home) / directory
            text = _read(ctx, str(base / "profiles.ini"))
            if text is not None:
                ini_name = str(base / "profiles.ini")
                chosen = thunderbird_profile(text, base)
                break
    if chosen is None:
        return None
    prefs_name = str(chosen / "prefs.js")
    text = _read(ctx, prefs_name)
    running = ctx.path(str(chosen / "lock")).is_symlink() or ctx.path(str(chosen / "lock")).exists()
    note = t("Thunderbird が起動中です。設定を終えたら Thunderbird を終了してから"
             "確かめてください。",
             "Thunderbird is running: close it after setting up the account, then check again.") \
        if running else t("", "")
    evidence = [f"profile: {chosen}" + (f" ({ini_name})" if ini_name else "")]
    if text is None:
        return failed(t(f"{prefs_name} がありません", f"{prefs_name} does not exist"), evidence,
                      diagnose("thunderbird.no-account", host=want.imap_host, prefs=prefs_name,
                               running=note.ja))
    accounts = thunderbird_accounts(parse_prefs_js(text))
    if not accounts:
        return failed(t("Thunderbird にメールアカウントがありません",
                        "Thunderbird has no mail account"), evidence,
                      diagnose("thunderbird.no-account", host=want.imap_host, prefs=prefs_name,
                               running=note.ja))
    scored = sorted(accounts, key=lambda a: (
        -same_name(a.incoming.hostname, want.imap_host) - (a.incoming.user == want.imap_user)
        - (a.email.lower() == want.email.lower())))
    best = scored[0]
    problems = _account_problems(best, want)
    evidence += [line for account in scored[:3] for line in _account_lines(account)]
    if not problems:
        account = f"{want.imap_user}@{want.imap_host}"
        return passed(t(f"Thunderbird のアカウント（{account}）の設定は正しいです",
                        f"the Thunderbird account ({account}) is set up right"), evidence)
    first = problems[0]
    extra = [f"+ {p.code}" for p in problems[1:]]
    return failed(t(f"Thunderbird のアカウント設定が違います（{len(problems)} 項目）",
                    f"the Thunderbird account differs in {len(problems)} setting(s)"),
                  [*evidence, *extra], first)


def _mutt(ctx: Context, want: Expected, home: str) -> Result | None:
    """The Mutt (or NeoMutt) verdict, or None when the user has no muttrc at all."""
    for relative in _MUTT_FILES:
        name = str(PurePosixPath(home) / relative)
        text = _read(ctx, name)
        if text is not None:
            break
    else:
        return None
    settings = parse_muttrc(text)
    shown = [f"{name}: {k} = {settings[k]}" for k in
             ("folder", "spoolfile", "imap_user", "smtp_url", "smtp_user", "ssl_force_tls")
             if k in settings]
    expected_imap = f"imap://{want.imap_host}:{want.imap_port}/"
    folder = parse_mail_url(settings.get("folder", ""))
    if folder is None or folder.scheme not in ("imap", "imaps"):
        folder = parse_mail_url(settings.get("spoolfile", settings.get("spool_file", "")))
    if folder is None or folder.scheme != "imap" or not same_name(folder.host, want.imap_host) \
            or folder.port != want.imap_port:
        actual = str(folder) if folder else settings.get("folder", "(なし)")
        return failed(t(f"{name} の IMAP サーバーの設定が違います",
                        f"{name}: the IMAP server differs"),
                      shown, diagnose("mutt.imap-url", file=name, actual=actual,
                                      expected=expected_imap))
    imap_user = folder.user or settings.get("imap_user", "") or want.user  # default: $USER
    if imap_user != want.imap_user:
        return failed(t(f"{name} の IMAP ユーザー名が違います", f"{name}: the IMAP user differs"),
                      shown, diagnose("mutt.imap-user", file=name, actual=imap_user,
                                      expected=want.imap_user))
    expected_smtp = f"smtp://{want.smtp_user}@{want.smtp_host}:{want.smtp_port}/"
    smtp = parse_mail_url(settings.get("smtp_url", ""))
    smtp_user = (smtp.user if smtp else "") or settings.get("smtp_user", "")
    if smtp is None or smtp.scheme != "smtp" or not same_name(smtp.host, want.smtp_host) \
            or smtp.port != want.smtp_port or smtp_user != want.smtp_user:
        actual = str(smtp) if smtp else settings.get("smtp_url", "(なし)")
        return failed(t(f"{name} の smtp_url が違います", f"{name}: smtp_url differs"),
                      shown, diagnose("mutt.smtp-url", file=name, actual=actual,
                                      expected=expected_smtp))
    if settings.get("ssl_force_tls", "no").lower() in ("yes", "true", "1"):
        return failed(t(f"{name} で ssl_force_tls = yes です", f"{name} sets ssl_force_tls = yes"),
                      shown, diagnose("mutt.force-tls", file=name))
    return passed(t(f"Mutt の設定（{name}）は正しいです",
                    f"the Mutt settings ({name}) are right"),
                  shown)


_ACCOUNT_PARAMS = {
    "user": "the local account whose client is checked (default: this host's user)",
    "home": "that user's home directory (default: from /etc/passwd)",
    "imap_host": "the incoming (IMAP) server (default: this host's fqdn)",
    "imap_port": "the IMAP port",
    "smtp_host": "the outgoing (SMTP) server (default: this host's fqdn)",
    "smtp_port": "the SMTP port",
    "email": "the account's address (default: user@domain)",
}


_Account = Callable[..., Result]


def _account_check(name: str, description: str) -> Callable[[_Account], _Account]:
    """Declare a client-account check: the function gets the expectations (the table's
    values, the chapter's by default) and the user's home, then its own parameters."""

    def declare(plan: _Account) -> _Account:
        def run(ctx: Context, user: str | None = None, home: str | None = None,
                imap_host: str | None = None, imap_port: int = 143,
                smtp_host: str | None = None, smtp_port: int = 25,
                email: str | None = None, **own: object) -> Result:
            want = _expected(ctx, user, imap_host, imap_port, smtp_host, smtp_port, email)
            try:
                return plan(ctx, want, _home(ctx, want.user, home), **own)
            except _Denied as exc:
                return _denied(str(exc), want.user)

        return check(name, description, docs=_ACCOUNT_PARAMS)(
            takes_params_of(run, plan, skip=3))

    return declare


@_account_check(
    "thunderbird_account",
    "Thunderbird のアカウントが表のとおり（IMAP 143・SMTP 25・接続の保護なし・通常のパスワード"
    "認証） / The Thunderbird account is set up as in the table.",
)
def thunderbird_account(ctx: Context, want: Expected, where_home: str,
                        profile: str | None = None) -> Result:
    """Read profiles.ini and prefs.js; compare the account best matching the IMAP host.

    Parameters:
        profile: the profile directory (default: from profiles.ini)
    """
    result = _thunderbird(ctx, want, where_home, profile)
    if result is None:
        return failed(t(f"{want.user} の Thunderbird のプロファイルがありません",
                        f"{want.user} has no Thunderbird profile"),
                      f"{where_home}/.thunderbird/profiles.ini: no such file",
                      diagnose("thunderbird.no-profile", path=f"{where_home}/.thunderbird",
                               user=want.user, home=where_home))
    return result


@_account_check(
    "mail_client_account",
    "メールクライアント（Thunderbird か Mutt）のアカウントが表のとおり / "
    "A mail client account (Thunderbird or Mutt) is set up as in the table.",
)
def mail_client_account(ctx: Context, want: Expected, where_home: str) -> Result:
    """Pass when either client is set up right; otherwise report the one that exists."""
    tb = _thunderbird(ctx, want, where_home, None)
    mutt = _mutt(ctx, want, where_home)
    for result in (tb, mutt):
        if result is not None and result.status == "pass":
            return result
    if tb is None and mutt is None:
        return failed(t(f"{want.user} のメールクライアントの設定がありません",
                        f"{want.user} has no mail client set up"),
                      [f"{where_home}/.thunderbird/profiles.ini: no such file",
                       f"{where_home}/.muttrc: no such file"],
                      diagnose("client.no-account", user=want.user, host=want.imap_host,
                               home=where_home))
    if tb is not None and mutt is not None:
        return failed(tb.message, [*tb.evidence, *mutt.evidence], tb.diagnosis)
    chosen = tb if tb is not None else mutt
    assert chosen is not None
    return chosen


def _seen(ctx: Context, user: str, smtp: bool, imap: bool) -> Result:
    """What the server's log shows of the user's client since the step started."""
    log = read_mail_log(ctx, ctx.since)
    if not isinstance(log, MailLog):
        return log
    sasl = re.compile(rf"sasl_method=\w+, sasl_username={re.escape(user)}(?:@\S*)?\b")
    login = re.compile(rf"imap-login: Login: user=<{re.escape(user)}>")
    sasl_lines = [x for x in log.lines if sasl.search(x)]
    login_lines = [x for x in log.lines if login.search(x)]
    evidence = [f"{log.source}:", *(mask(x, ctx.secrets) for x in
                                     (sasl_lines[-1:] + login_lines[-1:]))]
    missing_smtp = smtp and not sasl_lines
    missing_imap = imap and not login_lines
    if not missing_smtp and not missing_imap:
        return passed(t(f"サーバーのログに {user} のクライアントの送信（SMTP 認証）と"
                        "IMAP ログインがあります",
                        f"the server log shows {user}'s client sending (SMTP AUTH) and "
                        "logging in (IMAP)"), evidence)
    relevant = {"smtp.auth-failed", "saslauthd.unreachable", "sasl.no-mechanisms",
                "postfix.unknown-restriction"} if missing_smtp else set()
    if missing_imap:
        relevant |= {"dovecot.auth-failed", "dovecot.plaintext-refused",
                     "dovecot.mail-location-unset", "dovecot.mail-privileged-group"}
    for finding in known_problems(log.lines):
        if finding.code in relevant:
            return failed(t("サーバーのログにクライアントのエラーがあります",
                            "the server log shows the client's error"),
                          [*evidence, mask(finding.line, ctx.secrets)],
                          finding_diagnosis(finding, ctx))
    if missing_smtp:
        denied = [x for x in log.lines if "Relay access denied" in x and f"from=<{user}@" in x]
        if denied:
            return failed(t("クライアントが認証せずに送信し、中継を断られました",
                            "the client sent without authenticating and relaying was refused"),
                          [*evidence, mask(denied[-1], ctx.secrets)],
                          diagnose("thunderbird.smtp-auth", actual="認証なし / none"))
        return failed(t(f"サーバーのログに {user} の SMTP 認証つきの送信がありません",
                        f"the server log shows no SMTP AUTH as {user}"),
                      evidence, diagnose("client.smtp-not-seen", user=user,
                                         log=mail_log_hint(ctx.platform)))
    return failed(t(f"サーバーのログに {user} の IMAP ログインがありません",
                    f"the server log shows no IMAP login of {user}"),
                  evidence, diagnose("client.imap-not-seen", user=user,
                                     log=mail_log_hint(ctx.platform)))


_SEEN_PARAMS = {
    "user": "the mail user (default: this host's user)",
    "smtp": "require a send with SMTP AUTH (sasl_username=USER)",
    "imap": "require an IMAP login (imap-login: Login: user=<USER>)",
}


@check(
    "thunderbird_seen",
    "このステップの開始以降、サーバーのログにクライアントの SMTP 認証つき送信と"
    "IMAP ログインがある / "
    "Since the step started, the server log shows the client's SMTP AUTH send and IMAP login.",
    docs=_SEEN_PARAMS,
)
def thunderbird_seen(ctx: Context, user: str | None = None, smtp: bool = True,
                     imap: bool = True) -> Result:
    """Look for sasl_username=USER (Postfix) and imap-login: Login: user=<USER> (Dovecot)."""
    return _seen(ctx, user or ctx.value("user"), smtp, imap)


check("mail_client_seen",
      "thunderbird_seen と同じ（どのメールクライアントでも） / "
      "Same as thunderbird_seen, for any client.",
      docs=_SEEN_PARAMS)(thunderbird_seen)
