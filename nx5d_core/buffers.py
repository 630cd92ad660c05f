"""Large output arrays whose first touch is cheap.

Filling a new 2 GB ``np.empty`` array costs the kernel one page fault per 4 KiB page: 2-4 s on
a 2-core machine, often more than reading and decoding the data. An anonymous mapping advised
for transparent huge pages (``MADV_HUGEPAGE``; most distributions run THP in ``madvise`` mode,
where numpy's own advice does not take effect for this path) faults 2 MiB at a time: ~0.25 s.
The reader threads touch the pages as they decode into them, so what faulting remains overlaps
with I/O. Where the kernel or platform does not offer huge pages this is ``np.empty``.
"""

from __future__ import annotations

import logging
import math
import mmap
from typing import Any

import numpy as np

__all__ = ["HUGE_PAGE_MIN", "empty"]
logger = logging.getLogger(__name__)

HUGE_PAGE_MIN = 32 * 1024 * 1024
"""Outputs smaller than this (bytes) are plain ``np.empty``: huge pages pay off on large ones."""


def empty(shape: tuple[int, ...], dtype: np.dtype[Any] | type) -> np.ndarray:
    """An uninitialised C-contiguous array, in huge pages where it is large and the kernel allows.

    The array is an ordinary writable numpy array (it pickles, copies and is freed like one);
    its memory is returned to the system when the last reference goes.
    """
    dt = np.dtype(dtype)
    count = math.prod(shape)
    nbytes = count * dt.itemsize
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if nbytes < HUGE_PAGE_MIN or advice is None:
        return np.empty(shape, dt)
    try:
        block = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    except (OSError, ValueError, AttributeError):
        return np.empty(shape, dt)
    try:
        block.madvise(advice)
    except OSError as exc:  # THP "never", or not built in: ordinary pages, same array
        logger.debug("no huge pages for a %d-byte output: %s", nbytes, exc)
    return np.frombuffer(block, dtype=dt, count=count).reshape(shape)
