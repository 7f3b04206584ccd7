"""The two-host lab sandbox: real Debian systems booted with systemd-nspawn (no Textual here)."""

from __future__ import annotations

from maillab_tui.sandbox.lab import HostStatus, Lab, LabStatus
from maillab_tui.sandbox.topology import LabHost, LabNetwork, lab_hosts
from maillab_tui.sandbox.util import SandboxError

__all__ = ["HostStatus", "Lab", "LabHost", "LabNetwork", "LabStatus", "SandboxError", "lab_hosts"]
