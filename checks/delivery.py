"""Delivery checks: the message is in the mailbox; the mail log shows where it went.

`mail_delivered` reads the user's mbox (/var/mail/USER or /var/spool/mail/USER, whichever
exists) with the mailbox module, never grep: headers are decoded, so a Japanese subject
matches. Reading another user's mailbox needs root (mode 0660, owner USER, group mail).
With `read: yes` the message must also have been read: s-nail and mutt write `Status: RO`
into the mbox when they leave it, and Dovecot keeps IMAP's \\Seen flag as the same `R`.

`mail_log_delivery` reads the mail log lines written since the step started (the platform's
log file, else the journal) and follows Postfix's delivery records:
`to=<user2@example2.jp>, relay=mail.example2.jp[192.168.56.102]:25, ... status=sent` or
`relay=local ... status=sent (delivered to mailbox)`. A later `sent` outweighs an earlier
`deferred` (the queue was retried). For a deferral or bounce the `(reason)` names the cause:
`451 4.3.5` is the restriction typo on the receiving server, `type=MX: Host not found, try
again` an unreachable DNS server, `Host not found` a missing record, `Relay access denied` a
reply to the host name (`@mail.example1.jp`) or the receiver's mydestination, `No route to
host` the receiver's firewall, `Connection refused` its Postfix or inet_interfaces, `loops
back to myself` mydestination.

Diagnoses: mail.no-mailbox, mail.not-delivered, mail.unread, mail.from-differs, mail.not-sent,
mail.wrong-route, mail.deferred, mail.bounced, mail.reply-to-hostname, mail.unknown-user,
postfix.unknown-restriction, postfix.relay-denied-by-peer, postfix.peer-refused,
postfix.mydestination, firewall.closed, dns.unreachable, dns.missing-record, net.timeout,
plus any cause found in the log by `known_problems` (postfix.not-running ...).
"""

from __future__ import annotations

import mailbox
import re

from maillab_tui.check import Context, Result, check, denied, error, failed, passed, t
from maillab_tui.checking.probes import mask
from maillab_tui.mail.delivery import Delivery, parse_delivery
from maillab_tui.mail.diagnoses import diagnose, mail_log_hint
from maillab_tui.mail.dns import same_name
from maillab_tui.mail.maillog import (
    SINCE_STEP_OR_ALL,
    MailLog,
    delivery_diagnosis,
    finding_diagnosis,
    known_problems,
    read_mail_log_from,
)
from maillab_tui.mail.mbox import mailbox_path, read_mbox


@check(
    "mail_delivered",
    "ユーザーのメールボックス（mbox）に、差出人と件名が一致するメールがある / "
    "The user's mbox holds a message with the given sender and subject.",
    told={"subject_pattern": "regex"},
)
def mail_delivered(ctx: Context, user: str, subject_pattern: str,
                   from_pattern: str | None = None, path: str | None = None,
                   read: bool = False) -> Result:
    """Read the mbox with the mailbox module and look for the message (last 500 messages).

    Parameters:
        user: the mailbox owner
        subject_pattern: a regex the decoded Subject must match
        from_pattern: a regex the From header (or envelope sender) must match
        path: the mbox file (default /var/mail/USER or /var/spool/mail/USER)
        read: the message must also be read (Status: RO, IMAP's \\Seen)
    """
    try:
        subject_re = re.compile(subject_pattern)
        from_re = re.compile(from_pattern) if from_pattern else None
    except re.error as exc:
        return error(t(f"正規表現が不正です: {exc}", f"bad regex: {exc}"))
    log = mail_log_hint(ctx.platform)
    name = path or mailbox_path(ctx, user)
    if name is None:
        return failed(t(f"{user} のメールボックスがありません", f"{user} has no mailbox"),
                      f"/var/mail/{user}, /var/spool/mail/{user}: no such file",
                      diagnose("mail.no-mailbox", path=f"/var/mail/{user}", user=user, log=log))
    try:
        messages = read_mbox(ctx.path(name))
    except PermissionError:
        return denied(t(f"{name} を読む権限がありません。root（sudo maillab-tui）か {user} "
                       "本人として実行してください。",
                       f"permission denied reading {name}: run as root (sudo maillab-tui) or "
                       f"as {user}."))
    except (FileNotFoundError, mailbox.NoSuchMailboxError):
        return failed(t(f"{name} がありません", f"{name} does not exist"), name,
                      diagnose("mail.no-mailbox", path=name, user=user, log=log))
    except IsADirectoryError:
        return error(t(f"{name} はディレクトリです（mbox ではありません）",
                       f"{name} is a directory, not an mbox"))
    wanted = f"Subject /{subject_pattern}/" + (f", From /{from_pattern}/" if from_pattern else "")
    by_subject = [m for m in messages if subject_re.search(m.subject)]
    hits = [m for m in by_subject
            if from_re is None or from_re.search(m.sender) or from_re.search(m.envelope)]
    if hits and read and not any(m.read for m in hits):
        reader = "mail" if ctx.platform == "almalinux9" else "s-nail"
        return failed(t(f"{name} のメール（{hits[-1].subject}）はまだ読まれていません",
                        f"the message in {name} ({hits[-1].subject}) has not been read"),
                      [f"{name}: {len(messages)} messages", hits[-1].shown() + "  (unread)"],
                      diagnose("mail.unread", where=name, reader=reader))
    if hits:
        shown = next((m for m in reversed(hits) if m.read), hits[-1]) if read else hits[-1]
        return passed(t(f"{name} にメールが届いています（{shown.subject}）"
                        + ("。読まれています" if read else ""),
                        f"{name} holds the message ({shown.subject})"
                        + (", and it was read" if read else "")),
                      [f"{name}: {len(messages)} messages",
                       shown.shown() + ("  (read)" if shown.read else "")])
    if by_subject:
        actual = by_subject[-1].sender or by_subject[-1].envelope
        return failed(t(f"件名の合うメールの差出人が {actual} です",
                        f"the message is from {actual}"),
                      [f"{name}: {len(messages)} messages", by_subject[-1].shown()],
                      diagnose("mail.from-differs", actual=actual, expected=from_pattern or ""))
    return failed(
        t(f"{name} に条件に合うメールがありません（{len(messages)} 通を確認）",
          f"{name} has no matching message ({len(messages)} checked)"),
        [f"{name}: {len(messages)} messages", *(m.shown() for m in messages[-5:])],
        diagnose("mail.not-delivered", where=name, wanted=wanted, log=log),
    )


def _route_ok(delivery: Delivery, relay: str | None) -> bool:
    """True when a sent delivery went where it should: `local`, a relay host, or anywhere."""
    if not relay:
        return True
    if relay == "local":
        return delivery.relay == "local" or delivery.agent in ("local", "virtual")
    return same_name(delivery.relay_host, relay) or delivery.relay_address == relay


@check(
    "mail_log_delivery",
    "メールログに、宛先への配送の成功（status=sent）が記録されている（relay: 相手のホスト名 か "
    "local） / The mail log shows the message to a recipient sent (to the relay, or locally).",
    docs={"since": SINCE_STEP_OR_ALL.doc},
)
def mail_log_delivery(ctx: Context, to: str, relay: str | None = None,
                      since: str = "step") -> Result:
    """Follow `to=<TO>` delivery records in the log; explain the last failure if none is sent.

    Parameters:
        to: the recipient address, e.g. user2@example2.jp
        relay: the expected next hop: a host name or address, or "local" (default: any)
    """
    log = read_mail_log_from(ctx, since)
    if not isinstance(log, MailLog):
        return log
    mine = [d for d in (parse_delivery(line) for line in log.lines)
            if d is not None and d.to.lower() == to.lower()]
    sent = [d for d in mine if d.status == "sent"]
    good = [d for d in sent if _route_ok(d, relay)]
    masked = [mask(d.line, ctx.secrets) for d in mine[-3:]]
    if good:
        last = good[-1]
        where_ = "ローカルのメールボックス" if last.relay == "local" else last.relay
        return passed(t(f"{to} 宛てのメールは配送されました（{where_}）",
                        f"mail for {to} was delivered ({last.relay})"),
                      [f"{log.source}:", mask(last.line, ctx.secrets)])
    if sent:
        last = sent[-1]
        return failed(t(f"{to} 宛てのメールが {last.relay} に配送されました（期待 {relay}）",
                        f"mail for {to} went to {last.relay}, expected {relay}"),
                      [f"{log.source}:", *masked],
                      diagnose("mail.wrong-route", to=to, actual=last.relay, expected=relay,
                               domain=to.rpartition("@")[2]))
    if not mine:
        # The right local part at another domain (a reply to user1@mail.example1.jp rather
        # than user1@example1.jp) explains why nothing went to the address asked for.
        local = to.rpartition("@")[0].lower()
        near = [d for d in (parse_delivery(line) for line in log.lines)
                if d is not None and d.status != "sent"
                and d.to.lower().rpartition("@")[0] == local and d.to.lower() != to.lower()]
        if near:
            last = near[-1]
            return failed(
                t(f"{to} ではなく {last.to} 宛てに送られ、status={last.status} です",
                  f"mail went to {last.to} instead of {to}, and is {last.status}"),
                [f"{log.source}:", mask(last.line, ctx.secrets)],
                delivery_diagnosis(ctx, last),
            )
    if mine:
        last = mine[-1]
        return failed(
            t(f"{to} 宛てのメールは status={last.status} です（{last.reason}）",
              f"mail for {to} is {last.status} ({last.reason})"),
            [f"{log.source}:", *masked],
            delivery_diagnosis(ctx, last),
        )
    findings = known_problems(log.lines)
    if findings:
        finding = findings[0]
        return failed(t(f"{to} 宛ての配送記録がなく、ログにエラーがあります",
                        f"no delivery record for {to}, and the log shows an error"),
                      [f"{log.source}:", mask(finding.line, ctx.secrets)],
                      finding_diagnosis(finding, ctx))
    return failed(t(f"{to} 宛ての配送記録がログにありません",
                    f"the log has no delivery record for {to}"),
                  f"{log.source}: {len(log.lines)} lines, no to=<{to}>",
                  diagnose("mail.not-sent", to=to, log=mail_log_hint(ctx.platform)))
