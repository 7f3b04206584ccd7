"""The `doveconf` check: a Dovecot setting's effective value (`doveconf -h NAME`).

Dovecot lists (protocols, auth_mechanisms, listen) are compared item by item, in any order.
Two kinds of unknown name are told apart:
- the configuration has a setting Dovecot does not know (`doveconf: Fatal: Error in
  configuration file ... Unknown setting: NAME`): Dovecot will not start at all;
- the name asked about is unknown: Dovecot 2.3.19 prints nothing, older ones say
  `Unknown setting`; the check compares it with the names in `doveconf -d`.
Both carry a near-miss suggestion.
"""

from __future__ import annotations

from collections.abc import Sequence

from maillab_tui.check import Context, Diagnosis, Result, check, failed, passed, t
from maillab_tui.checking.probes import (
    near_miss,
    permission_denied,
    present_items,
    same_list,
    split_list,
    tool_missing,
    unknown_name,
)
from maillab_tui.mail.settings import DOVECOT_COMMON_SETTINGS, setting_names, unknown_setting


def _names(ctx: Context, base: Sequence[str]) -> list[str]:
    """The top-level settings Dovecot knows (`doveconf -d`); empty when that cannot be run."""
    proc = ctx.run([*base, "-d"], timeout=20)
    return setting_names(proc.stdout) if proc.returncode == 0 else []


@check(
    "doveconf",
    "Dovecot の設定の実際の値（doveconf -h）が期待どおり / "
    "A Dovecot setting's effective value (doveconf -h) is as expected.",
    told={"expect": "literal"},
)
def doveconf(ctx: Context, param: str, expect: str | None = None,
             contains: list[str] | None = None, absent: list[str] | None = None,
             config_file: str | None = None) -> Result:
    """Read `doveconf -h PARAM`; fail on a wrong value, an unknown name or a broken config.

    Parameters:
        param: the setting, e.g. mail_location or service/imap-login/... paths
        expect: the whole value; lists compare item by item in any order
        contains: items the list must include (e.g. imap, pop3)
        absent: items the list must not include
        config_file: read this file instead (doveconf -c FILE)
    """
    base = ["doveconf", *(["-c", config_file] if config_file else [])]
    proc = ctx.run([*base, "-h", param])
    problem = tool_missing(proc, "dovecot")
    if problem is not None:
        return problem
    text = proc.output
    fatal = [line for line in proc.stderr.splitlines() if "Fatal" in line or "Error" in line]
    bad = unknown_setting(text)
    if bad is not None and (bad != param or "configuration file" in text):
        return unknown_name(
            bad, near_miss(bad, _names(ctx, base) or DOVECOT_COMMON_SETTINGS),
            t(f"Dovecot の設定に知らない設定名 {bad} があります",
              f"the Dovecot configuration has an unknown setting {bad}"),
            fatal[:3], "dovecot.unknown-setting",
            t("この誤りがあると Dovecot は起動できません。ファイル名と行番号はエラーに出ています。",
              "Dovecot will not start with this error: the message names the file and line."),
            "doveconf -n")
    value = proc.stdout.strip()
    unknown = bad == param
    names: list[str] = []
    if not unknown and not fatal and not value and "/" not in param:
        names = _names(ctx, base)
        unknown = bool(names) and param not in names
    if unknown:
        return unknown_name(
            param, near_miss(param, names or _names(ctx, base) or DOVECOT_COMMON_SETTINGS),
            t(f"{param} という Dovecot の設定はありません", f"Dovecot has no setting {param}"),
            [f"doveconf -h {param}: {text or '(no output)'}"], "doveconf.unknown-setting",
            t(f"{param} という設定名はありません。", f"there is no setting {param}."),
            "doveconf -d", asked=True)
    if proc.returncode != 0 or fatal:
        if "Permission denied" in text:
            return permission_denied(config_file or "/etc/dovecot", ctx.platform)
        return failed(
            t("Dovecot の設定にエラーがあります", "the Dovecot configuration has an error"),
            fatal[:3] or text.splitlines()[:3],
            Diagnosis("dovecot.config-error",
                      t("設定ファイルの誤りで Dovecot が設定を読めません。",
                        "Dovecot cannot read its configuration."),
                      "doveconf -n"),
        )
    shown = f"{param} = {value}"
    if expect is not None and not same_list(value, expect, ordered=False):
        return failed(
            t(f"{param} の値が違います", f"{param} has another value"),
            [shown, f"expected: {param} = {expect}"],
            Diagnosis("doveconf.value-differs",
                      t(f"{param} は「{value}」ですが、「{expect}」のはずです。"
                        "編集したファイル（conf.d/ のどれか）と、"
                        "コメントの # を外したかを確認してください。",
                        f"{param} is '{value}' but should be '{expect}': check which "
                        "conf.d file you edited and that the # was removed."),
                      f"doveconf -n | grep {param}"),
        )
    items = split_list(value)
    missing = [i for i in contains or [] if i not in items]
    if missing:
        return failed(
            t(f"{param} に {', '.join(missing)} が含まれていません",
              f"{param} does not include {', '.join(missing)}"),
            [shown],
            Diagnosis("doveconf.item-missing",
                      t(f"{param} に {', '.join(missing)} がありません。"
                        "必要なパッケージ（dovecot-imapd など）が入っているか、"
                        "設定を確認してください。",
                        f"{param} lacks {', '.join(missing)}: is the package (dovecot-imapd ...) "
                        "installed, and the setting right?"),
                      f"doveconf {param}"),
        )
    problem = present_items(param, items, absent, shown, "doveconf.item-present",
                            f"doveconf {param}")
    if problem is not None:
        return problem
    return passed(t(f"{param} は期待どおりです", f"{param} is as expected"), [shown])
