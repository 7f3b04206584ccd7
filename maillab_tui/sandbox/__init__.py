"""The two-host lab sandbox: real Debian systems booted with systemd-nspawn (no Textual here)."""
