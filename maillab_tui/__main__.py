"""Allow `python -m maillab_tui`."""

from __future__ import annotations

import sys

from maillab_tui.cli import main

sys.exit(main())
