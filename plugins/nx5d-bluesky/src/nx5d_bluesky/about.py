"""What nx5d knows of the Bluesky adapter before importing it (no tiled): name, description,
the URL it takes. It is never guessed: an ``http://`` URL may as well be a web server of files,
so it is opened with ``adapter="bluesky"``."""

from __future__ import annotations

NAME = "bluesky"
DESCRIPTION = (
    "Bluesky runs in a tiled server: proposals by a start-document field (data_session), "
    "scans by scan_id, streams primary/baseline/..."
)
URL_PATTERNS = ("http[s]://host:port[/path] of a tiled container of Bluesky runs (adapter='bluesky')",)  # fmt: skip
VERSION = "0.1.0"


def guess_can_open(url: str) -> bool:
    """Never: open a tiled server of runs with ``adapter="bluesky"``."""
    return False
