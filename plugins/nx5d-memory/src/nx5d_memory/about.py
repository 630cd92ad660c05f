"""What nx5d knows of the memory adapter before importing it."""

from __future__ import annotations

import fnmatch

NAME = "memory"
DESCRIPTION = "Proposals and scans held in memory as nested dicts (examples, tests)."
URL_PATTERNS = ("memory://*",)
VERSION = "0.1.0"


def guess_can_open(url: str) -> bool:
    """A ``memory://`` URL."""
    return any(fnmatch.fnmatchcase(url, p) for p in URL_PATTERNS)
