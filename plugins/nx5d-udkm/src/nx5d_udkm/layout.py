"""The UDKM layout's small pieces: frame names, the region of interest, the manifest pattern."""

from __future__ import annotations

import numbers
import re

__all__ = ["IMAGE", "Roi", "check_roi", "folder_pattern"]

Roi = tuple[int, int, int, int]
IMAGE = re.compile(r"image(\d+)\.tiff?\Z")
"""A frame file's name."""


def check_roi(roi: Roi | None, shape: tuple[int, int] | None = None) -> Roi | None:
    """``roi`` if it is a non-empty region (inside ``shape`` when given), else ``ValueError``."""
    if roi is None:
        return None
    values = tuple(roi)
    if len(values) != 4 or not all(isinstance(v, numbers.Integral) for v in values):  # NumPy ints too
        msg = f"roi must be four integers (row_start, row_stop, col_start, col_stop), got {roi!r}"
        raise ValueError(msg)
    r0, r1, c0, c1 = (int(v) for v in values)
    if not (0 <= r0 < r1 and 0 <= c0 < c1):
        msg = f"roi {roi!r} is empty or inverted: need 0 <= row_start < row_stop and 0 <= col_start < col_stop"
        raise ValueError(msg)
    if shape is not None and (r1 > shape[0] or c1 > shape[1]):
        msg = f"roi {roi!r} reaches beyond the detector's {shape[0]}x{shape[1]} pixels"
        raise ValueError(msg)
    return (r0, r1, c0, c1)


def folder_pattern(url: str) -> str:
    """The manifest pattern for a root, a folder pattern (``.../{proposal}/{scan}[/]``) or a
    full pattern (``.../{proposal}/{scan}/manifest.dat``)."""
    if "{scan}" not in url:
        return url.rstrip("/") + "/{proposal}/{scan}/manifest.dat"
    if url.rstrip("/").endswith("{scan}"):
        return url.rstrip("/") + "/manifest.dat"
    return url
