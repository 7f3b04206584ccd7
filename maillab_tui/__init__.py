"""maillab-tui: a guided terminal lab for building a mail server, checked on the live system."""

from __future__ import annotations

__version__ = "0.1.0"
