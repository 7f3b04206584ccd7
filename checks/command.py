"""The `command` check: run one program (no shell) and compare its exit status and output.

Unlike the built-in `shell` check it runs an exact argument list, may expect a status other
than 0 (e.g. `postqueue -p` or `grep -q` failing on purpose), and masks secrets in evidence.
"""

from __future__ import annotations

import re

from maillab_tui.check import Context, Diagnosis, Result, check, error, failed, passed, t
from maillab_tui.checking.probes import Argv, mask, tool_missing


@check(
    "command",
    "コマンドを（シェルを通さずに）実行し、終了コードと出力を確かめる / "
    "Run a command (no shell); check its exit status and output.",
)
def command(ctx: Context, argv: Argv, expect_status: int = 0,
            expect_output: str | None = None, max_seconds: float = 30.0) -> Result:
    """Run `argv`; pass when the status is `expect_status` and the output matches.

    Parameters:
        argv: the command: a list of arguments, or a string split like a shell does
        expect_status: the exit status that passes
        expect_output: a regex that stdout+stderr must match
        max_seconds: give up (error) after this many seconds
    """
    regex = None
    if expect_output:
        try:
            regex = re.compile(expect_output, re.MULTILINE)
        except re.error as exc:
            return error(t(f"正規表現 /{expect_output}/ が不正です: {exc}",
                           f"bad regex /{expect_output}/: {exc}"))
    proc = ctx.run(list(argv), timeout=max_seconds)
    shown = " ".join(argv)
    problem = tool_missing(proc)
    if problem is not None:
        return problem
    output = mask(proc.output, ctx.secrets)
    evidence = [f"$ {mask(shown, ctx.secrets)}", *output.splitlines()[-10:],
                f"(exit {proc.returncode})"]
    if proc.returncode != expect_status:
        return failed(
            t(f"{argv[0]} の終了コードが {proc.returncode} です（期待値 {expect_status}）",
              f"{argv[0]} exited with {proc.returncode}, expected {expect_status}"),
            evidence,
            Diagnosis("command.status-differs",
                      t("コマンドが期待どおりに終了しませんでした。出力にエラーの理由が出ています。",
                        "the command did not end as expected: its output says why."),
                      shown),
        )
    if regex is not None and not regex.search(proc.output):
        return failed(
            t(f"{argv[0]} の出力が /{expect_output}/ に一致しません",
              f"the output of {argv[0]} does not match /{expect_output}/"),
            evidence,
            Diagnosis("command.output-differs",
                      t("コマンドの出力が期待と違います。",
                        "the command's output is not the expected one."),
                      shown),
        )
    return passed(t(f"{argv[0]} は期待どおりに終了しました", f"{argv[0]} ended as expected"),
                  evidence)
