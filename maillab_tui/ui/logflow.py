"""The log pane's source: the mail log file or the journal, followed as the learner, or
through sudo when the learner may not read it (a stock machine's first user is in neither
`adm` nor `systemd-journal`; AlmaLinux's /var/log/maillog is root's only).

The follower runs in its own thread; its lines go into the app's bounded buffer and its
changes of state arrive as messages, which LabApp's handlers hand back here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from maillab_tui.mail.logfollow import (
    FileFollower,
    FollowStatus,
    JournalFollower,
    follow_as_root,
    follow_mail_log,
    permission_message,
)
from maillab_tui.system import is_root
from maillab_tui.ui.messages import LogLinesReady, LogStatusChanged
from maillab_tui.ui.strings import tr
from maillab_tui.ui.widgets.logview import LogPane

if TYPE_CHECKING:
    from maillab_tui.ui.app import LabApp

SUDO_TRIES = 3
"""As sudo itself: three tries at the password, then the how-to-fix message."""


class LogFlow:
    """Which follower feeds the log pane, and the switch to sudo when reading is denied."""

    def __init__(self, app: LabApp) -> None:
        self.app = app
        self.follower: FileFollower | JournalFollower | None = None
        self.sudo_tries = 0

    def _callbacks(self) -> tuple[Callable[[list[str]], None], Callable[[FollowStatus], None]]:
        """What a follower's thread calls: lines into the buffer, changes of state as messages."""
        app = self.app

        def on_lines(lines: list[str]) -> None:
            if app.buffer.push(lines):
                app.post_message(LogLinesReady())

        def on_status(status: FollowStatus) -> None:
            app.post_message(LogStatusChanged(status))

        return on_lines, on_status

    def start(self) -> None:
        """Follow the mail log file (or the journal) in a thread; lines arrive in batches."""
        app = self.app
        on_lines, on_status = self._callbacks()
        if app.log_path is not None:
            follower: FileFollower | JournalFollower = FileFollower(
                app.log_path, on_lines, on_status, platform=app.session.platform,
                history=app.log_history)
        else:
            follower = follow_mail_log(app.session.platform, on_lines, on_status,
                                       history=app.log_history)
        self.follower = follower
        pane = app.query_one(LogPane)
        pane.set_source(follower.source)
        # The history of a log file is read here, so that it comes before the mark of the
        # first step; new lines then arrive from the follower's thread.
        pane.view.write_lines(follower.prime())
        follower.start()

    def status_changed(self, status: FollowStatus) -> None:
        """Show problems reading the log (and how to fix them) above the lines; when the
        learner may not read it, follow it through sudo as the textbook's `sudo tail -f`."""
        app = self.app
        pane = app.query_one(LogPane)
        if status.state == "denied" and not is_root() and self.sudo_tries < SUDO_TRIES:
            self.sudo_tries += 1
            pane.set_problem("⚠ " + tr("log.sudo", app.language))
            app.run_worker(partial(self._follow_as_root, self.sudo_tries > 1), thread=True,
                           exclusive=True, group="log-sudo", exit_on_error=False)
            return
        alarm = pane.show_status(status)
        if alarm:
            app.notify(alarm, severity="warning", timeout=15)

    def _follow_as_root(self, wrong: bool) -> None:
        """Worker thread: the sudo password (remembered, or asked once in the lab's own
        prompt), then the log through `sudo tail -F` or `sudo journalctl -f`."""
        app = self.app
        password = app.checks.sudo_password(wrong, "log.sudo-prompt")
        if password is None:
            self.sudo_tries = SUDO_TRIES  # the learner said no: say how, and do not ask again
            app.call_from_thread(self._denied_for_good)
            return
        on_lines, on_status = self._callbacks()
        follower = follow_as_root(app.session.platform, on_lines, on_status, password,
                                  path=app.log_path, history=app.log_history)
        app.call_from_thread(self._switch, follower)

    def _switch(self, follower: JournalFollower) -> None:
        if self.follower is not None:
            self.follower.stop()
        self.follower = follower
        self.app.query_one(LogPane).set_source(follower.source)
        follower.start()

    def _denied_for_good(self) -> None:
        source = self.follower.source if self.follower is not None else "the mail log"
        self.app.query_one(LogPane).show_status(FollowStatus(
            "denied", source, permission_message(source, self.app.session.platform)))

    def stop(self) -> None:
        """Stop the follower (its thread, its child process)."""
        if self.follower is not None:
            self.follower.stop()
            self.follower = None
