"""What nx5d knows of the XDI adapter before importing it (no numpy): name, description,
patterns and a guess by content (the ``# XDI/1.0`` first line), not by file name: XDI files
are named ``*.xdi``, ``*.001``, ``*.dat`` as their writers please."""

from __future__ import annotations

import os
import re
from pathlib import Path

NAME = "xdi"
DESCRIPTION = "XDI (XAS Data Interchange) files: a folder is a proposal, each file a scan."
URL_PATTERNS = (
    "*{proposal}/{scan}",
    "<an XDI file or a folder of them, recognised by '# XDI/1.x'>",
)
VERSION = "0.1.0"

FIRST_LINE = re.compile(rb"\A\s*#\s*XDI/(\d+)\.(\d+)")
_SAMPLE = 50  # folder entries looked at to decide


def is_xdi(path: Path) -> bool:
    """Whether ``path`` is a regular file whose first line is an XDI version line."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as stream:
            return FIRST_LINE.match(stream.read(64)) is not None
    except OSError:
        return False


def xdi_files(folder: Path, *, limit: int | None = None) -> list[str]:
    """Names of the XDI files in ``folder`` (hidden files left out), at most ``limit`` looked at."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if not e.name.startswith("."))
    except OSError:
        return []
    return [n for n in names[:limit] if is_xdi(folder / n)]


def guess_can_open(url: str) -> bool:
    """An XDI file, or a folder whose files (or whose folders' files) are XDI."""
    if "{" in url:
        return False
    path = Path(url.removeprefix("file://"))
    if path.is_file():
        return is_xdi(path)
    if not path.is_dir():
        return False
    if xdi_files(path, limit=_SAMPLE):
        return True
    try:
        with os.scandir(path) as entries:
            folders = sorted(Path(e.path) for e in entries if e.is_dir() and not e.name.startswith("."))  # fmt: skip
    except OSError:
        return False
    return any(xdi_files(f, limit=_SAMPLE) for f in folders[:_SAMPLE])
