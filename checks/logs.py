"""The `log_contains` check: the mail log has (or, with `absent`, has not) a matching line.

The log is the file the platform's syslog writes (/var/log/maillog on AlmaLinux,
/var/log/mail.log on Debian with rsyslog), or another `path`; when no such file exists (Debian
12 has no rsyslog by default) it is the journal: the mail facility, or the given `units`.
Only lines since the step started count by default, so an old success or error in the log
does not decide today's check. Both syslog timestamp formats are read (`Nov 28 18:14:06` and
RFC 3339 `2026-11-28T18:14:06.123456+09:00`, Debian's rsyslog default).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from maillab_tui.check import Context, Result, check, error, failed, passed, t
from maillab_tui.checking.probes import (
    log_lines_since,
    mask,
    parse_duration,
    permission_denied,
    tool_missing,
)
from maillab_tui.mail.diagnoses import diagnose
from maillab_tui.mail.maillog import journal_denied


def _start(ctx: Context, since: str) -> tuple[float | None, bool]:
    """The epoch seconds to read from (None: everything), and whether `since` made sense."""
    if since in ("", "step"):
        return ctx.since, True
    if since == "all":
        return None, True
    seconds = parse_duration(since)
    if seconds is None:
        return None, False
    return time.time() - seconds, True


def _journal(ctx: Context, start: float | None, units: list[str] | None) -> tuple[list[str], str,
                                                                                 Result | None]:
    """The journal lines since `start` for `units` (default: the mail facility)."""
    argv = ["journalctl", "--no-pager", "-o", "short"]
    if start is not None:
        argv += ["--since", f"@{int(start)}"]
    if units:
        for unit in units:
            argv += ["-u", unit]
    else:
        argv.append("SYSLOG_FACILITY=2")  # mail: postfix, dovecot, and postdrop run by `mail`
    proc = ctx.run(argv, timeout=30)
    source = " ".join(argv)
    problem = tool_missing(proc)
    if problem is not None:
        return [], source, error(
            t("メールログのファイルがなく、journalctl も使えません",
              "there is no mail log file and journalctl cannot be used"), proc.output)
    if journal_denied(proc.output):
        return [], source, permission_denied("the journal", ctx.platform, log=True)
    if proc.returncode != 0:
        return [], source, error(t("journalctl が失敗しました", "journalctl failed"),
                                 proc.output.splitlines()[-3:])
    return [line for line in proc.stdout.splitlines() if line and not line.startswith("-- ")], \
        source, None


@check(
    "log_contains",
    "メールログ（または指定したログ）に正規表現に一致する行がある（absent: yes なら、ない） / "
    "The mail log (or another log) has a line matching a regex (or, with absent, has none).",
)
def log_contains(ctx: Context, pattern: str, path: str | None = None,
                 units: list[str] | None = None, since: str = "step",
                 absent: bool = False) -> Result:
    """Search the log lines written since `since` for `pattern`.

    Parameters:
        pattern: a Python regex searched in each line
        path: the log file (default: the platform's mail log, else the journal)
        units: journal units when there is no log file (default: the mail facility)
        since: "step" (lines since the step started), a duration like "10m" or "1h", or "all"
        absent: pass only when no line matches
    """
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        return error(t(f"正規表現 /{pattern}/ が不正です: {exc}", f"bad regex /{pattern}/: {exc}"))
    start, ok = _start(ctx, since)
    if not ok:
        return error(t(f'since "{since}" が読めません（step、all、10m、1h など）',
                       f'cannot read since "{since}" (step, all, 10m, 1h ...)'))
    lines: Iterable[str]
    file: Path | None
    if path:
        file = ctx.path(path)
        if not file.exists():
            return failed(
                t(f"ログファイル {path} がありません", f"there is no log file {path}"),
                path,
                diagnose("log.no-file"),
            )
        shown_source = path
    else:
        file = found = ctx.mail_log()
        shown_source = "/" + str(found.relative_to(ctx.files_root)) if found is not None else ""
    if file is not None:
        lines = log_lines_since(file, start)
    else:
        journal_lines, shown_source, problem = _journal(ctx, start, units)
        if problem is not None:
            return problem
        lines = journal_lines
    matches: deque[str] = deque(maxlen=5)
    tail: deque[str] = deque(maxlen=5)
    count = seen = 0
    try:
        for line in lines:
            seen += 1
            tail.append(line)
            if regex.search(line):
                count += 1
                matches.append(line)
    except PermissionError:
        return permission_denied(shown_source, ctx.platform, log=True)
    except IsADirectoryError:
        return error(t(f"{shown_source} はディレクトリです", f"{shown_source} is a directory"))
    span = t("このステップの開始以降", "since the step started") if start is not None and \
        since in ("", "step") else t(f"（{since}）", f"({since})")
    evidence_matches = [mask(m, ctx.secrets) for m in matches]
    if absent:
        if count:
            return failed(
                t(f"ログに /{pattern}/ に一致する行が {count} 行あります",
                  f"the log has {count} line(s) matching /{pattern}/"),
                [f"{shown_source}:", *evidence_matches],
                diagnose("log.unexpected-match", line=evidence_matches[-1]),
            )
        return passed(t(f"ログに /{pattern}/ に一致する行はありません",
                        f"the log has no line matching /{pattern}/"),
                      f"{shown_source}: {seen} lines")
    if count:
        return passed(t(f"ログに一致する行があります（{count} 行）",
                        f"the log has {count} matching line(s)"),
                      [f"{shown_source}:", *evidence_matches[-3:]])
    if not seen:
        return failed(
            t(f"{span.ja}、ログに何も出ていません", f"nothing was logged {span.en}"),
            f"{shown_source}: 0 lines",
            diagnose("log.empty"),
        )
    return failed(
        t(f"ログに /{pattern}/ に一致する行がありません",
          f"the log has no line matching /{pattern}/"),
        [f"{shown_source}: {seen} lines, the last ones:", *(mask(x, ctx.secrets) for x in tail)],
        diagnose("log.no-match",
                 look=f"tail {shown_source}" if file is not None else "journalctl -e"),
    )
