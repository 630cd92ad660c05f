"""The UDKM repository and proposal: a root of ``{proposal}/{scan}/`` folders, and the
options that shape the frames (``reduce``, ``roi``)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field

from nx5d_core import FileRepository, KeyPattern, Proposal, ShapesData, TimeZoneName
from nx5d_core.fingerprint import Fingerprint, fingerprint_files

from . import about
from .adapter import UdkmScan, folder_of, summary_files
from .layout import Roi, check_roi, folder_pattern

__all__ = ["UdkmProposal", "UdkmRepository"]


class UdkmProposal(Proposal):
    """A proposal folder; scans in natural order of their folder names (times)."""

    repository: UdkmRepository
    scan_class = UdkmScan

    def _listed_fingerprints(self, keys: list[str]) -> dict[str, Fingerprint] | None:
        pattern = self.repository.pattern
        if not pattern.is_local:
            return None
        paths = pattern.scan_paths(proposal=self.key, scans=keys)
        return {k: fingerprint_files(summary_files(folder_of(p))) for k, p in zip(keys, paths, strict=True)}  # fmt: skip


class UdkmRepository(FileRepository, about=about):
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

    ``spice`` and ``allow_outside`` are every adapter's (see :class:`nx5d_core.Repository`).
    """

    proposal_class = UdkmProposal

    def __init__(
        self,
        url: str,
        *,
        reduce: Annotated[int, ShapesData, Field(ge=1)] = 1,
        roi: Annotated[Roi | None, ShapesData] = None,
        timezone: TimeZoneName = "Europe/Berlin",
        workers: int | None = None,
        progress: bool | None = None,
        block_frames: Annotated[int, Field(ge=1)] = 64,
    ) -> None:
        super().__init__(url)
        self.progress = progress
        self.block_frames = block_frames
        self.reduce = reduce
        self.roi = check_roi(roi)
        self.timezone = ZoneInfo(timezone)
        self.workers = workers
        self.pattern = KeyPattern.parse(folder_pattern(url))

    @classmethod
    def guess_can_open(cls, url: str) -> bool:
        """See :func:`nx5d_udkm.about.guess_can_open`."""
        return about.guess_can_open(url)
