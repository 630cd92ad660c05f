"""The UDKM repository and proposal: a root of ``{proposal}/{scan}/`` folders, and the
options that shape the frames (``reduce``, ``roi``)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import numpy as np

from nx5d_core import FileRepository, KeyPattern, Proposal, SpiceSpec

from . import about

__all__ = ["IMAGE", "Roi", "UdkmProposal", "UdkmRepository", "check_roi", "folder_pattern"]

Roi = tuple[int, int, int, int]
IMAGE = re.compile(r"image(\d+)\.tiff?\Z")
"""A frame file's name."""


def check_roi(roi: Roi | None, shape: tuple[int, int] | None = None) -> Roi | None:
    """``roi`` if it is a non-empty region (inside ``shape`` when given), else ``ValueError``."""
    if roi is None:
        return None
    values = tuple(roi)
    if len(values) != 4 or not all(isinstance(v, int | np.integer) for v in values):
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


class UdkmRepository(FileRepository):
    """A UDKM data folder.

    Parameters
    ----------
    url
        The root folder (path or ``file://`` URL), or a full pattern ending in
        ``{proposal}/{scan}/manifest.dat``.
    reduce
        Keep every ``reduce``-th pixel in both directions in ``raw`` and ``lazy()`` (the seed's ``reduce``).
    roi
        ``(row_start, row_stop, col_start, col_stop)`` detector region kept in ``raw`` and ``lazy()``.
    timezone
        Time zone of times given without one (scan keys are local times).
    workers
        Reader threads (default: all cores).
    progress
        Progress bar while reading frames: ``None`` shows it for reads that take more than about a
        second, ``True`` from the start, ``False`` never. It is never shown when not interactive.
    block_frames
        Frames gridded at a time by the RSM cook (memory against speed; not part of the result).
    allow_outside
        Folders outside the root that symlinked files may lead to (see :class:`nx5d_core.Repository`).
    """

    data_options = ("reduce", "roi")
    name = about.NAME
    description = about.DESCRIPTION
    url_patterns = about.URL_PATTERNS
    version = about.VERSION

    def __init__(
        self,
        url: str,
        *,
        spice: SpiceSpec = None,
        reduce: int = 1,
        roi: Roi | None = None,
        timezone: str = "Europe/Berlin",
        workers: int | None = None,
        progress: bool | None = None,
        block_frames: int = 64,
        allow_outside: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        super().__init__(url, spice=spice, allow_outside=allow_outside)
        self.progress = progress
        if block_frames < 1:
            msg = f"block_frames must be >= 1, got {block_frames}"
            raise ValueError(msg)
        self.block_frames = block_frames
        if reduce < 1:
            msg = f"reduce must be >= 1, got {reduce}"
            raise ValueError(msg)
        self.reduce = reduce
        self.roi = check_roi(roi)
        self.timezone = ZoneInfo(timezone)
        self.workers = workers
        self.pattern = KeyPattern.parse(folder_pattern(url))

    @classmethod
    def guess_can_open(cls, url: str) -> bool:
        """See :func:`nx5d_udkm.about.guess_can_open`."""
        return about.guess_can_open(url)


class UdkmProposal(Proposal):
    """A proposal folder; scans in natural order of their folder names (times)."""

    repository: UdkmRepository


UdkmRepository.proposal_class = UdkmProposal  # its scan class is set by nx5d_udkm.adapter
