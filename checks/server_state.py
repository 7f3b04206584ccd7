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
from pathlib import Path

from maillab_tui.check import Context, Diagnosis, Param, Result, check, error, failed, passed, t
from maillab_tui.platform import find_mail_log
from maillab_tui.probes import log_lines_since, parse_syslog_time

RELOAD = re.compile(r"postfix/master\[\d+\]: reload -- version")
DOVECOT_RELOAD = re.compile(r"dovecot(?:\[\d+\])?: master: Warning: SIGHUP received - reloading")
IGNORED = re.compile(
    r"postfix/master\[\d+\]: warning: service \S+: ignoring inet_interfaces change"
)
MASTER_PATHS = ("/usr/lib/postfix/sbin/master", "/usr/libexec/postfix/master")
DOVECOT_PATHS = ("/usr/sbin/dovecot",)


def master_pid(proc_root: Path, paths: tuple[str, ...] = MASTER_PATHS) -> int | None:
    """The PID of a server's master process, found by its program path in /proc."""
    for entry in proc_root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if cmdline in paths or (paths is MASTER_PATHS and cmdline.endswith("/postfix/master")):
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


def log_events(
    ctx: Context,
    since: float,
    reload: re.Pattern[str] = RELOAD,
    units: tuple[str, ...] = ("postfix@-", "postfix"),
) -> tuple[float | None, str | None]:
    """The time of the last reload after `since`, and an `ignoring inet_interfaces` line."""
    path = find_mail_log(ctx.platform, ctx.files_root)
    lines: list[str] = []
    if path is not None:
        try:
            lines = list(log_lines_since(path, since))
        except OSError:
            lines = []
    else:
        argv = ["journalctl", "--no-pager", "-o", "short-iso", "--since", f"@{int(since)}"]
        for unit in units:
            argv += ["-u", unit]
        proc = ctx.run(argv, timeout=15)
        lines = proc.stdout.splitlines()
    reload_at: float | None = None
    ignored: str | None = None
    for line in lines:
        if reload.search(line):
            reload_at = parse_syslog_time(line) or reload_at
        elif IGNORED.search(line):
            ignored = line
    return reload_at, ignored


def _clock(epoch: float) -> str:
    """A time of day for messages."""
    return time.strftime("%H:%M:%S", time.localtime(epoch))


@check(
    "postfix_config_loaded",
    "動いている Postfix が main.cf/master.cf の今の内容を読み込んでいる / "
    "The running Postfix has read the current main.cf and master.cf.",
    {"config_dir": Param(str, default="/etc/postfix", doc="where main.cf and master.cf are")},
)
def postfix_config_loaded(ctx: Context, config_dir: str = "/etc/postfix") -> Result:
    """Compare the configuration files' times with the master's start or last reload."""
    proc_root = ctx.path("/proc")
    pid = master_pid(proc_root)
    if pid is None:
        return failed(
            t("Postfix が動いていません", "Postfix is not running"),
            diagnosis=Diagnosis(
                "postfix.not-running",
                t(
                    "Postfix のマスタープロセスが見つかりません。",
                    "no Postfix master process is running.",
                ),
                "sudo systemctl restart postfix",
            ),
        )
    try:
        started = process_start(proc_root, pid)
    except (OSError, ValueError, IndexError, StopIteration) as exc:
        return error(
            t(f"Postfix の起動時刻を読めません: {exc}", f"cannot read when Postfix started: {exc}")
        )
    reload_at, ignored = log_events(ctx, started)
    loaded = max(started, reload_at or 0.0)
    if reload_at and reload_at >= started:
        how = t(f"{_clock(loaded)} の reload", f"reload at {_clock(loaded)}")
    else:
        how = t(f"{_clock(started)} の起動", f"start at {_clock(started)}")
    changed: list[tuple[str, float]] = []
    for name in ("main.cf", "master.cf"):
        try:
            mtime = ctx.path(f"{config_dir}/{name}").stat().st_mtime
        except OSError:
            continue
        if mtime > loaded + 1.0:
            changed.append((name, mtime))
    evidence = [
        f"master pid {pid}: started {_clock(started)}"
        + (f", last reload {_clock(reload_at)}" if reload_at else "")
    ]
    evidence += [f"{config_dir}/{n}: modified {_clock(m)}" for n, m in changed]
    if changed:
        names = ", ".join(n for n, _ in changed)
        return failed(
            t(
                f"{names} を変更した後、Postfix が設定を読み直していません",
                f"{names} changed after Postfix last read its configuration",
            ),
            evidence,
            Diagnosis(
                "postfix.not-reloaded",
                t(
                    f"動いている Postfix は {how.ja} の時点の設定のままです。"
                    "変更を反映させるには Postfix を再起動してください。",
                    f"the running Postfix still uses the configuration of its {how.en}: "
                    "restart it to apply the change.",
                ),
                "sudo systemctl restart postfix",
            ),
        )
    if ignored and (reload_at or 0) >= started:
        return failed(
            t(
                "inet_interfaces の変更は reload では反映されません",
                "a change of inet_interfaces is not applied by reload",
            ),
            [*evidence, ignored],
            Diagnosis(
                "postfix.restart-needed",
                t(
                    "inet_interfaces を変えたときは、reload ではなく再起動が必要です。",
                    "after changing inet_interfaces, Postfix must be restarted, not reloaded.",
                ),
                "sudo systemctl restart postfix",
            ),
        )
    return passed(
        t(
            f"Postfix は今の設定で動いています（{how.ja}）",
            f"Postfix runs with the current configuration ({how.en})",
        ),
        evidence,
    )


def _dovecot_files(root: Path) -> list[Path]:
    """dovecot.conf and the files of conf.d that it includes."""
    files = [root / "dovecot.conf"]
    conf_d = root / "conf.d"
    if conf_d.is_dir():
        files += sorted(p for p in conf_d.iterdir() if p.suffix in (".conf", ".ext"))
    return files


@check(
    "dovecot_config_loaded",
    "動いている Dovecot が設定ファイルの今の内容を読み込んでいる / "
    "The running Dovecot has read the current configuration files.",
    {"config_dir": Param(str, default="/etc/dovecot", doc="where dovecot.conf and conf.d are")},
)
def dovecot_config_loaded(ctx: Context, config_dir: str = "/etc/dovecot") -> Result:
    """Compare dovecot.conf and conf.d/*.conf with the master's start or last reload."""
    proc_root = ctx.path("/proc")
    pid = master_pid(proc_root, DOVECOT_PATHS)
    if pid is None:
        return failed(
            t("Dovecot が動いていません", "Dovecot is not running"),
            diagnosis=Diagnosis(
                "dovecot.not-running",
                t("Dovecot のプロセスが見つかりません。", "no Dovecot process runs."),
                "sudo systemctl restart dovecot",
            ),
        )
    try:
        started = process_start(proc_root, pid)
    except (OSError, ValueError, IndexError, StopIteration) as exc:
        return error(
            t(f"Dovecot の起動時刻を読めません: {exc}", f"cannot read when Dovecot started: {exc}")
        )
    reload_at, _ = log_events(ctx, started, DOVECOT_RELOAD, ("dovecot",))
    loaded = max(started, reload_at or 0.0)
    changed = []
    for path in _dovecot_files(ctx.path(config_dir)):
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if mtime > loaded + 1.0:
            changed.append((path.name, mtime))
    evidence = [
        f"dovecot pid {pid}: started {_clock(started)}"
        + (f", last reload {_clock(reload_at)}" if reload_at else "")
    ]
    evidence += [f"{config_dir}/.../{n}: modified {_clock(m)}" for n, m in changed]
    if changed:
        names = ", ".join(n for n, _ in changed)
        return failed(
            t(
                f"{names} を変更した後、Dovecot が設定を読み直していません",
                f"{names} changed after Dovecot last read its configuration",
            ),
            evidence,
            Diagnosis(
                "dovecot.not-reloaded",
                t(
                    f"動いている Dovecot は {_clock(loaded)} の時点の設定のままです。"
                    "変更を反映させるには Dovecot を再起動してください。",
                    f"the running Dovecot still uses the configuration of {_clock(loaded)}: "
                    "restart it to apply the change.",
                ),
                "sudo systemctl restart dovecot",
            ),
        )
    return passed(
        t("Dovecot は今の設定で動いています", "Dovecot runs with the current configuration"),
        evidence,
    )
