"""The `service_active` check: a systemd unit is running (and, if asked, enabled at boot).

Debian's postfix.service is a placeholder (a oneshot running /bin/true that stays "active"):
the daemon itself runs as postfix@-.service, which can have failed while postfix.service still
says active. `maillab_tui.platform.daemon_units` names such units; this check requires them
to be active too, and reports their failure.
"""

from __future__ import annotations

from maillab_tui.check import (
    Context,
    Result,
    check,
    error,
    failed,
    passed,
    render,
    t,
)
from maillab_tui.checking.probes import tool_missing
from maillab_tui.mail.diagnoses import diagnose
from maillab_tui.mail.maillog import journal_denied

_NO_SYSTEMD = ("System has not been booted with systemd", "Failed to connect to bus")


def _unit_name(unit: str) -> str:
    """`postfix` as `postfix.service`; names with a suffix stay as they are."""
    return unit if "." in unit else f"{unit}.service"


def _journal_tail(ctx: Context, unit: str) -> tuple[list[str], bool]:
    """The unit's last 5 journal lines, and whether the journal was readable."""
    proc = ctx.run(["journalctl", "-u", unit, "-n", "5", "--no-pager"])
    text = proc.output
    if proc.missing or journal_denied(text):
        return [], False
    return [line for line in text.splitlines() if line and not line.startswith("-- ")], True


def _not_found(ctx: Context, unit: str) -> bool:
    """True when systemd has no such unit (`systemctl status` exits 4: could not be found)."""
    proc = ctx.run(["systemctl", "status", "--no-pager", "--lines=0", unit])
    return proc.returncode == 4 or "could not be found" in proc.output


def _inactive(ctx: Context, unit: str, state: str, asked: str, before: list[str]) -> Result:
    """The failure for a unit that is not active, with the diagnosis for its state.

    `before` is the evidence so far: the wrapper unit that said active, on Debian.
    """
    result = _inactive_unit(ctx, unit, state, asked)
    if not before:
        return result
    note = t(f"（{asked} は active ですが、実際に動くのは {unit} です）",
             f" ({asked} says active, but the daemon runs as {unit})")
    message = t(render(result.message, "ja") + note.ja, render(result.message, "en") + note.en)
    return failed(message, [*before, *result.evidence], result.diagnosis)


def _inactive_unit(ctx: Context, unit: str, state: str, asked: str) -> Result:
    """The failure for one unit that is not active."""
    if _not_found(ctx, unit):
        return failed(
            t(f"{unit} というサービスはありません", f"there is no unit {unit}"),
            f"systemctl status {unit}: Unit {unit} could not be found.",
            diagnose("service.not-found", stem=unit.split(".")[0]),
        )
    if state == "failed":
        lines, readable = _journal_tail(ctx, unit)
        note_ja = "" if readable else "（ジャーナルを読むには sudo が必要です）"
        note_en = "" if readable else " (reading the journal needs sudo)"
        return failed(
            t(f"{unit} は起動に失敗しています（failed）{note_ja}",
              f"{unit} has failed{note_en}"),
            [f"systemctl is-active {unit}: failed", *lines],
            diagnose("service.failed", unit=unit),
        )
    if state in ("inactive", "unknown", ""):
        return failed(
            t(f"{unit} が起動していません（{state or 'inactive'}）",
              f"{unit} is not running ({state or 'inactive'})"),
            f"systemctl is-active {unit}: {state or 'inactive'}",
            diagnose("service.inactive", unit=asked),
        )
    return failed(
        t(f"{unit} はまだ動作中ではありません（{state}）", f"{unit} is not active yet ({state})"),
        f"systemctl is-active {unit}: {state}",
        diagnose("service.not-active", state=state, unit=unit),
    )


def _process_running(ctx: Context, name: str) -> bool:
    """True when some process's command name (or its program's file name) is `name`."""
    proc_root = ctx.path("/proc")
    try:
        entries = [e for e in proc_root.iterdir() if e.name.isdigit()]
    except OSError:
        return False
    for entry in entries:
        try:
            comm = (entry / "comm").read_text().strip()
            argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if name in (comm, argv0.rsplit("/", 1)[-1]):
            return True
    return False


@check(
    "service_active",
    "systemd のサービスが起動している（enabled: yes なら自動起動も） / "
    "A systemd service is running (and, with enabled, starts at boot).",
)
def service_active(ctx: Context, unit: str, enabled: bool = False,
                   process: str | None = None) -> Result:
    """Ask `systemctl is-active` (and `is-enabled`); a failed unit shows its last log lines.

    Parameters:
        unit: the unit, e.g. postfix or dovecot.service
        enabled: also require systemctl is-enabled = enabled
        process: also require a running process of this name (an LSB unit is 'active (exited)' even
            when its script started nothing)
    """
    name = _unit_name(unit)
    evidence: list[str] = []
    for current in (name, *ctx.daemon_units(name)):
        proc = ctx.run(["systemctl", "is-active", current])
        problem = tool_missing(proc)
        if problem is not None:
            return problem
        if any(s in proc.output for s in _NO_SYSTEMD):
            return error(t("systemd が動いていないため確認できません",
                           "systemd is not running here"),
                         proc.output.splitlines()[:2])
        state = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""
        if state != "active":
            return _inactive(ctx, current, state, name, evidence)
        evidence.append(f"systemctl is-active {current}: active")
    if process and not _process_running(ctx, process):
        return failed(
            t(f"{name} は active ですが、{process} のプロセスが動いていません",
              f"{name} is active but no {process} process runs"),
            [*evidence, f"no process named {process}"],
            diagnose("service.no-process", unit=name),
        )
    if enabled:
        proc = ctx.run(["systemctl", "is-enabled", name])
        state = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""
        evidence.append(f"systemctl is-enabled {name}: {state or proc.output}")
        if state == "masked":
            return failed(
                t(f"{name} はマスクされています", f"{name} is masked"), evidence,
                diagnose("service.masked", unit=name),
            )
        if state not in ("enabled", "enabled-runtime", "static", "indirect", "generated", "alias"):
            return failed(
                t(f"{name} は起動していますが、自動起動が有効ではありません（{state or '?'}）",
                  f"{name} is running but not enabled at boot ({state or '?'})"),
                evidence,
                diagnose("service.disabled", unit=name),
            )
        return passed(t(f"{name} は起動中で、自動起動も有効です", f"{name} is running and enabled"),
                      evidence)
    return passed(t(f"{name} は起動中です", f"{name} is running"), evidence)
