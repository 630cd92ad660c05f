"""What nx5d knows of the images adapter before importing fabio: name, description, and a guess
by content (the first bytes of a file), not by file name: detector files are named ``.edf``,
``.cbf``, ``.tif``, ``.img``, ``.mccd``, ``.sfrm``, ``.0001`` as their writers please.

The adapter is *generic*: it reads these formats wherever they lie, so it yields to an adapter
of a facility's layout that claims the same folder (a UDKM scan folder holds TIFFs too).
"""

from __future__ import annotations

import bz2
import zlib
from pathlib import Path

from nx5d_core.folder_guess import guess_folder, member_names

NAME = "images"
DESCRIPTION = (
    "Detector images through fabio (EDF, CBF, TIFF, MarCCD, ADSC, Bruker ...): a folder is a "
    "proposal, a numbered series or a multi-frame file a scan."
)
URL_PATTERNS = ("<an image file, or a folder of them, or a folder of such folders>",)
VERSION = "0.1.0"
GENERIC = True

_MAGIC = (
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"###CBF", "cbf"),
    (b"###_CBF", "cbf"),
    (b"\x0c\x00\x00\x00DTMFORMAT", "kcd"),
    (b"FORMAT :", "bruker"),
    (b"\x00\x00\x04\xd2", "mar345"),
    (b"\xd2\x04\x00\x00", "mar345"),
)


def image_kind(path: Path) -> str | None:
    """The image format of the regular file ``path`` by its first bytes, or ``None``."""
    try:
        if not path.is_file():
            return None
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError:
        return None
    try:
        if head.startswith(b"\x1f\x8b"):  # gzip: ESRF keeps EDF series as .edf.gz
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 512)
        elif head.startswith(b"BZh"):
            head = bz2.BZ2Decompressor().decompress(head, max_length=512)
    except (zlib.error, OSError, EOFError):
        return None
    head = head[:512]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    text = head.lstrip()
    if text.startswith(b"{") and b"=" in text and b";" in text:
        # EDF (ESRF) and SMV (ADSC, Rigaku): a "{ key = value ; ... }" header block
        return "smv" if b"HEADER_BYTES" in text[:64] else "edf"
    return None


def is_image(path: Path) -> bool:
    """Whether ``path`` is a regular file of an image format (by its first bytes)."""
    return image_kind(path) is not None


def image_files(folder: Path, *, limit: int | None = None) -> list[str]:
    """Names of the image files in ``folder`` (hidden files left out), at most ``limit`` looked at."""
    return member_names(folder, is_image, limit=limit)


def guess_can_open(url: str) -> bool:
    """An image file, a folder of image files, or a folder of such folders."""
    return guess_folder(url, is_image)
