"""The check API: everything a check module imports, bundled (checks/) or an instructor's own.

A check module imports from here and from `maillab_tui.mail` (the mail domain) only, so the
engine's inner layout can change without breaking anyone's checks. The definitions live in
`maillab_tui.checking` (the API, probes, system-tool parsers), `maillab_tui.platform` and
`maillab_tui.system`; this module only gathers them.
"""

from __future__ import annotations

from maillab_tui.checking.api import (
    BUILTIN,
    PACKAGE_PARAMS,
    CheckDef,
    Context,
    Diagnosis,
    Library,
    Localized,
    Param,
    Result,
    Status,
    check,
    denied,
    error,
    failed,
    load_library,
    needs_root,
    passed,
    run_check,
    skipped,
    t,
    wait_for,
)
from maillab_tui.checking.probes import (
    Argv,
    Listener,
    log_lines_since,
    mask,
    near_miss,
    parse_duration,
    parse_ss,
    parse_syslog_time,
    permission_denied,
    same_list,
    split_list,
    tool_missing,
)
from maillab_tui.checking.sysparse import (
    FIREWALL_SERVICE_PORTS,
    AptRun,
    BlockDevice,
    FirewallZone,
    Mount,
    parse_apt_history,
    parse_colon_fields,
    parse_firewall_zones,
    parse_lsblk,
    parse_mounts,
)
from maillab_tui.platform import daemon_units, find_mail_log, package_for
from maillab_tui.system import Proc
from maillab_tui.text import render

__all__ = [
    "BUILTIN",
    "FIREWALL_SERVICE_PORTS",
    "PACKAGE_PARAMS",
    "AptRun",
    "Argv",
    "BlockDevice",
    "CheckDef",
    "Context",
    "Diagnosis",
    "FirewallZone",
    "Library",
    "Listener",
    "Localized",
    "Mount",
    "Param",
    "Proc",
    "Result",
    "Status",
    "check",
    "daemon_units",
    "denied",
    "error",
    "failed",
    "find_mail_log",
    "load_library",
    "log_lines_since",
    "mask",
    "near_miss",
    "needs_root",
    "package_for",
    "parse_apt_history",
    "parse_colon_fields",
    "parse_duration",
    "parse_firewall_zones",
    "parse_lsblk",
    "parse_mounts",
    "parse_ss",
    "parse_syslog_time",
    "passed",
    "permission_denied",
    "render",
    "run_check",
    "same_list",
    "skipped",
    "split_list",
    "t",
    "tool_missing",
    "wait_for",
]
