"""The `postconf` check: a Postfix parameter's effective value, compared the way Postfix reads it.

`postconf -h NAME` prints the value in effect (main.cf or the compiled default). Lists are
compared as Postfix splits them (commas and whitespace), so `localhost, 192.168.56.101`,
`localhost,192.168.56.101` and `localhost 192.168.56.101` are equal. Order counts for
`*_restrictions` (it is their meaning) and not for other lists unless `ordered` says so.
A value that is a conditional default expression (Postfix 3.6+ writes smtpd_relay_restrictions
as `${{$compatibility_level} <level {1} ? ...}`) is also compared expanded, as if `expand`.

It also catches what `postfix check` lets through:
- an unknown restriction in a `*_restrictions` list (the textbook's own
  `reject_unauth_destinaition`), which only shows when mail arrives (`451 4.3.5 Server
  configuration error`): diagnosis `postfix.unknown-restriction`, even without `expect`;
- a misspelt parameter name in main.cf (`my_networks`), which Postfix ignores with
  `warning: ... unused parameter`: diagnosis `postfix.unknown-parameter`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from maillab_tui.check import Context, Diagnosis, Result, check, error, failed, passed, t
from maillab_tui.checking.probes import (
    near_miss,
    present_items,
    same_list,
    split_list,
    tool_missing,
    unknown_name,
)
from maillab_tui.mail.settings import (
    POSTFIX_COMMON_PARAMETERS,
    POSTFIX_RESTRICTIONS,
    UnusedParameter,
    parameter_names,
    unknown_parameter,
    unknown_restrictions,
    unused_parameters,
)

_REFERENCE = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|\(([A-Za-z0-9_]+)\)|([A-Za-z0-9_]+))")


def _names(ctx: Context, base: Sequence[str]) -> list[str]:
    """Every parameter name Postfix knows (`postconf -d`) plus a built-in list of common ones."""
    proc = ctx.run([*base, "-d"], timeout=20)
    return [*parameter_names(proc.stdout), *POSTFIX_COMMON_PARAMETERS]


def _typo_of(ctx: Context, base: Sequence[str], name: str,
             unused: Sequence[UnusedParameter]) -> UnusedParameter | None:
    """The unused main.cf setting whose closest real parameter name is `name`."""
    if not unused:
        return None
    names = _names(ctx, base)
    return next((u for u in unused if near_miss(u.name, names) == name), None)


def _unknown_parameter_result(param: str, typo: UnusedParameter, real: str | None) -> Result:
    """The failure for a main.cf name Postfix does not know (it ignores the line)."""
    right = real or "?"
    return unknown_name(
        typo.name, real,
        t(f"{typo.file} の {typo.name} は Postfix が知らないパラメータ名です",
          f"{typo.file}: Postfix does not know the parameter {typo.name}"),
        [f"postconf: warning: {typo.file}: unused parameter: {typo.line}"],
        "postfix.unknown-parameter",
        t(f"{typo.name} という名前は無視され、{right} は既定値のままです。"
          "postfix check は警告するだけなので気づきにくい誤りです。",
          f"{typo.name} is ignored, so {right} keeps its default: postfix check only "
          "warns about it."),
        f"postconf -n {param}")


def _expanded_expectation(ctx: Context, base: Sequence[str], expect: str) -> str:
    """`expect` with `$name` references replaced by their values from `postconf -x -h`."""
    names = list(dict.fromkeys(a or b or c for a, b, c in _REFERENCE.findall(expect)))
    if not names:
        return expect
    proc = ctx.run([*base, "-x", "-h", *names])
    values = proc.stdout.splitlines()
    if proc.returncode != 0 or len(values) != len(names):
        return expect
    lookup = dict(zip(names, values, strict=True))
    return _REFERENCE.sub(lambda m: lookup.get(m.group(1) or m.group(2) or m.group(3), m.group(0)),
                          expect)


@check(
    "postconf",
    "Postfix のパラメータの実際の値（postconf -h）が期待どおり / "
    "A Postfix parameter's effective value (postconf -h) is as expected.",
    told={"expect": "literal"},
)
def postconf(
    ctx: Context,
    param: str,
    expect: str | None = None,
    contains: list[str] | None = None,
    absent: list[str] | None = None,
    expand: bool = False,
    ordered: bool | None = None,
    config_dir: str | None = None,
    check_unused: bool = False,
) -> Result:
    """Read `postconf -h PARAM` and compare it; also catch unknown restrictions and names.

    Parameters:
        param: the parameter name, e.g. mynetworks
        expect: the whole value, compared as a Postfix list
        contains: items the list must include
        absent: items the list must not include
        expand: also compare with $names expanded (postconf -x), so $mydomain matches example1.jp
        ordered: order of list items counts (default: yes for *_restrictions)
        config_dir: read DIR/main.cf instead (postconf -c DIR)
        check_unused: also fail for any name in main.cf Postfix does not know
    """
    base = ["postconf", *(["-c", config_dir] if config_dir else [])]
    proc = ctx.run([*base, "-h", param])
    problem = tool_missing(proc, "postfix")
    if problem is not None:
        return problem
    if "fatal:" in proc.stderr or proc.returncode != 0:
        fatal = [line for line in proc.stderr.splitlines() if "fatal" in line] or [proc.output]
        return error(t("postconf が設定を読めませんでした",
                       "postconf could not read the configuration"),
                     fatal[:3])
    unused = unused_parameters(proc.stderr)
    if unknown_parameter(proc.stderr) == param:
        return unknown_name(
            param, near_miss(param, _names(ctx, base)),
            t(f"{param} は Postfix が知らないパラメータです", f"Postfix has no parameter {param}"),
            [f"postconf: warning: {param}: unknown parameter"], "postconf.unknown-parameter",
            t(f"{param} というパラメータはありません。", f"there is no parameter {param}."),
            "postconf -d", asked=True)
    value = proc.stdout.strip()
    shown = f"{param} = {value}"

    if param.endswith("_restrictions"):
        bad = unknown_restrictions(value)
        if bad:
            classes = split_list(ctx.run([*base, "-h", "smtpd_restriction_classes"]).stdout)
            bad = unknown_restrictions(value, classes)
        if bad:
            return unknown_name(
                bad[0], near_miss(bad[0], [*POSTFIX_RESTRICTIONS, *classes]),
                t(f"{param} に Postfix が知らない制限 {', '.join(bad)} があります",
                  f"{param} has a restriction Postfix does not know: {', '.join(bad)}"),
                [shown], "postfix.unknown-restriction",
                t("postfix check は何も言いませんが、メールを受け取るたびにログに"
                  f'「warning: unknown smtpd restriction: "{bad[0]}"」が出て、'
                  "相手には 451 4.3.5 Server configuration error が返ります。",
                  "postfix check says nothing, but every incoming mail logs "
                  f"'warning: unknown smtpd restriction: \"{bad[0]}\"' and the sender "
                  "gets 451 4.3.5 Server configuration error."),
                f"postconf -n {param}")

    is_ordered = param.endswith("_restrictions") if ordered is None else ordered
    expanded_value: str | None = None
    if expand or "${" in value:  # a conditional default (Postfix 3.6+) only means its expansion
        xproc = ctx.run([*base, "-x", "-h", param])
        if xproc.returncode == 0 and "invalid option" not in xproc.stderr:
            expanded_value = xproc.stdout.strip()
    if expanded_value is not None and expanded_value != value:
        shown += f"  (→ {expanded_value})"

    form_differs = False
    if expect is not None:
        ok = same_list(value, expect, ordered=is_ordered)
        if not ok and expanded_value is not None:
            ok = same_list(expanded_value, _expanded_expectation(ctx, base, expect),
                           ordered=is_ordered)
            form_differs = ok
        if not ok:
            typo = _typo_of(ctx, base, param, unused)
            if typo is not None:
                return _unknown_parameter_result(param, typo, param)
            explicit = ctx.run([*base, "-n", param]).stdout.strip()
            note = t("" if explicit else "（main.cf では設定されておらず、既定値のままです）",
                     "" if explicit else " (not set in main.cf: this is the default)")
            return failed(
                t(f"{param} の値が違います{note.ja}", f"{param} has another value{note.en}"),
                [shown, f"expected: {param} = {expect}"],
                Diagnosis("postconf.value-differs",
                          t(f"{param} は「{value}」ですが、「{expect}」のはずです。"
                            "main.cf を保存したか、postfix reload したかも確認してください。",
                            f"{param} is '{value}' but should be '{expect}': check that "
                            "main.cf was saved and postfix reloaded."),
                          f"sudo postconf -e '{param} = {expect}'"),
            )

    items = split_list(value)
    if expanded_value is not None:
        items += split_list(expanded_value)
    missing = [i for i in contains or [] if i not in items]
    if missing:
        typo = _typo_of(ctx, base, param, unused)
        if typo is not None:
            return _unknown_parameter_result(param, typo, param)
        return failed(
            t(f"{param} に {', '.join(missing)} が含まれていません",
              f"{param} does not include {', '.join(missing)}"),
            [shown],
            Diagnosis("postconf.item-missing",
                      t(f"{param} に {', '.join(missing)} を追加してください。",
                        f"add {', '.join(missing)} to {param}."),
                      f"postconf -n {param}"),
        )
    problem = present_items(param, items, absent, shown, "postconf.item-present",
                            f"postconf -n {param}")
    if problem is not None:
        return problem

    if check_unused:
        nproc = ctx.run([*base, "-n"])
        everything = unused_parameters(nproc.stderr) or unused
        if everything:
            names = _names(ctx, base)
            first = everything[0]
            result = _unknown_parameter_result(param, first, near_miss(first.name, names))
            more = [f"postconf: warning: {u.file}: unused parameter: {u.line}"
                    + (f"  ({s}?)" if (s := near_miss(u.name, names)) else "")
                    for u in everything]
            return failed(result.message, more, result.diagnosis)

    if form_differs:
        return passed(t(f"{param} は期待どおりです（「{value}」は教科書の「{expect}」と書き方が"
                        "違いますが、Postfix が読む値は同じです）",
                        f"{param} is as expected ('{value}' is written differently from the "
                        f"textbook's '{expect}', but Postfix reads the same)"),
                      [shown, f"expected: {param} = {expect}"])
    return passed(t(f"{param} は期待どおりです", f"{param} is as expected"), [shown])
