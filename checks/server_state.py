"""Are the running Postfix and Dovecot using the configuration on disk?

A learner edits main.cf (or 10-auth.conf), checks the syntax, and forgets to restart: every
value check of the file passes while the server still behaves the old way. These checks
compare the files' modification times with the moment the running master process last read
its configuration: when it started, or its last reload in the mail log. A change of
inet_interfaces is only taken at a full restart: `postfix reload` then logs
`ignoring inet_interfaces change`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from maillab_tui.check import Context, Diagnosis, Result, check, error, failed, passed, t
from maillab_tui.checking.probes import log_lines_since, parse_syslog_time
from maillab_tui.mail.patterns import RELOADED, named_as


@dataclass(frozen=True)
class Server:
    """What differs between the servers: how to find the master, its reload line, its name."""

    name: str
    code: str  # the diagnosis code prefix: postfix, dovecot
    programs: tuple[str, ...]
    reload: re.Pattern[str]
    units: tuple[str, ...]


POSTFIX = Server(
    "Postfix", "postfix", ("/usr/lib/postfix/sbin/master", "/usr/libexec/postfix/master"),
    RELOADED["postfix"], ("postfix@-", "postfix"),
)
DOVECOT = Server(
    "Dovecot", "dovecot", ("/usr/sbin/dovecot",),
    RELOADED["dovecot"], ("dovecot",),
)


def master_pid(proc_root: Path, programs: tuple[str, ...] = POSTFIX.programs) -> int | None:
    """The PID of a server's master process, found by its program path in /proc."""
    for entry in proc_root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if cmdline in programs:
            return int(entry.name)
    return None


def process_start(proc_root: Path, pid: int) -> float:
    """When a process started, in epoch seconds (boot time plus its start in clock ticks)."""
    stat = (proc_root / str(pid) / "stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[19])  # field 22 of /proc/PID/stat, counted after "pid (comm)"
    boot = next(
        int(line.split()[1])
        for line in (proc_root / "stat").read_text().splitlines()
        if line.startswith("btime ")
    )
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def log_lines(ctx: Context, since: float, units: tuple[str, ...]) -> list[str]:
    """The mail log from `since` on: the platform's file, else the units' journal."""
    path = ctx.mail_log()
    if path is not None:
        try:
            return list(log_lines_since(path, since))
        except OSError:
            return []
    argv = ["journalctl", "--no-pager", "-o", "short-iso", "--since", f"@{int(since)}"]
    for unit in units:
        argv += ["-u", unit]
    return ctx.run(argv, timeout=15).stdout.splitlines()


def _clock(epoch: float) -> str:
    """A time of day for messages."""
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def loaded_state(ctx: Context, server: Server, files: list[Path]) -> Result:
    """Pass when no file changed after the server last read its configuration."""
    proc_root = ctx.path("/proc")
    pid = master_pid(proc_root, server.programs)
    restart = f"sudo systemctl restart {server.code}"
    if pid is None:
        return failed(
            t(f"{server.name} が動いていません", f"{server.name} is not running"),
            diagnosis=Diagnosis(
                f"{server.code}.not-running",
                t(f"{server.name} のマスタープロセスが見つかりません。",
                  f"no {server.name} master process is running."),
                restart,
            ),
        )
    try:
        started = process_start(proc_root, pid)
    except (OSError, ValueError, IndexError, StopIteration) as exc:
        return error(t(f"{server.name} の起動時刻を読めません: {exc}",
                       f"cannot read when {server.name} started: {exc}"))
    lines = log_lines(ctx, started, server.units)
    reloads = [parse_syslog_time(line) for line in lines if server.reload.search(line)]
    reload_at = max((r for r in reloads if r is not None), default=None)
    loaded = max(started, reload_at or 0.0)
    if reload_at is not None and reload_at >= started:
        how = t(f"{_clock(loaded)} の reload", f"reload at {_clock(loaded)}")
    else:
        how = t(f"{_clock(started)} の起動", f"start at {_clock(started)}")
    changed = []
    for path in files:
        try:
            if path.stat().st_mtime > loaded + 1.0:
                changed.append((path, path.stat().st_mtime))
        except OSError:
            continue
    evidence = [f"{server.code} master pid {pid}: started {_clock(started)}"
                + (f", last reload {_clock(reload_at)}" if reload_at else "")]
    evidence += [f"{p.name}: modified {_clock(m)}" for p, m in changed]
    if changed:
        names = ", ".join(p.name for p, _ in changed)
        return failed(
            t(f"{names} を変更した後、{server.name} が設定を読み直していません",
              f"{names} changed after {server.name} last read its configuration"),
            evidence,
            Diagnosis(
                f"{server.code}.not-reloaded",
                t(f"動いている {server.name} は {how.ja} の時点の設定のままです。"
                  f"変更を反映させるには {server.name} を再起動してください。",
                  f"the running {server.name} still uses the configuration of its {how.en}: "
                  "restart it to apply the change."),
                restart,
            ),
        )
    ignored = next((line for line in lines if named_as(line, "postfix.restart-needed")), None)
    if server is POSTFIX and ignored and reload_at is not None:
        return failed(
            t("inet_interfaces の変更は reload では反映されません",
              "a change of inet_interfaces is not applied by reload"),
            [*evidence, ignored],
            Diagnosis(
                "postfix.restart-needed",
                t("inet_interfaces を変えたときは、reload ではなく再起動が必要です。",
                  "after changing inet_interfaces, Postfix must be restarted, not reloaded."),
                restart,
            ),
        )
    return passed(t(f"{server.name} は今の設定で動いています（{how.ja}）",
                    f"{server.name} runs with the current configuration ({how.en})"), evidence)


def _postfix_files(root: Path) -> list[Path]:
    """main.cf and master.cf."""
    return [root / "main.cf", root / "master.cf"]


def _dovecot_files(root: Path) -> list[Path]:
    """dovecot.conf and conf.d's *.conf (and *.conf.ext)."""
    files = [root / "dovecot.conf"]
    if (root / "conf.d").is_dir():
        files += sorted(p for p in (root / "conf.d").iterdir() if p.suffix in (".conf", ".ext"))
    return files


def _declare_loaded(server: Server, config_dir: str, files: Callable[[Path], list[Path]],
                    named: str, holds: str, description: str) -> None:
    """Declare `<code>_config_loaded` for one server: its files against the master's last read."""

    def config_loaded(ctx: Context, config_dir: str = config_dir) -> Result:
        return loaded_state(ctx, server, files(ctx.path(config_dir)))

    config_loaded.__name__ = config_loaded.__qualname__ = f"{server.code}_config_loaded"
    config_loaded.__doc__ = f"Compare {named} with the master's start or last reload."
    check(config_loaded.__name__, description,
          docs={"config_dir": f"where {holds} are"})(config_loaded)


_declare_loaded(POSTFIX, "/etc/postfix", _postfix_files, "main.cf and master.cf",
                "main.cf and master.cf",
                "動いている Postfix が main.cf/master.cf の今の内容を読み込んでいる / "
                "The running Postfix has read the current main.cf and master.cf.")
_declare_loaded(DOVECOT, "/etc/dovecot", _dovecot_files, "dovecot.conf and conf.d/*.conf",
                "dovecot.conf and conf.d",
                "動いている Dovecot が設定ファイルの今の内容を読み込んでいる / "
                "The running Dovecot has read the current configuration files.")
