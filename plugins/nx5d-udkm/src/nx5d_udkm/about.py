"""What nx5d knows of the UDKM adapter before importing it: name, description, patterns, and
a guess that needs no heavy import (``nx5d adapters`` stays fast)."""

from __future__ import annotations

from pathlib import Path

NAME = "udkm"
DESCRIPTION = (
    "UDKM lab: {proposal}/{scan}/ folders with manifest.dat and one Pilatus TIFF per frame."
)
URL_PATTERNS = ("*/{proposal}/{scan}/manifest.dat",)
VERSION = "0.1.0"


def guess_can_open(url: str) -> bool:
    """A pattern ending in ``manifest.dat``; or a root folder, or a folder pattern
    (``{proposal}/{scan}``, nx5d's documented form), over ``*/*/manifest.dat`` folders."""
    if url.endswith("/{proposal}/{scan}/manifest.dat"):
        return True
    bare = url.rstrip("/")
    if bare.endswith("/{proposal}/{scan}") and bare.count("{") == 2:
        bare = bare.removesuffix("/{proposal}/{scan}")
    root = Path(bare.removeprefix("file://"))
    if "{" in bare or not root.is_dir():
        return False
    try:
        for proposal in sorted(root.iterdir())[:20]:
            if proposal.is_dir() and any(
                (s / "manifest.dat").is_file()
                for s in sorted(proposal.iterdir())[:20]
                if s.is_dir()
            ):
                return True
    except OSError:  # an unreadable folder: not recognisably ours
        return False
    return False
