#!/usr/bin/env python3
"""Build maillab-tui as one file for the students' machines (default: dist/maillab-tui).

    .venv/bin/python scripts/build-pyz.py [--output FILE] [--wheelhouse DIR]

What the file is and why it is made so: maillab_tui/sandbox/onefile.py. It needs shiv and
hatchling (both in the `dev` extra, which scripts/setup.sh installs) and pip's index once,
or --wheelhouse, a folder of the dependencies' wheels.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maillab_tui.sandbox.onefile import build, compiled_members
from maillab_tui.sandbox.util import SandboxError


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("dist/maillab-tui"),
                        help="the file to write (default: dist/maillab-tui)")
    parser.add_argument("--wheelhouse", type=Path,
                        help="take the dependencies from this folder of wheels, not an index")
    args = parser.parse_args()
    try:
        out = build(args.output.resolve(), args.wheelhouse)
    except SandboxError as err:
        print(f"build-pyz: {err}", file=sys.stderr)
        return 1
    assert not compiled_members(out), compiled_members(out)
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
