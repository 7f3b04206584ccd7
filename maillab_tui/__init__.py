"""maillab-tui: a guided terminal lab for building a mail server, checked on the live system.

This file and maillab_tui/__main__.py are read by any Python 3 (the one file's entry point
checks the version there); everything else needs Python 3.11.
"""

__version__ = "0.1.0"
