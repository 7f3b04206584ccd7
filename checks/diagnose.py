"""The diagnoses of the checks, and `mail_log_clean`: no known error in the mail log.

Every failure of the mail, file, user, service and log checks carries one of the stable
codes below (the other checks name theirs in their own docstrings); a chapter attaches a
hint to a code (`hints: {code: text}`). The messages (Japanese and English, naming the cause
and the fix) live in maillab_tui/mail/diagnoses.py; tests/unit/test_checks_mail_diagnoses.py
keeps this table and that catalogue equal.

## Diagnoses

| code | the cause it names | raised by |
|---|---|---|
| postfix.not-running | port 25 refuses: Postfix stopped | smtp_*, port_reachable, mail_log_delivery (postdrop) |
| postfix.inet-interfaces | refused on the address, 127.0.0.1 answers: inet_interfaces = localhost | smtp_*, port_reachable |
| postfix.restart-needed | inet_interfaces changed with reload only | mail_log_clean |
| postfix.boot-order | `no local interface found`: Postfix started before the network | mail_log_clean |
| dovecot.not-running | 143/110 refuse: Dovecot stopped or protocol missing | imap_login, pop3_login, port_reachable |
| port.refused | another port refuses | port_reachable |
| firewall.closed | `No route to host` (firewalld reject), or the service not allowed | smtp_*, imap/pop3, port_reachable, firewall_service, mail_log_delivery |
| net.timeout | no answer: wrong address, host down, dropping firewall | all protocol checks, mail_log_delivery |
| net.unreachable | `Network is unreachable`: IP configuration | all protocol checks |
| smtp.slow-banner | connected but no 220: reverse DNS lookup of the client hangs | smtp_* |
| postfix.smtpd-closed | smtpd hangs up at once (a fatal: error, e.g. no SASL mechanisms) | smtp_* |
| postfix.myhostname | the 220 greeting names another host | smtp_banner |
| postfix.sasl-disabled | EHLO without AUTH: smtpd_sasl_auth_enable missing | smtp_auth_offered, smtp_auth |
| postfix.auth-needs-tls | AUTH only after STARTTLS (smtpd_tls_auth_only) | smtp_auth_offered, smtp_auth |
| sasl.no-mechanisms | no PLAIN/LOGIN: cyrus-sasl-plain / libsasl2-modules, mech_list | smtp_auth*, mail_log_clean |
| smtp.auth-failed | 535: wrong password, no user, saslauthd mechanism | smtp_auth, thunderbird_seen |
| smtp.auth-too-lenient | a wrong password was accepted | smtp_auth (expect failure) |
| saslauthd.unreachable | 454 4.7.0: saslauthd stopped, or outside the chroot on Debian | smtp_auth, saslauthd_ok, mail_log_clean |
| saslauthd.not-running | the saslauthd service is not active | saslauthd_ok |
| saslauthd.auth-failed | testsaslauthd says NO | saslauthd_ok |
| postfix.open-relay | an unauthenticated client may relay | smtp_relay_denied |
| postfix.mynetworks-peer | the server's mynetworks trusts the other host (host2's printed mynetworks) | smtp_relay_denied |
| postfix.unknown-restriction | 451 4.3.5: a misspelt restriction (reject_unauth_destinaition) | smtp_*, mail_log_delivery, mail_log_clean |
| postfix.sasl-not-permitted | relay refused after AUTH: permit_sasl_authenticated missing | smtp_relay_after_auth |
| postfix.mydestination | the domain is not local: mydestination / `loops back to myself` | smtp_accepts_mail, mail_log_delivery |
| mail.unknown-user | `User unknown`: the recipient has no account | smtp_accepts_mail, mail_log_delivery |
| smtp.unexpected-reply | a reply no known cause explains | smtp_* |
| mail.not-sent | no delivery record for the recipient since the step started | mail_log_delivery |
| mail.deferred | deferred for a reason not listed here | mail_log_delivery |
| mail.bounced | bounced for a reason not listed here | mail_log_delivery |
| mail.wrong-route | delivered, but not via the expected relay | mail_log_delivery |
| postfix.peer-refused | the receiving server refused port 25 | mail_log_delivery |
| postfix.relay-denied-by-peer | the receiving server said Relay access denied | mail_log_delivery |
| mail.reply-to-hostname | addressed to @mail.example1.jp (a host name), should be @example1.jp | mail_log_delivery |
| dns.unreachable | the DNS server does not answer (`Host not found, try again`) | dns_record, protocol checks by name, mail_log_delivery |
| dns.missing-record | NXDOMAIN or no record of the type (`Host not found`) | dns_record, protocol checks by name, mail_log_delivery |
| dns.wrong-record | the record has another value | dns_record |
| dns.servfail | SERVFAIL / REFUSED: the zone did not load, or the server refuses | dns_record |
| dns.mx-target-missing | the MX target has no A record | dns_record |
| firewall.not-reloaded | allowed with --permanent, not reloaded | firewall_service |
| firewall.not-permanent | allowed at runtime only | firewall_service |
| firewall.not-running | firewalld installed but stopped | firewall_service |
| firewall.not-installed | firewalld missing where the step installs it | firewall_service |
| firewall.inactive-zone | allowed in a zone no interface uses | firewall_service |
| dovecot.plaintext-refused | LOGINDISABLED / PRIVACYREQUIRED: disable_plaintext_auth, ssl = required | imap_login, pop3_login, thunderbird_seen |
| dovecot.auth-failed | AUTHENTICATIONFAILED: wrong password or user | imap_login, pop3_login, thunderbird_seen |
| dovecot.mail-location-unset | `mail_location not set and autodetection failed` | imap_login, pop3_login, mail_log_clean |
| dovecot.mail-privileged-group | `file_dotlock_create(...) failed: Permission denied` | imap_login, pop3_login, mail_log_clean |
| dovecot.internal-error | SERVERBUG without a known cause in the log | imap_login, pop3_login |
| mail.no-mailbox | /var/mail/USER does not exist | mail_delivered |
| mail.unread | the mail arrived but was not read (no Status: RO) | mail_delivered |
| mail.not-delivered | no message with the subject (and sender) | mail_delivered, imap_login, pop3_login |
| mail.from-differs | the subject matches, the sender does not | mail_delivered |
| client.no-account | neither Thunderbird nor Mutt is set up | mail_client_account |
| thunderbird.no-profile | no profiles.ini | thunderbird_account |
| thunderbird.no-account | no account for the IMAP host in prefs.js | thunderbird_account, mail_client_account |
| thunderbird.incoming-protocol | the incoming server is POP3, not IMAP | thunderbird_account, mail_client_account |
| thunderbird.imap-host | the incoming server's host name | thunderbird_account, mail_client_account |
| thunderbird.imap-port | the incoming server's port | thunderbird_account, mail_client_account |
| thunderbird.imap-user | the incoming server's user name | thunderbird_account, mail_client_account |
| thunderbird.imap-security | incoming connection security is not None | thunderbird_account, mail_client_account |
| thunderbird.imap-auth | incoming authentication is not Normal password | thunderbird_account, mail_client_account |
| thunderbird.smtp-host | the outgoing server's host name (or none) | thunderbird_account, mail_client_account |
| thunderbird.smtp-port | the outgoing port (143 copied from the printed IMAP table) | thunderbird_account, mail_client_account |
| thunderbird.smtp-user | the outgoing server's user name | thunderbird_account, mail_client_account |
| thunderbird.smtp-security | outgoing connection security is not None | thunderbird_account, mail_client_account |
| thunderbird.smtp-auth | outgoing authentication is not Normal password (or the client sent without AUTH) | thunderbird_account, mail_client_account, thunderbird_seen |
| thunderbird.identity-email | the account's address | thunderbird_account, mail_client_account |
| mutt.imap-url | folder / spoolfile is not imap://HOST:143/ | mail_client_account |
| mutt.imap-user | imap_user (or the URL's user) | mail_client_account |
| mutt.smtp-url | smtp_url is not smtp://USER@HOST:25/ | mail_client_account |
| mutt.force-tls | ssl_force_tls = yes | mail_client_account |
| client.smtp-not-seen | no `sasl_username=USER` in the log since the step started | thunderbird_seen |
| client.imap-not-seen | no `imap-login: Login: user=<USER>` since the step started | thunderbird_seen |
| file.missing | the file is not there (a typo in the path, or not created yet) | file_exists, file_contains, file_mode |
| file.unexpected-match | a line that must not be there is still there (`absent: true`) | file_contains |
| file.commented-out | the line is there but still behind `#` | file_contains |
| file.no-match | no line matches | file_contains |
| file.mode-differs | the permission bits differ | file_mode |
| file.owner-differs | the owner differs | file_mode |
| file.group-differs | the group differs | file_mode |
| user.missing | the account does not exist | user_exists, password_set |
| user.no-password | `passwd USER` was not run | password_set |
| user.password-locked | the password is locked (passwd -l) | password_set |
| service.not-found | no such unit: package not installed, or a typo | service_active |
| service.failed | the unit failed to start (the journal says why) | service_active |
| service.inactive | the unit was not started | service_active |
| service.not-active | the unit is activating or reloading: wait | service_active |
| service.no-process | active (exited) with no process (disabled in its settings file) | service_active |
| service.masked | the unit is masked | service_active |
| service.disabled | running but not enabled at boot | service_active (enabled: true) |
| log.no-file | the log file given does not exist (no rsyslog) | log_contains |
| log.unexpected-match | a message that must not appear (`absent: true`) | log_contains |
| log.empty | nothing logged since the step started | log_contains |
| log.no-match | no line matches | log_contains |
| dvd.no-disc | no disc in the optical drive | dvd_mounted |
| dvd.not-mounted | the disc is there but not mounted | dvd_mounted |
| dvd.file-missing | the mounted disc lacks the file pattern | dvd_mounted |
| package.from-repository | installed from a repository, not a file | package_from_file |
| package.not-installed | not installed | package_from_file (same code as package_installed) |
"""  # noqa: E501 (a table)

from __future__ import annotations

from maillab_tui.check import Context, Result, check, failed, passed, t
from maillab_tui.checking.probes import mask
from maillab_tui.mail.maillog import (
    SINCE_STEP_OR_ALL,
    MailLog,
    finding_diagnosis,
    known_problems,
    read_mail_log_from,
)


@check(
    "mail_log_clean",
    "このステップの開始以降、メールログに既知のエラー（制限名の誤り、saslauthd に届かない、"
    "Dovecot の設定漏れなど）が出ていない / "
    "Since the step started, the mail log shows no known error.",
    docs={"since": SINCE_STEP_OR_ALL.doc},
)
def mail_log_clean(ctx: Context, since: str = "step") -> Result:
    """Fail with the diagnosis of the first known problem in the mail log, if any."""
    log = read_mail_log_from(ctx, since)
    if not isinstance(log, MailLog):
        return log
    findings = known_problems(log.lines)
    if not findings:
        return passed(t("メールログに既知のエラーはありません",
                        "the mail log shows no known error"),
                      f"{log.source}: {len(log.lines)} lines")
    first = findings[0]
    return failed(t(f"メールログにエラーがあります（{len(findings)} 種類）",
                    f"the mail log shows {len(findings)} known error(s)"),
                  [f"{log.source}:", *(mask(f.line, ctx.secrets) for f in findings[:5])],
                  finding_diagnosis(first, ctx))
