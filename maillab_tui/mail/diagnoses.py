"""The diagnoses of the checks: one stable code each, a message naming the cause, a fix.

The codes and what they mean are listed in the table at the top of checks/diagnose.py (a test
keeps that table and `CATALOGUE` equal). Messages are templates: `{name}` fields are filled
from the values a check passes to `diagnose()`; a field a check does not pass stays visible
as `{name}` rather than crashing the probe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from maillab_tui.checking.api import Diagnosis
from maillab_tui.text import t


@dataclass(frozen=True)
class Entry:
    """One diagnosis: Japanese and English message templates and a suggested command or edit."""

    ja: str
    en: str
    suggestion: str = ""


class _Fields(dict[str, object]):
    """Format values that leave an unknown `{name}` as it is."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: Mapping[str, object]) -> str:
    """`template` with the known fields filled in."""
    return template.format_map(_Fields(values))


_RESTART_POSTFIX = "sudo systemctl restart postfix"
_RESTART_DOVECOT = "sudo systemctl restart dovecot"

CATALOGUE: dict[str, Entry] = {
    # ---------------------------------------------------------------- reaching a server
    "postfix.not-running": Entry(
        "{where} の {port} 番ポートが接続を拒否しました（Connection refused）。Postfix が起動して"
        "いないか、そのアドレスで待ち受けていません。",
        "{where} refused the connection on port {port}: Postfix is not running or does not "
        "listen on that address.",
        "sudo systemctl status postfix（Debian では postfix@-）",
    ),
    "postfix.inet-interfaces": Entry(
        "{address}:{port} は接続を拒否しましたが、127.0.0.1 では Postfix が応答します。"
        "inet_interfaces に {address} がありません（インストール直後の値は localhost だけ）。"
        "inet_interfaces の変更は reload では反映されないので restart してください。",
        "{address}:{port} refuses connections but Postfix answers on 127.0.0.1: inet_interfaces "
        "lacks {address} (a fresh install has localhost only). A change of inet_interfaces "
        "needs a restart, not a reload.",
        "main.cf: inet_interfaces = localhost, {address}; " + _RESTART_POSTFIX,
    ),
    "postfix.restart-needed": Entry(
        "inet_interfaces を変えたあと reload しかしていません（ignoring inet_interfaces change）。"
        "この変更は Postfix を止めて起動し直すまで反映されません。",
        "inet_interfaces was changed but Postfix was only reloaded (ignoring inet_interfaces "
        "change): it takes effect after a stop and start.",
        _RESTART_POSTFIX,
    ),
    "postfix.boot-order": Entry(
        "起動時、ネットワークの準備より先に Postfix が起動して止まりました（no local interface "
        "found）。postfix.service の After= を network-online.target にします。",
        "at boot Postfix started before the network and stopped (no local interface found): "
        "set After=network-online.target for postfix.service.",
        "sudo systemctl edit postfix（[Unit] After=network-online.target "
        "Wants=network-online.target）",
    ),
    "dovecot.not-running": Entry(
        "{where} の {port} 番ポート（{protocol}）が接続を拒否しました（Connection refused）。"
        "Dovecot が起動していないか、protocols に {protocol} がありません。",
        "{where} refused the connection on port {port} ({protocol}): Dovecot is not running or "
        "{protocol} is not in protocols.",
        "sudo systemctl enable --now dovecot; doveconf protocols",
    ),
    "port.refused": Entry(
        "{where} の {port} 番ポートが接続を拒否しました（Connection refused）。そのポートで"
        "待ち受けているサービスがありません。",
        "{where} refused the connection on port {port}: no service listens there.",
        "sudo ss -ltnp",
    ),
    "firewall.closed": Entry(
        "{where} のファイアウォールが {service}（{port}/tcp）を通していません。「No route to host」"
        "は firewalld が接続を拒否したときの応答です（相手のマシンが止まっているときも同じに"
        "なります）。",
        "the firewall of {where} does not let {service} ({port}/tcp) through: \"No route to host\" "
        "is what firewalld's reject looks like (a machine that is down looks the same).",
        "sudo firewall-cmd --add-service={service} --zone={zone} --permanent && "
        "sudo firewall-cmd --reload",
    ),
    "net.timeout": Entry(
        "{where} から {seconds} 秒以内に応答がありません。アドレスの誤り、相手のマシンが止まって"
        "いる、またはパケットを黙って捨てるファイアウォール（DROP）が考えられます。",
        "no answer from {where} within {seconds} s: a wrong address, the machine is down, or a "
        "firewall that silently drops packets.",
        "ping -c 3 {address}",
    ),
    "net.unreachable": Entry(
        "{address} へのネットワーク経路がありません（Network is unreachable）。このマシンの "
        "IP アドレスの設定か、接続先アドレスが違います。",
        "there is no network route to {address} (Network is unreachable): this machine's IP "
        "configuration or the address is wrong.",
        "ip -4 addr show; ip route",
    ),
    "smtp.slow-banner": Entry(
        "接続はできましたが、{seconds} 秒以内に 220 の挨拶が来ません。Postfix はクライアントの"
        "逆引き（DNS）を終えてから挨拶するので、DNS サーバーに届かないと遅れます。",
        "connected, but no 220 greeting within {seconds} s: Postfix looks up the client's name "
        "(DNS) before greeting, so an unreachable DNS server delays it.",
        "cat /etc/resolv.conf; dig -x {client}",
    ),
    "postfix.smtpd-closed": Entry(
        "接続がすぐに切られました。smtpd が起動直後に異常終了しています。ログの fatal: の行が"
        "原因です（例: no SASL authentication mechanisms）。",
        "the connection was closed at once: smtpd dies right after starting. The fatal: line in "
        "the log says why (e.g. no SASL authentication mechanisms).",
        "{log} | grep -E 'fatal|panic' | tail -5",
    ),
    # ---------------------------------------------------------------- SMTP dialogue
    "postfix.myhostname": Entry(
        "挨拶（220）が {actual} を名乗っています（期待 {expected}）。main.cf の myhostname が"
        "設定されていないか、違います。",
        "the 220 greeting names {actual}, not {expected}: myhostname in main.cf is unset or "
        "wrong.",
        "main.cf: myhostname = {expected}; sudo systemctl reload postfix",
    ),
    "postfix.sasl-disabled": Entry(
        "EHLO の応答に AUTH がありません（SMTP 認証が無効）。main.cf に "
        "smtpd_sasl_auth_enable = yes がないか、まだ反映されていません。",
        "EHLO does not offer AUTH (SMTP authentication is off): smtpd_sasl_auth_enable = yes is "
        "missing from main.cf or not in effect yet.",
        "main.cf: smtpd_sasl_auth_enable = yes; sudo systemctl reload postfix",
    ),
    "postfix.auth-needs-tls": Entry(
        "AUTH は STARTTLS のあとでしか使えない設定です（smtpd_tls_auth_only = yes）。この実習では"
        "暗号化しないので、この行を消すか no にします。",
        "AUTH is only offered after STARTTLS (smtpd_tls_auth_only = yes): this lab does not "
        "encrypt, so remove the line or set it to no.",
        "postconf smtpd_tls_auth_only",
    ),
    "sasl.no-mechanisms": Entry(
        "SMTP 認証の方式 PLAIN / LOGIN が使えません。AlmaLinux では cyrus-sasl-plain パッケージと "
        "/etc/sasl2/smtpd.conf の mech_list: plain login、Debian では libsasl2-modules と "
        "/etc/postfix/sasl/smtpd.conf（pwcheck_method: saslauthd、mech_list: PLAIN LOGIN）を"
        "確認してください。",
        "the PLAIN / LOGIN mechanisms are not available: on AlmaLinux check the cyrus-sasl-plain "
        "package and mech_list: plain login in /etc/sasl2/smtpd.conf; on Debian "
        "libsasl2-modules and /etc/postfix/sasl/smtpd.conf (pwcheck_method: saslauthd, "
        "mech_list: PLAIN LOGIN).",
        "{install}",
    ),
    "smtp.auth-failed": Entry(
        "ユーザー {user} の SMTP 認証が失敗しました（535）。パスワードの誤り、そのユーザーが"
        "いない、または saslauthd の認証方式（pam 以外）の誤りです。アカウント作成のステップの"
        "チェック（saslauthd_ok）で saslauthd だけを試せます（パスワードをコマンド行に書かずに）。",
        "SMTP authentication for {user} failed (535): a wrong password, no such user, or "
        "saslauthd uses a mechanism other than pam. The account step's check (saslauthd_ok) "
        "tries saslauthd alone, without the password on a command line.",
        "sudo maillab-tui --check-only --step create-user",
    ),
    "smtp.auth-too-lenient": Entry(
        "間違ったパスワードで SMTP 認証に成功しました。saslauthd / PAM の設定（/etc/pam.d/smtp "
        "など）が認証を素通ししています。",
        "SMTP authentication succeeded with a wrong password: the saslauthd / PAM setup "
        "(/etc/pam.d/smtp ...) lets everyone in.",
        "cat /etc/pam.d/smtp",
    ),
    "saslauthd.unreachable": Entry(
        "Postfix が saslauthd に問い合わせられません（454 4.7.0 Temporary authentication "
        "failure / cannot connect to saslauthd server）。saslauthd が起動していない（Debian では "
        "/etc/default/saslauthd に START=yes がないと、systemctl が active と言っても動いて"
        "いません）か、Debian では chroot された smtpd（master.cf の smtp 行の chroot 列が y）"
        "から saslauthd のソケットが見えません。",
        "Postfix cannot ask saslauthd (454 4.7.0 Temporary authentication failure / cannot "
        "connect to saslauthd server): saslauthd is not running (on Debian, without START=yes "
        "in /etc/default/saslauthd it does not run even when systemctl says active), or on "
        "Debian the chrooted smtpd (chroot column y on the smtp line of master.cf) cannot see "
        "saslauthd's socket.",
        "sudo systemctl enable --now saslauthd; Debian: /etc/default/saslauthd に START=yes と "
        "OPTIONS=\"-c -m /var/spool/postfix/var/run/saslauthd\"、sudo adduser postfix sasl、"
        "sudo systemctl restart saslauthd postfix（または master.cf の smtp 行の chroot を n に）",
    ),
    "saslauthd.not-running": Entry(
        "saslauthd が起動していません（{state}）。SMTP 認証は saslauthd にパスワードの確認を"
        "頼むので、起動と自動起動の設定が必要です。",
        "saslauthd is not running ({state}): SMTP AUTH asks saslauthd to check passwords, so "
        "start it and enable it at boot.",
        "sudo systemctl enable --now saslauthd（Debian: /etc/default/saslauthd に START=yes を"
        "書いてから sudo systemctl restart saslauthd）",
    ),
    "saslauthd.auth-failed": Entry(
        "saslauthd がユーザー {user} を認証できません。パスワードの誤り、ユーザーがいない、"
        "または認証方式の誤り（AlmaLinux: /etc/sysconfig/saslauthd の MECH=pam、Debian: "
        "/etc/default/saslauthd の MECHANISMS=\"pam\"）です。",
        "saslauthd cannot authenticate {user}: a wrong password, no such user, or the wrong "
        "mechanism (AlmaLinux: MECH=pam in /etc/sysconfig/saslauthd; Debian: MECHANISMS=\"pam\" "
        "in /etc/default/saslauthd).",
        "sudo passwd {user}",
    ),
    "postfix.open-relay": Entry(
        "認証していないクライアント（{client}）からの、よそのドメイン宛ての中継を受け付けました"
        "（オープンリレー）。smtpd_recipient_restrictions の最後が reject_unauth_destination か、"
        "mynetworks にこのクライアントが入っていないか確かめてください。",
        "relaying to a foreign domain was accepted from an unauthenticated client ({client}): "
        "an open relay. Check that smtpd_recipient_restrictions ends with "
        "reject_unauth_destination and that mynetworks does not include this client.",
        "postconf mynetworks smtpd_recipient_restrictions smtpd_relay_restrictions",
    ),
    "postfix.mynetworks-peer": Entry(
        "{server} の mynetworks に相手のマシンのアドレス {client} が入っていて、認証なしで中継"
        "します。印刷版の host2 の mynetworks = 192.168.56.101 は誤りで、mynetworks にはその"
        "マシン自身のアドレス（{server_address}）を書きます。",
        "{server}'s mynetworks includes the other machine's address {client}, so it relays "
        "without authentication. The printed mynetworks = 192.168.56.101 for host2 is wrong: "
        "mynetworks is the machine's own address ({server_address}).",
        "{server} の main.cf: mynetworks = {server_address}; sudo systemctl reload postfix",
    ),
    "postfix.unknown-restriction": Entry(
        "{where} の smtpd_recipient_restrictions（または smtpd_relay_restrictions）に Postfix が"
        "知らない制限名があります（印刷版の誤植 reject_unauth_destinaition など）。postfix check "
        "は何も言いませんが、外から届くメールに 451 4.3.5 Server configuration error を返し、"
        "ログに warning: unknown smtpd restriction と出ます。",
        "{where} has a restriction name Postfix does not know in smtpd_recipient_restrictions "
        "(or smtpd_relay_restrictions), like the printed typo reject_unauth_destinaition: "
        "postfix check is silent, but mail from outside gets 451 4.3.5 Server configuration "
        "error and the log says warning: unknown smtpd restriction.",
        "{where} で postconf smtpd_recipient_restrictions → reject_unauth_destination に直して "
        "sudo systemctl reload postfix；送信側で sudo postqueue -f",
    ),
    "postfix.sasl-not-permitted": Entry(
        "認証には成功しましたが中継を断られました。smtpd_recipient_restrictions（または "
        "smtpd_relay_restrictions）に permit_sasl_authenticated がないか、拒否する制限より後に"
        "あります。",
        "authentication succeeded but relaying was refused: permit_sasl_authenticated is "
        "missing from smtpd_recipient_restrictions (or smtpd_relay_restrictions), or comes after "
        "a rejecting restriction.",
        "postconf smtpd_recipient_restrictions smtpd_relay_restrictions",
    ),
    "postfix.mydestination": Entry(
        "{server} は {domain} 宛てのメールを自分宛てとして受け取りません。mydestination に "
        "{domain} が含まれていません（この実習では mydestination = $mydomain、mydomain = "
        "{domain}）。",
        "{server} does not take mail for {domain} as its own: mydestination does not include "
        "{domain} (in this lab mydestination = $mydomain, mydomain = {domain}).",
        "postconf -x mydomain mydestination",
    ),
    "mail.unknown-user": Entry(
        "宛先のユーザー {recipient} が受信側のサーバーにいません（User unknown）。ユーザーの"
        "作成（useradd）か、宛先のつづりを確かめてください。",
        "the recipient {recipient} does not exist on the receiving server (User unknown): "
        "create the user (useradd) or check the spelling of the address.",
        "getent passwd {local_part}",
    ),
    "smtp.unexpected-reply": Entry(
        "想定していない応答です: {reply}",
        "an unexpected reply: {reply}",
        "{log} | tail -20",
    ),
    # ---------------------------------------------------------------- the mail log
    "mail.not-sent": Entry(
        "このステップを始めてから、{to} 宛ての配送記録（to=<{to}> ... status=）がログにありま"
        "せん。メールを送りましたか？（s-nail は最後の Send this message? に yes と答えると"
        "送ります）",
        "no delivery record for {to} (to=<{to}> ... status=) since the step started: was the "
        "mail sent? (s-nail sends after you answer yes to Send this message?)",
        "{log} | tail -20; postqueue -p",
    ),
    "mail.deferred": Entry(
        "配送が保留（deferred）になっています。理由: {reason}",
        "delivery is deferred: {reason}",
        "postqueue -p; 原因を直したら sudo postqueue -f",
    ),
    "mail.bounced": Entry(
        "配送できず、エラーメールが返されました（bounced）。理由: {reason}",
        "delivery failed and the mail was returned (bounced): {reason}",
        "{log} | tail -20",
    ),
    "mail.wrong-route": Entry(
        "{to} 宛てのメールは {actual} に配送されました（期待 {expected}）。",
        "mail for {to} went to {actual}, not {expected}.",
        "postconf -x mydestination; dig +short MX {domain}",
    ),
    "postfix.peer-refused": Entry(
        "相手のサーバー {peer} の 25 番ポートが接続を拒否しました（Connection refused）。相手の "
        "Postfix が止まっているか、相手の inet_interfaces が localhost のままです。",
        "the receiving server {peer} refused port 25 (Connection refused): its Postfix is "
        "stopped or its inet_interfaces is still localhost.",
        "相手のマシンで: sudo systemctl status postfix; postconf inet_interfaces",
    ),
    "postfix.relay-denied-by-peer": Entry(
        "相手のサーバー {peer} が Relay access denied で受け取りを断りました。{peer} の "
        "mydestination に {domain} が入っていない（mydomain の誤り）か、{domain} の MX が"
        "違うサーバーを指しています。",
        "the receiving server {peer} said Relay access denied: {domain} is not in {peer}'s "
        "mydestination (a wrong mydomain) or {domain}'s MX points at another server.",
        "dig +short MX {domain}; 相手のマシンで postconf -x mydestination",
    ),
    "mail.reply-to-hostname": Entry(
        "宛先が {recipient} になっています。{domain} はサーバーのホスト名で、メールのドメインでは"
        "ありません（mydestination = $mydomain なので受け取りません）。宛先は {suggested} です。"
        "送信元を {suggested} の形にするには myorigin = $mydomain を設定します。",
        "the mail is addressed to {recipient}: {domain} is the server's host name, not the mail "
        "domain (mydestination = $mydomain does not accept it). Address it to {suggested}; "
        "myorigin = $mydomain makes the sender address look like that too.",
        "{suggested}",
    ),
    # ---------------------------------------------------------------- DNS
    "dns.unreachable": Entry(
        "DNS サーバー{server}に問い合わせが届きません（タイムアウト）。named が止まっている、"
        "/etc/resolv.conf の nameserver が違う、またはファイアウォールが 53 番を閉じています。",
        "the DNS server{server} does not answer (timeout): named is stopped, the nameserver "
        "in /etc/resolv.conf is wrong, or a firewall closes port 53.",
        "cat /etc/resolv.conf; dig {name} {type}",
    ),
    "dns.missing-record": Entry(
        "{name} の {type} レコードがありません（{status}）。DNS サーバーのゾーンファイルに"
        "レコードを書き、シリアル番号を上げて再読み込みしてください。",
        "there is no {type} record for {name} ({status}): add it to the zone file on the DNS "
        "server, increase the serial and reload.",
        "dig {name} {type}",
    ),
    "dns.wrong-record": Entry(
        "{name} の {type} レコードが {actual} です（期待 {expected}）。",
        "the {type} record of {name} is {actual}, expected {expected}.",
        "dig {name} {type}",
    ),
    "dns.servfail": Entry(
        "DNS サーバーが {status} を返しました。SERVFAIL ならゾーンファイルの読み込みに失敗して"
        "います（named-checkzone で確かめられます）。REFUSED ならそのサーバーはこの名前に"
        "答えない設定です（allow-query / recursion）。",
        "the DNS server answered {status}: SERVFAIL means it failed to load the zone "
        "(named-checkzone shows why); REFUSED means it is not configured to answer for this "
        "name (allow-query / recursion).",
        "sudo named-checkzone {zone} （ゾーンファイル）",
    ),
    "dns.mx-target-missing": Entry(
        "{name} の MX は {target} を指していますが、{target} の A レコードがありません。",
        "{name}'s MX points at {target}, which has no A record.",
        "dig {target} A",
    ),
    # ---------------------------------------------------------------- firewall
    "firewall.not-reloaded": Entry(
        "--permanent で {service} を許可しましたが、実行中の設定にはまだ反映されていません。"
        "firewall-cmd --reload を忘れていませんか。",
        "{service} is allowed with --permanent but not in the running configuration: did you "
        "forget firewall-cmd --reload?",
        "sudo firewall-cmd --reload",
    ),
    "firewall.not-permanent": Entry(
        "{service} は今は許可されていますが、--permanent の設定にありません。再起動（または "
        "--reload）すると閉じます。",
        "{service} is allowed now but not in the permanent configuration: a reboot (or "
        "--reload) closes it again.",
        "sudo firewall-cmd --add-service={service} --zone={zone} --permanent",
    ),
    "firewall.not-running": Entry(
        "firewalld が起動していません。firewall-cmd は firewalld が動いていないと設定できません。",
        "firewalld is not running: firewall-cmd cannot change anything without it.",
        "sudo systemctl enable --now firewalld",
    ),
    "firewall.not-installed": Entry(
        "firewalld がインストールされていません。このステップでは firewalld を入れて設定します。",
        "firewalld is not installed: this step installs and configures it.",
        "sudo apt-get install -y firewalld",
    ),
    "firewall.inactive-zone": Entry(
        "{service} はゾーン {zone} で許可されていますが、このゾーンはどのネットワーク"
        "インターフェースにも使われていません（使われているのは {active}）。",
        "{service} is allowed in zone {zone}, but no network interface uses that zone "
        "({active} is in use).",
        "firewall-cmd --get-active-zones",
    ),
    # ---------------------------------------------------------------- Dovecot
    "dovecot.plaintext-refused": Entry(
        "Dovecot が暗号化なしのログインを断っています（{seen}）。10-auth.conf で "
        "disable_plaintext_auth = no、10-ssl.conf で ssl = no（既定は required）にして Dovecot を"
        "再起動してください。同じマシンからの接続は安全とみなされて成功してしまうので、"
        "もう一台から確かめます。",
        "Dovecot refuses logins without encryption ({seen}): set disable_plaintext_auth = no in "
        "10-auth.conf and ssl = no in 10-ssl.conf (the default is required), then restart "
        "Dovecot. Connections from the same machine count as secure, so test from the other "
        "machine.",
        "doveconf disable_plaintext_auth ssl; " + _RESTART_DOVECOT,
    ),
    "dovecot.auth-failed": Entry(
        "ユーザー {user} のログインが失敗しました（AUTHENTICATIONFAILED）。パスワードの誤りか、"
        "そのユーザーがいません（UID が first_valid_uid = 1000 より小さいユーザーも断られます）。",
        "the login of {user} failed (AUTHENTICATIONFAILED): a wrong password or no such user "
        "(users with a UID below first_valid_uid = 1000 are refused too).",
        "sudo doveadm auth test {user}",
    ),
    "dovecot.mail-location-unset": Entry(
        "mail_location が設定されておらず、メールボックスの場所を自動判定できませんでした"
        "（mail_location not set and autodetection failed）。10-mail.conf に "
        "mail_location = mbox:~/mail:INBOX=/var/mail/%u を書いて Dovecot を再起動してください。",
        "mail_location is not set and autodetection failed: put mail_location = "
        "mbox:~/mail:INBOX=/var/mail/%u in 10-mail.conf and restart Dovecot.",
        "doveconf mail_location; " + _RESTART_DOVECOT,
    ),
    "dovecot.mail-privileged-group": Entry(
        "Dovecot が /var/mail/{user} のロックファイルを作れません（Permission denied）。"
        "10-mail.conf に mail_privileged_group = mail を書いて Dovecot を再起動してください。",
        "Dovecot cannot create the lock file for /var/mail/{user} (Permission denied): set "
        "mail_privileged_group = mail in 10-mail.conf and restart Dovecot.",
        "doveconf mail_privileged_group; " + _RESTART_DOVECOT,
    ),
    "dovecot.internal-error": Entry(
        "Dovecot が内部エラーを返しました（{reply}）。原因はサーバーのログにあります"
        "（多いのは mail_location と mail_privileged_group の設定漏れ）。",
        "Dovecot reported an internal error ({reply}): the server log says why (most often "
        "mail_location or mail_privileged_group is not set).",
        "sudo doveadm log errors",
    ),
    # ---------------------------------------------------------------- mailboxes
    "mail.no-mailbox": Entry(
        "{path} がありません。{user} 宛てのメールはまだ一通も配送されていません。送信側の"
        "ログの status= で配送の結果を確かめてください。",
        "{path} does not exist: no mail has been delivered to {user} yet. The status= in the "
        "sender's log says what happened to the mail.",
        "{log} | tail -20",
    ),
    "mail.not-delivered": Entry(
        "{where} に条件（{wanted}）に合うメールがありません。送信したか、送信側のログの "
        "status= で配送の結果を確かめてください。",
        "{where} has no mail matching {wanted}: was it sent? The status= in the sender's log "
        "says what happened to it.",
        "{log} | tail -20",
    ),
    "mail.unread": Entry(
        "メールは {where} に届いていますが、まだ読まれていません。メールを読むコマンド"
        "（{reader}）で一覧の番号を入力してメールを表示し、q で終わると、読んだ印"
        "（Status: RO）が付きます。",
        "the mail is in {where} but has not been read yet: open it in the mail reader "
        "({reader}) by its number and leave with q; that marks it read (Status: RO).",
        "{reader}",
    ),
    "mail.from-differs": Entry(
        "件名の合うメールはありますが、差出人が {actual} です（期待 /{expected}/）。",
        "a mail with the subject is there, but it is from {actual} (expected /{expected}/).",
        "postconf myorigin",
    ),
    # ---------------------------------------------------------------- mail clients
    "client.no-account": Entry(
        "{user} のメールクライアントの設定が見つかりません（Thunderbird の prefs.js にも "
        "~/.muttrc にも {host} のアカウントがありません）。",
        "no mail client account for {user} (neither Thunderbird's prefs.js nor ~/.muttrc "
        "has an account for {host}).",
        "ls -la {home}",
    ),
    "thunderbird.no-profile": Entry(
        "Thunderbird のプロファイルがありません（{path}）。{user} で Thunderbird を一度起動して"
        "アカウントを設定してください。",
        "there is no Thunderbird profile ({path}): start Thunderbird once as {user} and set up "
        "the account.",
        "ls -la {home}/.thunderbird",
    ),
    "thunderbird.no-account": Entry(
        "Thunderbird のプロファイルに {host} の受信サーバーのアカウントがありません。{running}",
        "the Thunderbird profile has no incoming server account for {host}. {running}",
        "grep mail.server {prefs}",
    ),
    "thunderbird.incoming-protocol": Entry(
        "受信サーバーのプロトコルが {actual} です（期待 {expected}）。",
        "the incoming server protocol is {actual}, expected {expected}.",
        "アカウント設定 → サーバー設定",
    ),
    "thunderbird.imap-host": Entry(
        "受信サーバーのホスト名が {actual} です（期待 {expected}）。",
        "the incoming server host name is {actual}, expected {expected}.",
        "アカウント設定 → サーバー設定 → サーバー名",
    ),
    "thunderbird.imap-port": Entry(
        "受信サーバー（IMAP）のポート番号が {actual} です（期待 {expected}）。",
        "the incoming (IMAP) server port is {actual}, expected {expected}.",
        "アカウント設定 → サーバー設定 → ポート",
    ),
    "thunderbird.imap-user": Entry(
        "受信サーバーのユーザー名が {actual} です（期待 {expected}）。",
        "the incoming server user name is {actual}, expected {expected}.",
        "アカウント設定 → サーバー設定 → ユーザー名",
    ),
    "thunderbird.imap-security": Entry(
        "受信サーバーの接続の保護が {actual} です（期待「なし」）。この実習の Dovecot は "
        "ssl = no なので、STARTTLS や SSL/TLS では接続できません。",
        "the incoming server's connection security is {actual} (expected None): this lab's "
        "Dovecot has ssl = no, so STARTTLS or SSL/TLS cannot connect.",
        "アカウント設定 → サーバー設定 → 接続の保護: なし",
    ),
    "thunderbird.imap-auth": Entry(
        "受信サーバーの認証方式が {actual} です（期待「通常のパスワード認証」）。",
        "the incoming server authentication is {actual} (expected Normal password).",
        "アカウント設定 → サーバー設定 → 認証方式: 通常のパスワード認証",
    ),
    "thunderbird.smtp-host": Entry(
        "送信サーバー（SMTP）のホスト名が {actual} です（期待 {expected}）。",
        "the outgoing (SMTP) server host name is {actual}, expected {expected}.",
        "アカウント設定 → 送信サーバー (SMTP) → 編集",
    ),
    "thunderbird.smtp-port": Entry(
        "送信サーバー（SMTP）のポート番号が {actual} です（期待 {expected}）。{why_ja}",
        "the outgoing (SMTP) server port is {actual}, expected {expected}. {why_en}",
        "アカウント設定 → 送信サーバー (SMTP) → 編集 → ポート: {expected}",
    ),
    "thunderbird.smtp-user": Entry(
        "送信サーバーのユーザー名が {actual} です（期待 {expected}）。",
        "the outgoing server user name is {actual}, expected {expected}.",
        "アカウント設定 → 送信サーバー (SMTP) → 編集 → ユーザー名",
    ),
    "thunderbird.smtp-security": Entry(
        "送信サーバーの接続の保護が {actual} です（期待「なし」）。",
        "the outgoing server's connection security is {actual} (expected None).",
        "アカウント設定 → 送信サーバー (SMTP) → 編集 → 接続の保護: なし",
    ),
    "thunderbird.smtp-auth": Entry(
        "送信サーバーの認証方式が {actual} です（期待「通常のパスワード認証」）。認証しないと、"
        "よそのドメイン宛てのメールは Relay access denied で断られます。",
        "the outgoing server authentication is {actual} (expected Normal password): without "
        "authentication mail to other domains is refused with Relay access denied.",
        "アカウント設定 → 送信サーバー (SMTP) → 編集 → 認証方式: 通常のパスワード認証",
    ),
    "thunderbird.identity-email": Entry(
        "アカウントのメールアドレスが {actual} です（期待 {expected}）。",
        "the account's email address is {actual}, expected {expected}.",
        "アカウント設定 → メールアドレス",
    ),
    "mutt.imap-url": Entry(
        "{file} の folder / spoolfile が {actual} です（期待 {expected}）。",
        "folder / spoolfile in {file} is {actual}, expected {expected}.",
        "set folder = \"{expected}\"",
    ),
    "mutt.imap-user": Entry(
        "{file} の IMAP ユーザー名が {actual} です（期待 {expected}）。",
        "the IMAP user name in {file} is {actual}, expected {expected}.",
        "set imap_user = \"{expected}\"",
    ),
    "mutt.smtp-url": Entry(
        "{file} の smtp_url が {actual} です（期待 {expected}）。",
        "smtp_url in {file} is {actual}, expected {expected}.",
        "set smtp_url = \"{expected}\"",
    ),
    "mutt.force-tls": Entry(
        "{file} で ssl_force_tls = yes になっています。この実習のサーバーは暗号化しないので"
        "接続できません。",
        "{file} sets ssl_force_tls = yes: this lab's servers do not encrypt, so it cannot "
        "connect.",
        "set ssl_force_tls = no",
    ),
    "client.smtp-not-seen": Entry(
        "このステップを始めてから、{user} として SMTP 認証した送信がサーバーのログにありません"
        "（sasl_username={user}）。メールクライアントから送信しましたか？ 送信サーバーの設定"
        "（ポート 25、通常のパスワード認証）を確かめてください。",
        "since the step started the server log shows no SMTP AUTH as {user} "
        "(sasl_username={user}): was mail sent from the client? Check the outgoing server "
        "settings (port 25, normal password).",
        "{log} | grep sasl_username | tail -3",
    ),
    "client.imap-not-seen": Entry(
        "このステップを始めてから、{user} の IMAP ログインがサーバーのログにありません"
        "（imap-login: Login: user=<{user}>）。メールクライアントで受信しましたか？",
        "since the step started the server log shows no IMAP login of {user} (imap-login: "
        "Login: user=<{user}>): did the client fetch mail?",
        "{log} | grep imap-login | tail -3",
    ),
    # ---------------------------------------------------------------- files, users, services, logs
    "file.missing": Entry(
        "{path} が存在しません。パス名の打ち間違いか、まだ作成していないようです。",
        "{path} does not exist: a typo in the path, or it has not been created yet.",
        "ls -l {parent}",
    ),
    "file.unexpected-match": Entry(
        "{path} にあってはいけない行が残っています。",
        "{path} still has a line that must not be there.",
        "{path} の {line} 行目",
    ),
    "file.commented-out": Entry(
        "行頭の # を外してください（コメントのままでは設定になりません）。",
        "remove the leading # (a comment is not a setting).",
        "{line}",
    ),
    "file.no-match": Entry(
        "{path} に必要な行がありません。編集して保存したか確認してください。",
        "{path} lacks the line: check that it was edited and saved.",
        "grep -n . {path}",
    ),
    "file.mode-differs": Entry("パーミッションが違います。", "the permission bits differ.",
                               "sudo chmod {mode} {path}"),
    "file.owner-differs": Entry("所有者が違います。", "the owner differs.",
                                "sudo chown {wanted} {path}"),
    "file.group-differs": Entry("グループが違います。", "the group differs.",
                                "sudo chgrp {wanted} {path}"),
    "user.missing": Entry("ユーザー {user} が作成されていません。",
                          "the user {user} has not been created.", "sudo useradd -m {user}"),
    "user.no-password": Entry("passwd {user} がまだ実行されていません。",
                              "passwd {user} has not been run.", "sudo passwd {user}"),
    "user.password-locked": Entry(
        "パスワードはあるがロックされています（passwd -l / usermod -L）。",
        "a password is set but locked (passwd -l / usermod -L).",
        "sudo passwd -u {user}",
    ),
    "service.not-found": Entry(
        "このユニットがありません。パッケージがインストールされていない？ 名前の打ち間違い？",
        "no such unit: is the package installed? Is the name misspelt?",
        "systemctl list-unit-files '{stem}*'",
    ),
    "service.failed": Entry(
        "起動に失敗しました。設定ファイルの誤りが多い原因です。ログで理由を確認してください。",
        "it failed to start, most often for a configuration error: the log says why.",
        "sudo journalctl -u {unit} -n 20 --no-pager",
    ),
    "service.inactive": Entry("サービスが起動していません。", "the service has not been started.",
                              "sudo systemctl start {unit}"),
    "service.not-active": Entry(
        "サービスの状態が {state} です。少し待ってからもう一度確認してください。",
        "the service is {state}: wait a moment and check again.",
        "systemctl status {unit}",
    ),
    "service.no-process": Entry(
        "起動スクリプトが何も起動せずに終わっています（active (exited)）。"
        "設定ファイルでサービスが無効になっていないか確認してください。",
        "the start script finished without starting anything (active (exited)): check that "
        "the service is not disabled in its settings file.",
        "systemctl status {unit}",
    ),
    "service.masked": Entry("マスクされたユニットは起動できません。", "a masked unit cannot start.",
                            "sudo systemctl unmask {unit}"),
    "service.disabled": Entry("再起動するとサービスが止まったままになります。",
                              "after a reboot it will not start.", "sudo systemctl enable {unit}"),
    "log.no-file": Entry(
        "ログファイルがありません。rsyslog が入っていない（Debian 12 の既定）か、"
        "パスが違います。journalctl で見られます。",
        "no such log file: rsyslog is not installed (Debian 12's default) or the path is "
        "wrong; journalctl shows the log.",
        "journalctl -e SYSLOG_FACILITY=2",
    ),
    "log.unexpected-match": Entry(
        "出てはいけないメッセージがログに出ています。行の内容が原因を示しています。",
        "the log shows a message that must not appear: the line says why.",
        "{line}",
    ),
    "log.empty": Entry(
        "ログが 1 行も増えていません。まだ操作（メール送信など）をしていないか、"
        "サービスが動いていないか、ログが別の場所に出ています。",
        "no new log lines at all: the action (sending mail ...) was not done yet, the service "
        "is not running, or it logs elsewhere.",
        "journalctl -e SYSLOG_FACILITY=2",
    ),
    "log.no-match": Entry(
        "期待したメッセージがログにありません。最後の行にエラーが出ていないか見てください。",
        "the expected message is not in the log: look for an error in the last lines.",
        "{look}",
    ),
    # ---------------------------------------------------------------- the DVD
    "dvd.no-disc": Entry(
        "光学ドライブにディスク（ISO イメージ）が入っていません。仮想マシンの設定で、光学"
        "ドライブに ISO イメージを割り当ててください。",
        "there is no disc (ISO image) in the optical drive: attach the ISO image to the "
        "virtual machine's optical drive.",
        "lsblk -o NAME,LABEL,MOUNTPOINT,FSTYPE",
    ),
    "dvd.not-mounted": Entry(
        "ディスク {device}（{label}）は入っていますが、マウントされていません。",
        "the disc {device} ({label}) is inserted but not mounted.",
        "sudo mkdir -p /media/cdrom && sudo mount -o ro {device} /media/cdrom",
    ),
    "dvd.file-missing": Entry(
        "DVD（{mountpoint}）に {pattern} に合うファイルがありません。",
        "the DVD ({mountpoint}) has no file matching {pattern}.",
        "find {mountpoint} -name '{name}'",
    ),
    "package.from-repository": Entry(
        "{package} はファイルからではなく、リポジトリ（{source}）からインストールされています。"
        "DVD のパッケージファイルを指定してインストールし直してください。",
        "{package} was installed from a repository ({source}), not from a file: install it "
        "again naming the package file on the DVD.",
        "{how}",
    ),
    "package.not-installed": Entry(
        "{package} がインストールされていません。",
        "{package} is not installed.",
        "{how}",
    ),
}


def diagnose(code: str, **values: object) -> Diagnosis:
    """The diagnosis `code` with its message fields filled from `values`."""
    entry = CATALOGUE[code]
    return Diagnosis(code, t(_fill(entry.ja, values), _fill(entry.en, values)),
                     _fill(entry.suggestion, values))


def mail_log_hint(platform: str | None) -> str:
    """The command that prints this platform's mail log, for suggestions (`{log} | tail -20`).

    AlmaLinux's rsyslog writes /var/log/maillog (root only); a stock Debian 12 has no rsyslog,
    and its journal holds the mail log whether or not rsyslog was added.
    """
    if platform == "almalinux9":
        return "sudo cat /var/log/maillog"
    return "sudo journalctl -q --no-pager -u postfix@- -u dovecot -u saslauthd"


__all__ = ["CATALOGUE", "Entry", "diagnose", "mail_log_hint"]
