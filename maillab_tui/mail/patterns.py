"""What a mail log line means: its kind (reject, warning, sent ...) and, for known lines, why.

The one place that knows the Postfix and Dovecot log lines a student meets in this lab. The
log pane marks lines by `classify`, the explain key shows `explain`, and checks may call
`diagnose_lines` on the lines they read. A pattern's code is the diagnosis code the mail
checks use for the same cause (maillab_tui/maildiag.py), so a chapter's hint for a code
applies to both; the wording here is about one log line, so it needs no probe's context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from maillab_tui.text import Localized, t


class LineKind(StrEnum):
    """The kinds of mail log line the log pane marks."""

    PANIC = "panic"
    FATAL = "fatal"
    ERROR = "error"
    REJECT = "reject"
    BOUNCED = "bounced"
    DEFERRED = "deferred"
    SENT = "sent"
    LOGIN_FAIL = "login-fail"
    LOGIN_OK = "login-ok"
    WARNING = "warning"
    NORMAL = "normal"


# The first rule that matches decides; order is from worst to mildest so that
# `warning: ... SASL LOGIN authentication failed` counts as a failed login, not a warning.
_RULES: tuple[tuple[LineKind, re.Pattern[str]], ...] = (
    (LineKind.PANIC, re.compile(r"\bpanic:", re.IGNORECASE)),
    (LineKind.FATAL, re.compile(r"\bfatal:", re.IGNORECASE)),
    (LineKind.BOUNCED, re.compile(r"\bstatus=bounced\b")),
    (LineKind.DEFERRED, re.compile(r"\bstatus=deferred\b")),
    (LineKind.SENT, re.compile(r"\bstatus=sent\b")),
    (LineKind.REJECT, re.compile(r"\breject:|Relay access denied|\bNOQUEUE: reject\b")),
    (LineKind.LOGIN_FAIL, re.compile(
        r"auth failed|authentication failed|authentication failure|AUTHENTICATIONFAILED"
        r"|Plaintext authentication disallowed", re.IGNORECASE)),
    (LineKind.LOGIN_OK, re.compile(r"(imap|pop3)-login: Login:|\bsasl_username=")),
    (LineKind.ERROR, re.compile(r"\berror:", re.IGNORECASE)),
    (LineKind.WARNING, re.compile(r"\bwarning:", re.IGNORECASE)),
)


# Cheap substring tests first: most lines are none of the above (a busy log is mostly
# `connect`, `removed` and the like), and the pane classifies every line it receives. Plain
# `in` on the lowered line is ten times faster than one case-insensitive alternation.
_KEYWORDS = ("panic:", "fatal:", "status=", "reject", "relay access", "auth", "plaintext",
             "login:", "sasl_username=", "error:", "warning:")


def classify(line: str) -> LineKind:
    """The kind of a mail log line (NORMAL when it is nothing to look at)."""
    lowered = line.lower()
    if not any(word in lowered for word in _KEYWORDS):
        return LineKind.NORMAL
    for kind, pattern in _RULES:
        if pattern.search(line):
            return kind
    return LineKind.NORMAL


# A text marker for each kind, so that the log pane is readable without colour (NO_COLOR).
MARKERS: Mapping[LineKind, Localized] = {
    LineKind.PANIC: t("[パニック]", "[PANIC]"),
    LineKind.FATAL: t("[致命的]", "[FATAL]"),
    LineKind.ERROR: t("[エラー]", "[ERROR]"),
    LineKind.REJECT: t("[拒否]", "[REJECT]"),
    LineKind.BOUNCED: t("[返送]", "[BOUNCED]"),
    LineKind.DEFERRED: t("[保留]", "[DEFERRED]"),
    LineKind.SENT: t("[送信済]", "[SENT]"),
    LineKind.LOGIN_FAIL: t("[認証失敗]", "[AUTH FAIL]"),
    LineKind.LOGIN_OK: t("[ログイン]", "[LOGIN]"),
    LineKind.WARNING: t("[警告]", "[WARNING]"),
}

# Kinds that mean something went wrong (the pane counts them since the step began).
PROBLEM_KINDS: frozenset[LineKind] = frozenset({
    LineKind.PANIC, LineKind.FATAL, LineKind.ERROR, LineKind.REJECT, LineKind.BOUNCED,
    LineKind.DEFERRED, LineKind.LOGIN_FAIL, LineKind.WARNING,
})


NOTHING = Localized("", "")


@dataclass(frozen=True)
class LogPattern:
    """A known log line: a regex, what it means and what to do, with a stable code.

    The code is a diagnosis code of `mail.diagnoses`. `finding` marks the lines the mail
    checks report as the cause of a failure (`mail.maillog.known_problems`); the log pane
    explains every pattern. Named groups are the values the checks' diagnosis fills in;
    `{0}`, `{1}` ... in the texts are the groups in order.
    """

    code: str
    regex: re.Pattern[str]
    meaning: Localized
    fix: Localized = NOTHING
    finding: bool = False


@dataclass(frozen=True)
class Explanation:
    """What one log line means for the learner: the cause and the fix, in both languages."""

    code: str
    line: str
    kind: LineKind
    meaning: Localized
    fix: Localized

    def text(self, language: str) -> str:
        """The meaning and the fix as one paragraph in `language`."""
        parts = [self.meaning.get(language), self.fix.get(language)]
        return "\n\n".join(p for p in parts if p)


def _p(code: str, regex: str, meaning: Localized, fix: Localized = NOTHING, *,
       finding: bool = False) -> LogPattern:
    """A known pattern (case-sensitive, as Postfix and Dovecot write them)."""
    return LogPattern(code, re.compile(regex), meaning, fix, finding)


# The one table of known mail-log lines, for the log pane and the checks alike. Most specific
# first (the first pattern that matches a line names it): `type=MX: Host not found, try again`
# before the plain `Host not found`, the SMTP and IMAP login failures before `auth failed`.
PATTERNS: tuple[LogPattern, ...] = (
    _p("postfix.unknown-restriction",
       r'unknown smtpd restriction: "?(?P<restriction>[^"\s]+)"?',
       t("main.cf の制限リストに、Postfix の知らない名前「{0}」があります（つづりの誤り）。"
         "postfix check では見つからず、相手からメールが届いたときに初めて 451 4.3.5 で"
         "拒否されます。",
         "a restriction list in main.cf names '{0}', which Postfix does not know (a typo). "
         "postfix check is silent; mail from the other host is refused with 451 4.3.5."),
       t("sudo vi /etc/postfix/main.cf で smtpd_recipient_restrictions を直し"
         "（例: reject_unauth_destination）、sudo systemctl reload postfix。"
         "送信側では sudo postqueue -f で再送されます。",
         "fix smtpd_recipient_restrictions in /etc/postfix/main.cf "
         "(e.g. reject_unauth_destination), then sudo systemctl reload postfix; "
         "on the sender, sudo postqueue -f resends."),
       finding=True),
    _p("postfix.config-error",
       r"451 4\.3\.5 Server configuration error",
       t("受信側の Postfix が自分の設定の誤りのためにメールを受け取れませんでした（一時エラーなので"
         "送信側はメールをキューに残して再送します）。多くは受信側 main.cf の制限リストの"
         "つづりの誤り"
         "（reject_unauth_destinaition など）です。",
         "the receiving Postfix could not accept the mail because of an error in its own settings "
         "(temporary: the sender keeps the mail queued). Usually a misspelt restriction in the "
         "receiver's main.cf (reject_unauth_destinaition ...)."),
       t("受信側のログで warning: unknown smtpd restriction の行を探し、main.cf を直して reload。"
         "その後、送信側で sudo postqueue -f。",
         "look for 'warning: unknown smtpd restriction' in the receiver's log, fix main.cf and "
         "reload; then sudo postqueue -f on the sender.")),
    _p("postfix.relay-denied-by-peer",
       r"Relay access denied",
       t("認証していない相手からの、よそのドメイン宛てのメールの中継を断りました。"
         "踏み台にならないための正しい動作ですが、自分宛てのつもりなら宛先のドメインが"
         "mydestination に入っていないか、送信側が SMTP 認証していません。",
         "relaying to another domain was refused to an unauthenticated client: correct behaviour "
         "for a stranger, but if the mail was for this server its domain is not in mydestination, "
         "or the sender did not authenticate (SMTP AUTH)."),
       t("宛先は user@exampleN.jp（mail. を付けない）にし、postconf mydestination と"
         " smtpd_sasl_auth_enable を確かめてください。",
         "send to user@exampleN.jp (without mail.), and check postconf mydestination and "
         "smtpd_sasl_auth_enable.")),
    _p("saslauthd.unreachable",
       r"cannot connect to saslauthd server",
       t("Postfix が saslauthd に接続できず、SMTP 認証ができません（クライアントには 454 4.7.0 "
         "Temporary authentication failure が返ります）。saslauthd が動いていないか、Debian では"
         " chroot の中からソケットが見えていません。",
         "Postfix cannot reach saslauthd, so SMTP AUTH fails (clients get 454 4.7.0 Temporary "
         "authentication failure): saslauthd is not running, or on Debian the chrooted smtpd "
         "cannot see its socket."),
       t("sudo systemctl enable --now saslauthd。Debian では smtpd の chroot を n にし、"
         "postfix ユーザーを sasl グループに入れて Postfix を再起動します。",
         "sudo systemctl enable --now saslauthd; on Debian set smtpd's chroot to n, add postfix "
         "to group sasl and restart Postfix."),
       finding=True),
    _p("sasl.no-mechanisms",
       r"no SASL authentication mechanisms",
       t("SASL の認証方式が1つもないため、smtpd が終了しています。",
         "there are no SASL mechanisms, so smtpd exits."),
       t("AlmaLinux は cyrus-sasl-plain、Debian は libsasl2-modules を入れ、smtpd.conf の"
         " mech_list を確かめてください。",
         "install cyrus-sasl-plain (AlmaLinux) or libsasl2-modules (Debian) and check mech_list "
         "in smtpd.conf."),
       finding=True),
    _p("dns.unreachable",
       r"Name service error for name=(\S+) type=MX: Host not found, try again",
       t("DNS サーバーに問い合わせられず、{0} の MX レコードを引けませんでした（一時エラーなので"
         "メールはキューに残ります）。DNS サーバーが止まっているか、届いていません。",
         "the DNS server could not be asked for the MX record of {0} (temporary: the mail stays "
         "queued). The DNS server is down or unreachable."),
       t("dig MX {0} で確かめ、/etc/resolv.conf と DNS サーバーを直してから sudo postqueue -f。",
         "check with dig MX {0}, fix /etc/resolv.conf or the DNS server, then sudo postqueue -f.")),
    _p("dns.missing-record",
       r"Host (?:or domain name )?not found",
       t("宛先のドメインやホスト名が DNS にありません（存在しない名前）。宛先のつづりか、"
         "DNS のゾーン（MX と A レコード）が誤っています。",
         "the destination domain or host name does not exist in DNS: the address is misspelt or "
         "the DNS zone (MX and A records) is wrong."),
       t("dig MX ドメイン と dig A ホスト名 で確かめてください。",
         "check with dig MX domain and dig A hostname.")),
    _p("firewall.closed",
       r"No route to host",
       t("相手のマシンに接続できません。多くは相手のファイアウォールがそのポートを開けていない"
         "（firewalld が拒否している）か、ネットワークの設定の誤りです。",
         "the other machine cannot be reached: usually its firewall does not open the port "
         "(firewalld rejects), or the network settings are wrong."),
       t("相手で sudo firewall-cmd --list-all を実行し、services: に smtp（または imap、pop3）が"
         "あるか確かめます。--permanent の後の --reload を忘れずに。",
         "on the other machine run sudo firewall-cmd --list-all and look for smtp (or imap, pop3) "
         "in services:; do not forget --reload after --permanent.")),
    _p("port.refused",
       r"Connection refused",
       t("接続先のポートで何も待ち受けていません。サービスが止まっているか、inet_interfaces"
         "（Dovecot なら listen）にそのアドレスが入っていません。",
         "nothing listens on that port: the service is stopped, or inet_interfaces (Dovecot: "
         "listen) does not include that address."),
       t("systemctl status postfix（dovecot）と ss -ltn で確かめてください。",
         "check with systemctl status postfix (dovecot) and ss -ltn.")),
    _p("dovecot.plaintext-refused",
       r"Plaintext authentication disallowed|tried to use disallowed plaintext auth",
       t("Dovecot が暗号化していない接続でのパスワード認証を断りました"
         "（既定の disable_plaintext_auth = yes）。",
         "Dovecot refused a password login over an unencrypted connection (the default "
         "disable_plaintext_auth = yes)."),
       t("10-auth.conf で disable_plaintext_auth = no、10-ssl.conf で ssl = no にして"
         " sudo systemctl restart dovecot。",
         "set disable_plaintext_auth = no in 10-auth.conf and ssl = no in 10-ssl.conf, then "
         "sudo systemctl restart dovecot."),
       finding=True),
    _p("dovecot.mail-privileged-group",
       r"file_dotlock_create\((?P<path>[^)]*?(?P<user>[^/\s)]*))\) failed: Permission denied",
       t("Dovecot がメールボックス {0} のロックファイルを作れません"
         "（/var/mail に書く権限がない）。",
         "Dovecot cannot create the lock file for the mailbox {0} (no permission to write in "
         "/var/mail)."),
       t("10-mail.conf に mail_privileged_group = mail を書いて sudo systemctl restart dovecot。",
         "set mail_privileged_group = mail in 10-mail.conf and sudo systemctl restart dovecot."),
       finding=True),
    _p("dovecot.mail-privileged-group",
       r"\(set mail_privileged_group=",
       t("Dovecot がメールボックスのロックファイルを作れません（/var/mail に書く権限がない）。",
         "Dovecot cannot create the lock file for a mailbox (no permission to write in "
         "/var/mail)."),
       t("10-mail.conf に mail_privileged_group = mail を書いて sudo systemctl restart dovecot。",
         "set mail_privileged_group = mail in 10-mail.conf and sudo systemctl restart dovecot."),
       finding=True),
    _p("dovecot.mail-location-unset",
       r"mail_location not set",
       t("Dovecot がメールボックスの場所を見つけられません（mail_location が未設定）。",
         "Dovecot cannot find the mailbox (mail_location is not set)."),
       t("10-mail.conf に mail_location = mbox:~/mail:INBOX=/var/mail/%u を書いて"
         " sudo systemctl restart dovecot。",
         "set mail_location = mbox:~/mail:INBOX=/var/mail/%u in 10-mail.conf and restart "
         "dovecot."),
       finding=True),
    _p("mail.reply-to-hostname",
       r"mail for (\S+) loops back to myself",
       t("{0} 宛てのメールの配送先がこのサーバー自身なのに、{0} を自分宛てのドメインと"
         "見なしていない"
         "ため、配送できません。宛先に mail. 付きのホスト名を使った（返信）ときに起きます。",
         "mail for {0} leads back to this server, but {0} is not one of its own domains: it "
         "happens when a reply goes to the host name with mail. in front."),
       t("宛先を user@exampleN.jp（mail. なし）に直して送ってください。",
         "send to user@exampleN.jp (without mail.) instead.")),
    _p("mail.unknown-user",
       r"User unknown in local recipient table",
       t("宛先のユーザーが受信側のサーバーにいません。ユーザーを作っていないか、宛先のつづりの誤りです。",
         "the recipient does not exist on the receiving server: the user was not created, or the "
         "address is misspelt."),
       t("受信側で getent passwd ユーザー名 を確かめてください。",
         "check getent passwd USER on the receiving server.")),
    _p("postfix.boot-order",
       r"no local interface found for (?P<address>\S+)",
       t("inet_interfaces のアドレス {0} がこのマシンにまだない（または誤っている）ため、Postfix が"
         "起動できません。起動時にネットワークより先に Postfix が起動したときに起きます。",
         "Postfix cannot start because the address {0} in inet_interfaces is not (yet) on this "
         "machine: it happens when Postfix starts before the network at boot."),
       t("ip -4 addr でアドレスを確かめ、起動順の手順（After=network-online.target）を設定して"
         " sudo systemctl start postfix。",
         "check the address with ip -4 addr, set up the boot-order step "
         "(After=network-online.target), then sudo systemctl start postfix."),
       finding=True),
    _p("postfix.restart-needed",
       r"ignoring inet_interfaces change",
       t("inet_interfaces の変更は reload では反映されません。",
         "a change of inet_interfaces is not applied by reload."),
       t("sudo systemctl restart postfix で再起動してください。",
         "restart Postfix: sudo systemctl restart postfix."),
       finding=True),
    _p("postfix.missing-equals",
       r"missing '=' after attribute name",
       t("main.cf に「名前 = 値」の形になっていない行があります。",
         "main.cf has a line that is not 'name = value'."),
       t("sudo postfix check が示す行を直してください。",
         "fix the line sudo postfix check points to.")),
    _p("postfix.unused-parameter",
       r"unused parameter: ([^=\s]+)=",
       t("main.cf の「{0}」は Postfix の知らないパラメーター名です（つづりの誤り）。",
         "'{0}' in main.cf is not a Postfix parameter (a typo)."),
       t("postconf -d | grep で正しい名前を探して直してください。",
         "find the right name with postconf -d | grep and fix it.")),
    _p("smtp.auth-failed",
       r"SASL \w+ authentication failed.*?(?:sasl_username=(?P<user>[^\s,]+))?$",
       t("SMTP 認証（パスワード認証）に失敗しました。ユーザー名かパスワードの誤りです。",
         "an SMTP AUTH login failed: the user name or the password is wrong."),
       t("sudo passwd ユーザー名 でパスワードを設定し直せます。",
         "sudo passwd USER sets the password again."),
       finding=True),
    _p("dovecot.auth-failed",
       r"(?:imap|pop3)-login: .*\(auth failed.*?user=<(?P<user>[^>]*)>",
       t("IMAP/POP3 のログインに失敗しました。ユーザー名かパスワードの誤りです。",
         "an IMAP/POP3 login failed: the user name or the password is wrong."),
       t("sudo passwd ユーザー名 でパスワードを設定し直せます。",
         "sudo passwd USER sets the password again."),
       finding=True),
    _p("postfix.not-running",
       r"unable to look up public/pickup",
       t("Postfix が動いていないため、mail コマンドのメールを受け取れません"
         "（メールはキューの maildrop に残ります）。",
         "Postfix is not running, so mail from the mail command is not picked up (it waits in "
         "the maildrop queue)."),
       t("sudo systemctl start postfix（起動しないときは journalctl -u postfix）。",
         "sudo systemctl start postfix (if it does not start: journalctl -u postfix)."),
       finding=True),
    _p("auth.failed",
       r"auth failed|authentication failed|AUTHENTICATIONFAILED",
       t("パスワード認証に失敗しました。ユーザー名かパスワードの誤りです。",
         "a password login failed: the user name or the password is wrong."),
       t("sudo passwd ユーザー名 でパスワードを設定し直せます。",
         "sudo passwd USER sets the password again.")),
    _p("dovecot.login-ok",
       r"(imap|pop3)-login: Login: user=<([^>]*)>",
       t("{1} が {0} でログインしました（成功）。",
         "{1} logged in over {0} (success)."),
       ),
    _p("postfix.delivered-mailbox",
       r"status=sent \(delivered to mailbox\)",
       t("メールをこのサーバーのメールボックスに配送しました（成功）。",
         "the mail was delivered to a mailbox on this server (success)."),
       ),
    _p("postfix.sent-relay",
       r"relay=([^,\s]+).*status=sent",
       t("メールを {0} に転送しました（成功）。相手のサーバーが受け取りました。",
         "the mail was handed to {0} (success): the other server accepted it."),
       ),
)

# The lines a server writes when it re-reads its settings (`systemctl reload`), by server.
RELOADED: Mapping[str, re.Pattern[str]] = {
    "postfix": re.compile(r"postfix/master\[\d+\]: reload -- version"),
    "dovecot": re.compile(r"dovecot(?:\[\d+\])?: master: Warning: SIGHUP received - reloading"),
}


def named_as(line: str, code: str) -> bool:
    """Whether the table names `line` with `code` (the first matching pattern has it)."""
    found = known(line)
    return found is not None and found[0].code == code


# When no known pattern matches, the kind alone still says something.
_KIND_MEANINGS: Mapping[LineKind, Localized] = {
    LineKind.PANIC: t("プログラムの内部エラーで処理が止まりました。",
                      "the program stopped on an internal error."),
    LineKind.FATAL: t("致命的なエラーでプログラムが止まりました。行の後半が理由です。",
                      "a fatal error stopped the program; the end of the line says why."),
    LineKind.ERROR: t("エラーが起きました。行の後半が理由です。",
                      "an error happened; the end of the line says why."),
    LineKind.REJECT: t("メールの受け取りを断りました。3桁のコードの後が理由です"
                       "（4xx は一時的、5xx は恒久的）。",
                       "the mail was refused; the text after the 3-digit code says why "
                       "(4xx temporary, 5xx permanent)."),
    LineKind.BOUNCED: t("メールを配送できず、差出人に返送します（恒久的なエラー）。"
                        "括弧の中が理由です。",
                        "the mail could not be delivered and goes back to the sender (permanent); "
                        "the text in brackets says why."),
    LineKind.DEFERRED: t("今は送れないため、キューに残して後で再送します。括弧の中が理由です。"
                         "原因を直したら sudo postqueue -f ですぐ再送できます。",
                         "the mail cannot be sent now and stays queued for a retry; the text in "
                         "brackets says why. After the fix, sudo postqueue -f retries at once."),
    LineKind.SENT: t("メールを送りました（成功）。", "the mail was sent (success)."),
    LineKind.LOGIN_FAIL: t("ログイン（認証）に失敗しました。", "a login (authentication) failed."),
    LineKind.LOGIN_OK: t("ログイン（認証）に成功しました。", "a login (authentication) succeeded."),
    LineKind.WARNING: t("警告です。すぐには止まりませんが、設定の誤りを示していることがあります。",
                        "a warning: nothing stopped yet, but it often points to a setting error."),
}


def _fill(message: Localized, groups: tuple[str | None, ...]) -> Localized:
    """A message with `{0}`, `{1}` ... replaced by the regex groups."""
    values = [g or "" for g in groups]

    def one(text: str) -> str:
        for index, value in enumerate(values):
            text = text.replace("{" + str(index) + "}", value)
        return text

    return Localized(one(message.ja), one(message.en))


def known(line: str) -> tuple[LogPattern, re.Match[str]] | None:
    """The first pattern of the table that matches `line`, and its match."""
    for pattern in PATTERNS:
        match = pattern.regex.search(line)
        if match:
            return pattern, match
    return None


def explain(line: str) -> Explanation | None:
    """What a log line means: a known pattern's explanation, else its kind's, else None."""
    kind = classify(line)
    found = known(line)
    if found is not None:
        pattern, match = found
        return Explanation(pattern.code, line, kind, _fill(pattern.meaning, match.groups()),
                           _fill(pattern.fix, match.groups()))
    meaning = _KIND_MEANINGS.get(kind)
    if meaning is None:
        return None
    return Explanation(f"kind.{kind}", line, kind, meaning, Localized("", ""))


def diagnose_lines(lines: Iterable[str]) -> Explanation | None:
    """The explanation of the last line that matches a known pattern (for checks reading a log)."""
    found: Explanation | None = None
    for line in lines:
        explanation = explain(line)
        if explanation is not None and not explanation.code.startswith("kind."):
            found = explanation
    return found


_ISO_PREFIX = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?\s+\S+\s+")
_TRADITIONAL_PREFIX = re.compile(r"^[A-Z][a-z]{2} {1,2}\d{1,2} (\d{2}:\d{2}:\d{2})\s+\S+\s+")


def compact(line: str) -> str:
    """A log line without its date and host name (`18:14:06 postfix/smtpd[12]: ...`), to fit."""
    match = _ISO_PREFIX.match(line)
    if match:
        return f"{match.group(2)} {line[match.end():]}"
    match = _TRADITIONAL_PREFIX.match(line)
    if match:
        return f"{match.group(1)} {line[match.end():]}"
    return line
