"""Reading a user's mbox: where it is and a summary of each message.
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from pathlib import Path

from maillab_tui.checking.api import Context
from maillab_tui.mail.sessions import decoded

# --------------------------------------------------------------------------- mailboxes


@dataclass(frozen=True)
class MessageSummary:
    """The envelope sender, From and Subject of one message, and whether it was read.

    A mail reader marks a message read in the mbox itself: s-nail and mutt write `Status: RO`
    when they save the mailbox, Dovecot stores IMAP's \\Seen flag as the same `R`.
    """

    envelope: str
    sender: str
    subject: str
    read: bool = False

    def shown(self) -> str:
        """`From: ... Subject: ...` for evidence."""
        return f"From: {self.sender or self.envelope}  Subject: {self.subject}"


def mailbox_path(ctx: Context, user: str) -> str | None:
    """/var/mail/USER or /var/spool/mail/USER, whichever exists (as a path on the host)."""
    for name in (f"/var/mail/{user}", f"/var/spool/mail/{user}"):
        try:
            if ctx.path(name).exists():
                return name
        except PermissionError:
            return name
    return None


def read_mbox(path: Path, limit: int = 500) -> list[MessageSummary]:
    """The last `limit` messages of an mbox file, read with the mailbox module.

    mailbox.mbox opens the file read-write when it may (it falls back to read-only) but this
    only reads: nothing is added, removed, locked or flushed. PermissionError propagates.
    """
    box = mailbox.mbox(str(path), create=False)
    try:
        keys = list(box.keys())[-limit:]
        out: list[MessageSummary] = []
        for key in keys:
            message = box.get_message(key)
            envelope = (message.get_from() or "").split(" ", 1)[0]
            out.append(MessageSummary(envelope, decoded(message.get("From")),
                                      decoded(message.get("Subject")), "R" in message.get_flags()))
        return out
    finally:
        box.close()
