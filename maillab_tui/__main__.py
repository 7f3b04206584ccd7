"""`python -m maillab_tui` and the one file's entry point: say what to install when this
Python is too old, else run maillab-tui.

Written for any Python 3 (no f-strings, no annotations), so that `python3.9 maillab-tui`
on AlmaLinux 9 prints the remedy instead of a traceback. The file's shell preamble already
prefers python3.14 ... python3.11 when one is installed (maillab_tui/sandbox/onefile.py).
"""

# ruff: noqa: UP031, RUF005  (old-Python syntax on purpose: this must parse on Python 3.6)

import sys

NEEDED = (3, 11)


def remedy(version=None):
    """The one line that says what to install and how to start maillab-tui then."""
    have = ".".join(str(n) for n in (version or sys.version_info)[:3])
    return ("maillab-tui: Python %d.%d 以上が必要です（この Python は %s）。"
            "sudo dnf install python3.11 で入れてから（DVD の AppStream にもあります）"
            "もう一度 maillab-tui と打ってください / needs Python %d.%d or newer (this is %s): "
            "sudo dnf install python3.11 (also on the DVD's AppStream), then type maillab-tui "
            "again" % (NEEDED + (have,) + NEEDED + (have,)))


def main():
    """Exit 2 with the remedy on an old Python; else maillab-tui's own main()."""
    if sys.version_info < NEEDED:
        sys.stderr.write(remedy() + "\n")
        return 2
    from maillab_tui.cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
