"""`service_started_at_boot`: after a reboot, a service came up by itself, after the network.

The textbook asks for a reboot and that Postfix then runs. `After=` in the unit proves the
order is configured, not that the machine really started Postfix: this check asks systemd
about the current boot.

- When start-up finished: the manager's `FinishTimestampMonotonic` (`systemctl show`; 0
  while the machine is still booting).
- The unit's first start in this boot: the journal's "Started" entry of this boot
  (`journalctl -b -u UNIT MESSAGE_ID=39f53479d3a045ac8e11786248231fbf -o json`, systemd's
  catalogued "unit started" message, with its `__MONOTONIC_TIMESTAMP`); a later restart by
  the learner (a later step restarts Postfix) does not hide it. A learner outside
  `systemd-journal` gets the answer through sudo (the check asks for root); with no such
  entry at all, the unit's `ActiveEnterTimestampMonotonic` stands in.
- When the network came up: `network-online.target`'s `ActiveEnterTimestampMonotonic`.

Passes when the unit is active and its first start in this boot came before start-up
finished (systemd started it, nobody by hand) and not before network-online.target. On
Debian the daemon is postfix@-.service (`ctx.daemon_units`).

Diagnoses: boot.not-started (not running after the reboot; the journal's fatal line, such
as `no local interface found for 192.168.56.101`, is the evidence), boot.started-by-hand
(first started after boot: the machine was not rebooted since, or the service failed at boot
and was started by hand), boot.before-network.
"""

from __future__ import annotations

import json

from maillab_tui.check import (
    Context,
    Diagnosis,
    Result,
    check,
    denied,
    error,
    failed,
    passed,
    t,
)
from maillab_tui.checking.probes import tool_missing
from maillab_tui.mail.maillog import journal_denied

STARTED = "39f53479d3a045ac8e11786248231fbf"
"""systemd's MESSAGE_ID for "Started UNIT" (SD_MESSAGE_UNIT_STARTED, systemd's catalog)."""


def _fields(text: str) -> dict[str, str]:
    """`systemctl show -p ...`'s `Key=value` lines as a dictionary."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _show(ctx: Context, *args: str) -> dict[str, str]:
    """`systemctl show -p ...` as a dictionary."""
    return _fields(ctx.run(["systemctl", "show", *args]).stdout)


def _number(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _journal(ctx: Context, unit: str) -> tuple[list[dict[str, str]], list[str]] | None:
    """This boot's journal entries of the unit: its "Started" entries and its last lines.

    None when the journal cannot be read as this user."""
    proc = ctx.run(["journalctl", "-b", "-u", unit, "-o", "json", "--no-pager",
                    f"MESSAGE_ID={STARTED}"])
    if proc.missing:
        return [], []
    if journal_denied(proc.output):
        return None
    started = []
    for line in proc.stdout.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            started.append({k: str(v) for k, v in entry.items()})
    tail = ctx.run(["journalctl", "-b", "-u", unit, "-n", "8", "--no-pager", "-o", "cat"])
    return started, [ln for ln in tail.stdout.splitlines() if ln.strip()]


@check(
    "service_started_at_boot",
    "再起動のとき、サービスがネットワークの準備の後に自分で起動した（手で起動したのではない） / "
    "At the last boot the service started by itself, after the network (not by hand).",
)
def service_started_at_boot(ctx: Context, unit: str) -> Result:
    """Compare the unit's first start in this boot with the end of start-up and the network.

    Parameters:
        unit: the unit, e.g. postfix
    """
    name = unit if "." in unit else f"{unit}.service"
    daemon = (ctx.daemon_units(name) or (name,))[0]
    proc = ctx.run(["systemctl", "show", "-p", "FinishTimestampMonotonic"])
    manager = _fields(proc.stdout)
    if not manager:
        return tool_missing(proc) or error(t("systemd が動いていないため確認できません",
                                             "systemd is not running here"),
                                           proc.output.splitlines()[:2])
    finished = _number(manager.get("FinishTimestampMonotonic"))
    state = _show(ctx, "-p", "ActiveState", "-p", "ActiveEnterTimestampMonotonic", daemon)
    online = _number(_show(ctx, "-p", "ActiveEnterTimestampMonotonic",
                           "network-online.target").get("ActiveEnterTimestampMonotonic"))
    journal = _journal(ctx, daemon)
    if journal is None:
        return denied(t("この起動のジャーナルを読む権限がありません",
                        "no permission to read this boot's journal"))
    starts, tail = journal
    first = min((_number(e.get("__MONOTONIC_TIMESTAMP")) for e in starts), default=0)
    how = "journal"
    if not first:
        first, how = _number(state.get("ActiveEnterTimestampMonotonic")), "systemctl"
    active = state.get("ActiveState") == "active"
    evidence = [f"{daemon}: {state.get('ActiveState', '?')}",
                f"start-up finished at {finished / 1e6:.1f} s, network-online at "
                f"{online / 1e6:.1f} s, {daemon} first started at {first / 1e6:.1f} s ({how})"]
    if not active and not first:
        return failed(
            t(f"再起動の後、{daemon} が動いていません", f"{daemon} is not running after the boot"),
            [*evidence, *tail[-5:]],
            Diagnosis("boot.not-started",
                      t("起動のときに Postfix が止まりました。ログの最後の行が原因です"
                        "（no local interface found なら、ネットワークの準備の前に起動しています。"
                        "network-online.target を待つようにします）。",
                        "it stopped while the machine booted: the last log lines say why (no "
                        "local interface found: it started before the network; make it wait "
                        "for network-online.target)."),
                      f"sudo systemctl edit {name}"),
        )
    if finished and first > finished:
        return failed(
            t(f"{daemon} は起動が終わった後に起動されています（自分で起動したのではありません）",
              f"{daemon} was started after start-up had finished, not by the boot itself"),
            [*evidence, *tail[-5:]],
            Diagnosis("boot.started-by-hand",
                      t("設定の後にまだ再起動していないか、起動のときに失敗して手で起動して"
                        "います。sudo reboot で再起動し、ログインし直してから、手で起動せずに"
                        "もう一度チェックしてください。",
                        "the machine was not rebooted since, or the service failed at boot and "
                        "was started by hand: reboot (sudo reboot), log in again and check "
                        "without starting it yourself."),
                      "sudo reboot"),
        )
    if online and first and first < online:
        return failed(
            t(f"{daemon} がネットワークの準備（network-online.target）より前に起動しています",
              f"{daemon} started before network-online.target"),
            evidence,
            Diagnosis("boot.before-network",
                      t("network-online.target の後に起動するように、Wants= と After= を"
                        "設定します。",
                        "make it start after network-online.target (Wants= and After=)."),
                      f"sudo systemctl edit {name}"),
        )
    if not active:
        return failed(
            t(f"{daemon} は起動のときに起動しましたが、今は動いていません",
              f"{daemon} started at boot but is not running now"),
            [*evidence, *tail[-5:]],
            Diagnosis("boot.not-started",
                      t("起動の後で止まっています。ログの最後の行が原因です。",
                        "it stopped after the boot: the last log lines say why."),
                      f"systemctl status {daemon}"),
        )
    return passed(t(f"{daemon} は再起動のとき、ネットワークの準備の後に自分で起動しました",
                    f"{daemon} started by itself at boot, after the network"), evidence)
