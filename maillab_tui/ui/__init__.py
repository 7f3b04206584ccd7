"""The Textual user interface (the only part of maillab-tui that imports Textual)."""
