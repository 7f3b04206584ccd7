"""Small parsers and comparisons the check library shares: one helper per concern, no UI.

Postfix lists, near-miss names, syslog timestamps, `ss` listener lines, reading a log from a
point in time, and the common "the probe cannot run" results.
"""

from __future__ import annotations

import difflib
import re
import shlex
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from maillab_tui.chapter.variables import mask as _mask
from maillab_tui.checking.api import Diagnosis, Result, denied, error, failed
from maillab_tui.system import Proc
from maillab_tui.text import Localized, t

# --------------------------------------------------------------------------- Postfix lists

_LIST_SEPARATORS = re.compile(r"[,\s]+")


def split_list(value: str) -> list[str]:
    """A Postfix list value as its items: split on commas and whitespace, the way Postfix does."""
    return [item for item in _LIST_SEPARATORS.split(value.strip()) if item]


def same_list(actual: str, expected: str, *, ordered: bool = True) -> bool:
    """True when two Postfix list values have the same items (in the same order if `ordered`)."""
    a, b = split_list(actual), split_list(expected)
    return a == b if ordered else sorted(a) == sorted(b)


# --------------------------------------------------------------------------- near misses


def near_miss(word: str, candidates: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The candidate `word` is most likely a typo of, or None (also when `word` is itself one)."""
    pool = list(dict.fromkeys(candidates))
    if word in pool:
        return None
    found = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    if not found:
        lowered = {c.lower(): c for c in pool}
        if word.lower() in lowered:
            return lowered[word.lower()]
    return found[0] if found else None



def unknown_name(name: str, real: str | None, message: Localized, evidence: Sequence[str],
                 code: str, cause: Localized, fallback: str, *, asked: bool = False) -> Result:
    """The failure for a name a tool does not know, suggesting `real` (the known name it is
    most likely a typo of, see `near_miss`). `asked`: the name is the one the check was asked
    about (the fix is the right name), else one found in a configuration (the fix replaces
    it); `fallback` is the fix when nothing is near."""
    if real:
        hint = t(f"（{real} の打ち間違い？）",
                 f" (did you mean {real}?)" if asked else f" (a typo of {real}?)")
        fix = real if asked else f"{name} → {real}"
    else:
        hint, fix = t("", ""), fallback
    return failed(t(message.ja + hint.ja, message.en + hint.en), list(evidence),
                  Diagnosis(code, cause, fix))


def present_items(param: str, items: Sequence[str], absent: Iterable[str] | None, shown: str,
                  code: str, how: str) -> Result | None:
    """The failure when a list setting holds an item it must not (`absent:`), else None."""
    present = [i for i in absent or [] if i in items]
    if not present:
        return None
    listed = ", ".join(present)
    return failed(t(f"{param} に {listed} が含まれています", f"{param} includes {listed}"),
                  [shown],
                  Diagnosis(code, t(f"{param} から {listed} を外してください。",
                                    f"remove {listed} from {param}."), how))


# --------------------------------------------------------------------------- syslog time

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_TRADITIONAL = re.compile(r"^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s")
_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s")
_FUTURE_SLACK = 300.0  # a traditional line up to 5 minutes "in the future" is clock skew


def parse_syslog_time(line: str, now: float | None = None) -> float | None:
    """The epoch seconds a syslog line starts with (traditional or RFC 3339), or None.

    A traditional `Nov 28 18:14:06` has no year: it is read as local time in the latest year
    that does not put it in the future (seen from `now`).
    """
    found = _RFC3339.match(line)
    if found:
        try:
            stamp = datetime.fromisoformat(found.group(1))
        except ValueError:
            return None
        return stamp.timestamp()  # a naive stamp is local time
    found = _TRADITIONAL.match(line)
    if not found or found.group(1) not in _MONTHS:
        return None
    month, day = _MONTHS[found.group(1)], int(found.group(2))
    hour, minute, second = (int(found.group(i)) for i in (3, 4, 5))
    current = time.time() if now is None else now
    year = time.localtime(current).tm_year
    for candidate in range(year, year - 8, -1):  # Feb 29 needs the last leap year
        try:
            epoch = datetime(candidate, month, day, hour, minute, second).timestamp()
        except ValueError:
            continue
        if epoch <= current + _FUTURE_SLACK:
            return epoch
    return None


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float | None:
    """Seconds in `30s`, `10m`, `1h`, `2d` or a bare number of seconds; None if not a duration."""
    found = _DURATION.match(text)
    if not found:
        return None
    return float(found.group(1)) * _UNIT_SECONDS[found.group(2)]


# --------------------------------------------------------------------------- reading a log

_CHUNK = 64 * 1024


def _first_time_after(handle: Any, offset: int, now: float | None) -> float | None:
    """The timestamp of the first complete line after `offset` (None when there is none)."""
    handle.seek(offset)
    if offset:
        handle.readline()  # the partial line we landed in
    for _ in range(50):
        raw = handle.readline()
        if not raw:
            return None
        stamp = parse_syslog_time(raw.decode("utf-8", "replace"), now)
        if stamp is not None:
            return stamp
    return None


def _start_offset(handle: Any, size: int, since: float, now: float | None) -> int:
    """An offset at or before the first line at `since`: step back from the end in chunks."""
    back = _CHUNK
    while back < size:
        offset = size - back
        stamp = _first_time_after(handle, offset, now)
        if stamp is not None and stamp < since:
            return offset
        back *= 4
    return 0


def log_lines_since(path: Path, since: float | None,
                    now: float | None = None) -> Iterator[str]:
    """The lines of a syslog file written at or after `since` (all lines when None).

    Reads only the tail region a recent `since` needs and never holds the file in memory.
    A line without a timestamp belongs to the line before it. `since` counts from its whole
    second, because traditional timestamps have no fractions. Raises OSError like open().
    """
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        floor = None if since is None else float(int(since))
        offset = 0 if floor is None else _start_offset(handle, size, floor, now)
        handle.seek(offset)
        if offset:
            handle.readline()
        keep = floor is None
        for raw in handle:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if floor is not None:
                stamp = parse_syslog_time(line, now)
                if stamp is not None:
                    keep = stamp >= floor
            if keep:
                yield line


# --------------------------------------------------------------------------- ss listeners


@dataclass(frozen=True)
class Listener:
    """One listening socket from `ss -H -l`: local address, port and process names."""

    address: str  # without brackets or %interface; "*" for the any-address
    port: int
    processes: tuple[str, ...] = ()
    line: str = ""

    @property
    def wildcard(self) -> bool:
        """True when it listens on every address (0.0.0.0, ::, *)."""
        return self.address in ("*", "0.0.0.0", "::")

    @property
    def loopback(self) -> bool:
        """True when only this machine itself can reach it (127.0.0.0/8, ::1)."""
        return (self.address.startswith("127.") or self.address == "::1"
                or self.address.startswith("::ffff:127."))

    def accepts(self, address: str) -> bool:
        """True when a connection to `address` on this port reaches this listener."""
        if self.wildcard:
            return not (self.address == "0.0.0.0" and ":" in address)
        return self.address == address.strip("[]") or self.address == f"::ffff:{address}"


_PROCESS = re.compile(r'\("([^"]+)",pid=')


def parse_ss_line(line: str) -> Listener | None:
    """A listener from one line of `ss -H -ltnp` (or -lunp), or None for anything else.

    Example: `LISTEN 0 100 0.0.0.0:25 0.0.0.0:* users:(("master",pid=812,fd=13))`.
    """
    fields = line.split()
    if len(fields) < 5:
        return None
    local = fields[3]
    host, sep, port = local.rpartition(":")
    if not sep or not port.isdigit():
        return None
    host = host.strip("[]").split("%", 1)[0]
    return Listener(host, int(port), tuple(dict.fromkeys(_PROCESS.findall(line))), line.strip())


def parse_ss(output: str) -> list[Listener]:
    """Every listener in `ss -H -l...` output."""
    return [x for x in (parse_ss_line(line) for line in output.splitlines()) if x is not None]


# --------------------------------------------------------------------------- commands


class Argv(tuple[str, ...]):
    """A command as an argument list: a list as it is, a string split like a shell does."""

    def __new__(cls, value: str | Sequence[str] = ()) -> Argv:
        if isinstance(value, str):
            items: Sequence[str] = shlex.split(value)
        elif isinstance(value, Sequence) and all(isinstance(v, str | int | float) for v in value):
            items = [str(v) for v in value]
        else:
            raise ValueError(f"expected a command (text or a list), got {value!r}")
        if not items:
            raise ValueError("the command is empty")
        return super().__new__(cls, items)


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (a password) replaced by ********."""
    return _mask(text, tuple(secrets))


def tool_missing(proc: Proc, hint: str = "") -> Result | None:
    """An error result when the command's program is missing or timed out, else None."""
    program = proc.argv[0] if proc.argv else "?"
    if proc.missing:
        extra_ja = f"（{hint} がインストールされていない？）" if hint else ""
        extra_en = f" ({hint} not installed?)" if hint else ""
        return error(t(f"{program} コマンドが見つかりません{extra_ja}",
                       f"{program}: command not found{extra_en}"), proc.stderr)
    if proc.timed_out:
        return error(t(f"{program} が時間内に終わりませんでした",
                       f"{program} timed out"), proc.output.splitlines()[-5:])
    return None


def permission_denied(path: str, platform: str | None, *, log: bool = False) -> Result:
    """The error for a file the probe may not read, saying how to get the right to read it."""
    if log and platform == "debian12":
        how_ja = ("sudo maillab-tui で実行するか、sudo usermod -aG adm $USER の後に"
                  "ログインし直してください")
        how_en = "run maillab-tui with sudo, or run sudo usermod -aG adm $USER and log in again"
    else:
        how_ja, how_en = "sudo maillab-tui で実行してください", "run maillab-tui with sudo"
    return denied(t(f"{path} を読む権限がありません。{how_ja}。",
                    f"permission denied reading {path}: {how_en}."))
