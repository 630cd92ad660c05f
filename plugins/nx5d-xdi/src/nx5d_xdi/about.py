"""What nx5d knows of the XDI adapter before importing it (no numpy): name, description,
patterns and a guess by content (the ``# XDI/1.0`` first line), not by file name: XDI files
are named ``*.xdi``, ``*.001``, ``*.dat`` as their writers please."""

from __future__ import annotations

import re
from pathlib import Path

from nx5d_core.folder_guess import guess_folder, member_names

NAME = "xdi"
DESCRIPTION = "XDI (XAS Data Interchange) files: a folder is a proposal, each file a scan."
URL_PATTERNS = (
    "*{proposal}/{scan}",
    "<an XDI file or a folder of them, recognised by '# XDI/1.x'>",
)
VERSION = "0.1.0"

FIRST_LINE = re.compile(rb"\A\s*#\s*XDI/(\d+)\.(\d+)")


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
    return member_names(folder, is_xdi, limit=limit)


def guess_can_open(url: str) -> bool:
    """A XDI file, a folder of XDI files, or a folder of such folders."""
    return guess_folder(url, is_xdi)
