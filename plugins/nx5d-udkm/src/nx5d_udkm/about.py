"""What nx5d knows of the UDKM adapter before importing it: name, description, patterns, and
a guess that needs no heavy import (``nx5d adapters`` stays fast)."""

from __future__ import annotations

from nx5d_core.folder_guess import guess_layout

NAME = "udkm"
DESCRIPTION = (
    "UDKM lab: {proposal}/{scan}/ folders with manifest.dat and one Pilatus TIFF per frame."
)
LAYOUT = "/{proposal}/{scan}/manifest.dat"
URL_PATTERNS = ("*" + LAYOUT,)
VERSION = "0.1.0"


def guess_can_open(url: str) -> bool:
    """A pattern ending in ``manifest.dat``; or a root folder, or a folder pattern
    (``{proposal}/{scan}``, nx5d's documented form), over ``*/*/manifest.dat`` folders."""
    if url.endswith(LAYOUT):
        return True
    bare = url.rstrip("/")
    if bare.endswith("/{proposal}/{scan}") and bare.count("{") == 2:
        bare = bare.removesuffix("/{proposal}/{scan}")
    return guess_layout(bare, LAYOUT)
