"""Postfix and Dovecot setting names: the smtpd restrictions, the common parameters and
settings, and the warnings postconf and doveconf print for names they do not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from maillab_tui.checking.probes import split_list

# The smtpd access restrictions (postconf(5), "SMTPD ACCESS RESTRICTIONS"); the old names that
# Postfix still accepts are included so that they are not reported as typos.
POSTFIX_RESTRICTIONS: frozenset[str] = frozenset(
    [
        "permit", "reject", "defer", "defer_if_permit", "defer_if_reject", "warn_if_reject",
        "reject_unauth_pipelining", "permit_mynetworks", "permit_sasl_authenticated",
        "permit_tls_clientcerts", "permit_tls_all_clientcerts", "permit_inet_interfaces",
        "permit_auth_destination", "permit_mx_backup", "permit_naked_ip_address",
        "reject_unauth_destination", "defer_unauth_destination", "reject_unlisted_recipient",
        "reject_unlisted_sender", "reject_unverified_recipient", "reject_unverified_sender",
        "reject_unknown_client_hostname", "reject_unknown_reverse_client_hostname",
        "reject_unknown_client", "reject_unknown_helo_hostname", "reject_unknown_hostname",
        "reject_invalid_helo_hostname", "reject_invalid_hostname", "reject_non_fqdn_helo_hostname",
        "reject_non_fqdn_hostname", "reject_unknown_sender_domain",
        "reject_unknown_recipient_domain", "reject_unknown_address", "reject_non_fqdn_sender",
        "reject_non_fqdn_recipient", "reject_multi_recipient_bounce", "reject_plaintext_session",
        "reject_sender_login_mismatch", "reject_authenticated_sender_login_mismatch",
        "reject_known_sender_login_mismatch", "reject_unauthenticated_sender_login_mismatch",
        "reject_unauth_sender_login_mismatch", "reject_rbl_client", "reject_rhsbl_client",
        "reject_rhsbl_reverse_client", "reject_rhsbl_helo", "reject_rhsbl_sender",
        "reject_rhsbl_recipient", "reject_rbl", "reject_maps_rbl", "permit_dnswl_client",
        "permit_rhswl_client", "check_client_access", "check_client_a_access",
        "check_client_mx_access", "check_client_ns_access", "check_reverse_client_hostname_access",
        "check_reverse_client_hostname_a_access", "check_reverse_client_hostname_mx_access",
        "check_reverse_client_hostname_ns_access", "check_helo_access", "check_helo_a_access",
        "check_helo_mx_access", "check_helo_ns_access", "check_sender_access",
        "check_sender_a_access", "check_sender_mx_access", "check_sender_ns_access",
        "check_recipient_access", "check_recipient_a_access", "check_recipient_mx_access",
        "check_recipient_ns_access", "check_etrn_access", "check_ccert_access",
        "check_sasl_access", "check_policy_service", "check_relay_domains",
        "permit_auth_destination", "sleep",
    ]
)

# Restrictions followed by an argument (a table, a DNS zone, a number) that is not a restriction.
_TAKES_ARGUMENT = re.compile(
    r"^(check_\w+_access|check_policy_service|reject_rbl_client|reject_rhsbl_\w+|reject_rbl"
    r"|permit_dnswl_client|permit_rhswl_client|sleep)$"
)


def unknown_restrictions(value: str, extra: Iterable[str] = ()) -> list[str]:
    """The items of a restriction list that are neither restrictions nor their arguments.

    `extra` are further valid names (the restriction classes of smtpd_restriction_classes).
    Lookup tables (`hash:/etc/postfix/access`), `$parameter` references and arguments of
    restrictions that take one are not names and are skipped.
    """
    known = POSTFIX_RESTRICTIONS | set(extra)
    out: list[str] = []
    skip_next = False
    for item in split_list(value):
        if skip_next:
            skip_next = False
            continue
        if _TAKES_ARGUMENT.match(item):
            skip_next = True
        if item in known or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item):
            continue
        out.append(item)
    return out


# Parameters a lab chapter touches: the near-miss fallback when `postconf -d` cannot be run.
POSTFIX_COMMON_PARAMETERS: tuple[str, ...] = tuple(
    [
        "myhostname", "mydomain", "myorigin", "mydestination", "mynetworks", "mynetworks_style",
        "inet_interfaces", "inet_protocols", "home_mailbox", "mail_spool_directory",
        "mailbox_command", "alias_maps", "alias_database", "relayhost", "relay_domains",
        "smtpd_banner", "compatibility_level", "maillog_file", "smtpd_recipient_restrictions",
        "smtpd_relay_restrictions", "smtpd_client_restrictions", "smtpd_helo_restrictions",
        "smtpd_sender_restrictions", "smtpd_data_restrictions", "smtpd_etrn_restrictions",
        "smtpd_restriction_classes", "smtpd_helo_required", "smtpd_sasl_auth_enable",
        "smtpd_sasl_type", "smtpd_sasl_path", "smtpd_sasl_security_options",
        "smtpd_sasl_local_domain", "smtpd_sasl_authenticated_header", "broken_sasl_auth_clients",
        "smtpd_tls_security_level", "smtpd_tls_auth_only", "smtpd_tls_cert_file",
        "smtpd_tls_key_file", "smtp_tls_security_level", "smtp_host_lookup", "disable_dns_lookups",
        "message_size_limit", "mailbox_size_limit", "recipient_delimiter", "local_recipient_maps",
        "unknown_local_recipient_reject_code",
    ]
)

_POSTCONF_NAME = re.compile(r"^([A-Za-z0-9_]+) =", re.MULTILINE)
_UNKNOWN_PARAMETER = re.compile(r"postconf: warning: (\S+): unknown parameter")
_UNUSED_PARAMETER = re.compile(r"postconf: warning: (\S+): unused parameter: ([^=\s]+)=(.*)$",
                               re.MULTILINE)


def parameter_names(postconf_output: str) -> list[str]:
    """The parameter names in `postconf -d` (or `-n`) output: what comes before ` =`."""
    return _POSTCONF_NAME.findall(postconf_output)


def unknown_parameter(stderr: str) -> str | None:
    """The name in `postconf: warning: NAME: unknown parameter`, or None."""
    found = _UNKNOWN_PARAMETER.search(stderr)
    return found.group(1) if found else None


@dataclass(frozen=True)
class UnusedParameter:
    """A main.cf (or master.cf) setting Postfix does not use: often a misspelt name."""

    file: str
    name: str
    value: str

    @property
    def line(self) -> str:
        """The setting as written: `name=value`."""
        return f"{self.name}={self.value}"


def unused_parameters(stderr: str) -> list[UnusedParameter]:
    """The `postconf: warning: FILE: unused parameter: NAME=VALUE` warnings, in order."""
    return [UnusedParameter(f, n, v.strip()) for f, n, v in _UNUSED_PARAMETER.findall(stderr)]


# --------------------------------------------------------------------------- Dovecot settings

DOVECOT_COMMON_SETTINGS: tuple[str, ...] = tuple(
    [
        "protocols", "listen", "mail_location", "mail_privileged_group", "mail_access_groups",
        "disable_plaintext_auth", "auth_mechanisms", "auth_username_format", "ssl", "ssl_cert",
        "ssl_key", "first_valid_uid", "last_valid_uid", "log_path", "info_log_path",
        "debug_log_path", "syslog_facility", "mbox_write_locks", "mbox_read_locks",
        "login_trusted_networks", "auth_verbose", "auth_debug", "mail_debug", "verbose_ssl",
        "postmaster_address", "hostname",
    ]
)

_DOVECONF_NAME = re.compile(r"^([A-Za-z0-9_]+) =", re.MULTILINE)
_DOVECOT_UNKNOWN = re.compile(r"Unknown setting: (\S+)")


def setting_names(doveconf_output: str) -> list[str]:
    """The top-level setting names in `doveconf -d` output (unindented `name =` lines)."""
    return _DOVECONF_NAME.findall(doveconf_output)


def unknown_setting(output: str) -> str | None:
    """The name in `doveconf: Fatal: ... Unknown setting: NAME`, or None."""
    found = _DOVECOT_UNKNOWN.search(output)
    return found.group(1) if found else None
