"""What nx5d knows of this adapter before importing it: ``nx5d adapters`` and guessing stay
fast because nothing heavy (numpy, pandas, tifffile) is imported here."""

from __future__ import annotations

import fnmatch
from pathlib import Path

{% if cookiecutter.layout == "frame-series" -%}
LAYOUT = "/{proposal}/{scan}/frame_00000.tif"
{%- else -%}
LAYOUT = "/{proposal}/{scan}/counters.csv"
{%- endif %}
NAME = {{ cookiecutter.adapter_name|tojson }}
DESCRIPTION = {{ cookiecutter.description|tojson }}
URL_PATTERNS = ("*" + LAYOUT,)
VERSION = "0.1.0"


def guess_can_open(url: str) -> bool:
    """A URL pattern ending in this layout, or a folder laid out so (a scan in its first proposals)."""
    if any(fnmatch.fnmatchcase(url, pattern) for pattern in URL_PATTERNS):
        return True
    root = Path(url.removeprefix("file://"))
    if "{" in url or not root.is_dir():
        return False
    marker = LAYOUT.rsplit("/", 1)[-1]
    try:
        proposals = sorted(p for p in root.iterdir() if p.is_dir())[:20]
        return any((s / marker).is_file() for p in proposals for s in sorted(p.iterdir())[:20])
    except OSError:  # unreadable: not recognisably ours
        return False
