"""Regenerate the check list in docs/checks.md from the library (run after changing checks)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from maillab_tui.checking.api import load_library  # noqa: E402
from maillab_tui.checking.catalog import BEGIN, END, markdown  # noqa: E402

doc = ROOT / "docs" / "checks.md"
text = doc.read_text(encoding="utf-8")
generated = f"{BEGIN}\n\n{markdown(load_library())}\n{END}"
new = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: generated, text, flags=re.S)
doc.write_text(new, encoding="utf-8")
print(f"updated {doc}")
