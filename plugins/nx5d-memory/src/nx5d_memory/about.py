"""What nx5d knows of the memory adapter before importing it (its guess: ``URL_PATTERNS``)."""

from __future__ import annotations

NAME = "memory"
DESCRIPTION = "Proposals and scans held in memory as nested dicts (examples, tests)."
URL_PATTERNS = ("memory://*",)
VERSION = "0.1.0"
