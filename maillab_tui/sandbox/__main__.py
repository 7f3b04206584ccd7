"""Allow `python -m maillab_tui.sandbox COMMAND ...` (same as `maillab-tui sandbox COMMAND ...`)."""

from __future__ import annotations

import sys

from maillab_tui.cli.sandbox import main

sys.exit(main(sys.argv[1:]))
