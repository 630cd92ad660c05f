"""What nx5d knows of this adapter before importing it: ``nx5d adapters`` and guessing stay
fast because nothing heavy (numpy, pandas, tifffile) is imported here."""

from __future__ import annotations

import fnmatch

LAYOUT = "/{proposal}/{scan}/counters.csv"
NAME = {{ cookiecutter.adapter_name|tojson }}
DESCRIPTION = {{ cookiecutter.description|tojson }}
URL_PATTERNS = ("*" + LAYOUT,)
VERSION = "0.1.0"


def guess_can_open(url: str) -> bool:
    """A URL pattern ending in this layout."""
    return any(fnmatch.fnmatchcase(url, pattern) for pattern in URL_PATTERNS)
