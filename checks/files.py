"""File checks: a file exists, contains (or lacks) a line, has the right mode and owner.

All read-only. Paths are on the checked system (`ctx.path`); a file the probe may not read is
an error that says to use sudo, never a failure of the learner.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat

from maillab_tui.check import Context, Result, check, error, failed, passed, t
from maillab_tui.checking.probes import mask, permission_denied
from maillab_tui.mail.diagnoses import diagnose

_COMMENT = re.compile(r"^\s*#+\s?")


def _missing(path: str) -> Result:
    """The failure for a file that is not there."""
    return failed(
        t(f"{path} がありません", f"{path} does not exist"),
        path,
        diagnose("file.missing", path=path, parent=os.path.dirname(path) or "/"),
    )


def _describe(path: str, st: os.stat_result) -> str:
    """An `ls -l`-like line: mode, owner, group, size, path."""
    return f"{stat.filemode(st.st_mode)} {_user_name(st.st_uid)} {_group_name(st.st_gid)} " \
           f"{st.st_size} {path}"


def _user_name(uid: int) -> str:
    """The user name of `uid`, or the number when it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    """The group name of `gid`, or the number when it has none."""
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


@check(
    "file_exists",
    "ファイル（またはディレクトリ）が存在する / A file or directory exists.",
)
def file_exists(ctx: Context, path: str) -> Result:
    """Pass when `path` exists; the evidence is its `ls -l` line.

    Parameters:
        path: absolute path on the checked host
    """
    target = ctx.path(path)
    try:
        st = target.stat()
    except FileNotFoundError:
        return _missing(path)
    except NotADirectoryError:
        return _missing(path)
    except PermissionError:
        return permission_denied(path, ctx.platform)
    return passed(t(f"{path} があります", f"{path} exists"), _describe(path, st))


@check(
    "file_contains",
    "ファイルに正規表現に一致する行がある（absent: yes なら、ない） / "
    "A file has a line matching a regex (or, with absent, has none).",
    told={"pattern": "regex"},
)
def file_contains(ctx: Context, path: str, pattern: str, absent: bool = False) -> Result:
    """Search `path` line by line for `pattern`; the evidence is `N: line` for each match.

    When nothing matches but a commented-out line would, the diagnosis says to remove the `#`.

    Parameters:
        path: absolute path on the checked host
        pattern: a Python regex searched in each line
        absent: pass only when no line matches
    """
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        return error(t(f"正規表現 /{pattern}/ が不正です: {exc}", f"bad regex /{pattern}/: {exc}"))
    matches: list[str] = []
    commented: list[str] = []
    try:
        with ctx.path(path).open(encoding="utf-8", errors="replace") as handle:
            for number, raw in enumerate(handle, 1):
                line = raw.rstrip("\n")
                if regex.search(line):
                    if len(matches) < 10:
                        matches.append(f"{number}: {mask(line, ctx.secrets)}")
                    else:
                        break
                elif _COMMENT.match(line) and regex.search(_COMMENT.sub("", line, count=1)):
                    commented.append(f"{number}: {mask(line, ctx.secrets)}")
    except (FileNotFoundError, NotADirectoryError):
        return _missing(path)
    except IsADirectoryError:
        return error(t(f"{path} はディレクトリです", f"{path} is a directory"))
    except PermissionError:
        return permission_denied(path, ctx.platform)
    if absent:
        if matches:
            return failed(
                t(f"{path} に /{pattern}/ に一致する行があります",
                  f"{path} has a line matching /{pattern}/"),
                matches,
                diagnose("file.unexpected-match", path=path, line=matches[0].split(":", 1)[0]),
            )
        return passed(t(f"{path} に /{pattern}/ に一致する行はありません",
                        f"{path} has no line matching /{pattern}/"))
    if matches:
        return passed(t(f"{path} に一致する行があります", f"{path} has a matching line"), matches)
    if commented:
        return failed(
            t(f"{path} の該当行がコメントアウトされたままです",
              f"the line in {path} is still commented out"),
            commented[:5],
            diagnose("file.commented-out", line=commented[0]),
        )
    return failed(
        t(f"{path} に /{pattern}/ に一致する行がありません",
          f"{path} has no line matching /{pattern}/"),
        path,
        diagnose("file.no-match", path=path),
    )


@check(
    "file_mode",
    "ファイルのパーミッション・所有者・グループが期待どおり / "
    "A file has the expected permission bits, owner and group.",
)
def file_mode(ctx: Context, path: str, mode: str | None = None, owner: str | None = None,
              group: str | None = None) -> Result:
    """Compare the permission bits, owner and group of `path` with the ones given.

    Parameters:
        path: absolute path on the checked host
        mode: octal permission bits, e.g. "0644" or "644"
        owner: user name or numeric uid
        group: group name or numeric gid
    """
    if mode is not None:
        try:
            wanted_mode: int | None = int(str(mode), 8)
        except ValueError:
            return error(t(f"mode '{mode}' は 8 進数ではありません",
                           f"mode '{mode}' is not an octal number"))
    else:
        wanted_mode = None
    try:
        st = ctx.path(path).stat()
    except (FileNotFoundError, NotADirectoryError):
        return _missing(path)
    except PermissionError:
        return permission_denied(path, ctx.platform)
    evidence = _describe(path, st)
    actual_mode = stat.S_IMODE(st.st_mode)
    if wanted_mode is not None and actual_mode != wanted_mode:
        return failed(
            t(f"{path} のパーミッションが {actual_mode:04o} です（期待値 {wanted_mode:04o}）",
              f"{path} has mode {actual_mode:04o}, expected {wanted_mode:04o}"),
            evidence,
            diagnose("file.mode-differs", mode=f"{wanted_mode:04o}", path=path),
        )
    for kind, wanted, uid_or_gid, name in (
        ("owner", owner, st.st_uid, _user_name(st.st_uid)),
        ("group", group, st.st_gid, _group_name(st.st_gid)),
    ):
        if wanted is None:
            continue
        same = str(uid_or_gid) == wanted if wanted.isdigit() else name == wanted
        if not same:
            ja = "所有者" if kind == "owner" else "グループ"
            return failed(
                t(f"{path} の{ja}が {name} です（期待値 {wanted}）",
                  f"{path} has {kind} {name}, expected {wanted}"),
                evidence,
                diagnose("file.owner-differs" if kind == "owner" else "file.group-differs",
                         wanted=wanted, path=path),
            )
    return passed(t(f"{path} のパーミッションと所有者は期待どおりです",
                    f"{path} has the expected mode and owner"), evidence)
