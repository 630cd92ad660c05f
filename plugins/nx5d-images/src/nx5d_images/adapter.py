"""Detector image files as a repository: a folder is a proposal, a numbered series (or one
multi-frame file, or one image) a scan.

Pointing at a folder of image files opens it as the one proposal; a folder of such folders is a
repository; one file is a proposal with that file's series. A scan's ``raw`` holds the frames as
``images`` (frame, y, x), the file counters as ``frame_number``, and the header values that
change from frame to frame (motors as coordinates, counters and other keys as variables); the
values that do not change are attributes and metadata. Frames decode through fabio, are checked
in shape and type against the first, and a file fabio finds short raises
:class:`~nx5d_core.errors.CorruptFrameError`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, BinaryIO, ClassVar
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import Field

from nx5d_core import Frame, FrameSeriesScan, KeyNotFoundError, Repository, ShapesData, TimeZoneName
from nx5d_core.caching import _Drop
from nx5d_core.folders import FolderProposal, FolderRepository
from nx5d_core.paths import FileIdentity, file_identity
from nx5d_core.summary import ScanSummary

from . import about, decode
from .header_cache import HeaderCache
from .headers import HeaderTable, header_table
from .series import Series, group_series

__all__ = ["ImagesRepository", "ImagesScan"]

Roi = tuple[int, int, int, int]


class ImagesSummary(ScanSummary):
    """Summary of a series; ``notes`` say what is missing (gaps in the numbering)."""

    files: int = 0
    notes: list[str] = Field(default_factory=list)


class ImagesScan(FrameSeriesScan):
    """One series of image files (or one multi-frame file)."""

    proposal: ImagesProposal
    summary_model = ImagesSummary
    series_type = "image series"
    recipe_defaults = MappingProxyType({"flatfield": {"signal": "images"}, "rsm": {"signal": "images"}})  # fmt: skip

    @property
    def series(self) -> Series:
        """The scan's files and their counters."""
        found = self.proposal.series().get(self.key)
        if found is None:
            raise KeyNotFoundError(self.key, kind="scan", where=self.proposal._where(), candidates=list(self.proposal.series()))  # fmt: skip
        return found

    def _paths(self) -> list[Path]:
        folder = self.proposal.folder
        return [folder / name for name in self.series.names]

    def _headers(self) -> list[tuple[Path, list[dict[str, Any]]]]:
        return [(p, self.proposal.headers(p)) for p in self._paths()]

    def _frames(self) -> Sequence[Frame]:
        return [Frame(path, i) for path, frames in self._headers() for i in range(len(frames))]

    @staticmethod
    def decode_frame(stream: BinaryIO, *, member: int) -> np.ndarray:
        return decode.decode(stream, member=member)

    def _table(self) -> HeaderTable:
        return header_table([h for _, frames in self._headers() for h in frames])

    def _frame_values(self, frames: Sequence[Frame]) -> tuple[dict[str, Any], dict[str, Any]]:
        coords, data_vars = self._table().split()
        numbers = self.series.numbers
        if numbers and len(numbers) == len(frames):
            coords["frame_number"] = ("frame", np.array(numbers), {"long_name": "file counter"})
        coords["file"] = ("frame", np.array([f.path.name for f in frames], dtype=str))
        return coords, data_vars

    def _series_attrs(self) -> dict[str, Any]:
        table = self._table()
        attrs = {k: v for k, v in table.constant.items() if k not in ("proposal", "scan")}
        notes = [*table.notes, *([self.series.describe_gaps()] if self.series.gaps else [])]
        if notes:
            attrs["nx5d_notes"] = notes
        return attrs

    def _get_summary(self) -> ImagesSummary:
        base = super()._get_summary()
        series = self.series
        notes = [series.describe_gaps()] if series.gaps else []
        kind = about.image_kind(self.proposal.folder / series.names[0]) or "image"
        when, note = self._header_time(base.time)
        return ImagesSummary(
            **{
                **base.model_dump(),
                "type": f"{kind} {'series' if len(series.names) > 1 else 'file'}",
                "time": when,
            },
            files=len(series.names),
            notes=[*notes, *([note] if note else [])],
        )

    def _header_time(self, mtime: datetime | None) -> tuple[datetime | None, str | None]:
        """The first frame header's ``date`` (ESRF writers: ``Mon Jun 13 09:29:46 2016``, local
        time) read in the repository's ``timezone``; without a zone, the file's mtime, said so."""
        header = self.proposal.headers(self._paths()[0])[0] if self._paths() else {}
        text = " ".join(str(header.get("date", "")).split())
        try:
            local = datetime.strptime(text, "%a %b %d %H:%M:%S %Y") if text else None
        except ValueError:
            local = None
        zone = self.proposal.repository.timezone
        if local is not None and zone is not None:
            return local.replace(tzinfo=ZoneInfo(zone)), None
        if local is not None:
            return mtime, f"time is the first file's mtime: its header date {text!r} has no zone (pass timezone='Area/City')"  # fmt: skip
        return mtime, None

    def _get_metadata(self) -> dict[str, Any]:
        return dict(self._table().constant)


class ImagesProposal(FolderProposal):
    """A folder of image files; scans are its series, in natural order of their keys."""

    repository: ImagesRepository
    scan_class = ImagesScan

    _series: tuple[FileIdentity, dict[str, Series]] | None = None
    _header_cache: HeaderCache

    def __init__(self, *, repository: Repository, key: str) -> None:
        super().__init__(repository=repository, key=key)
        self._header_cache = HeaderCache()

    @property
    def folder(self) -> Path:
        """The proposal's folder."""
        pattern = self.repository.pattern
        assert pattern is not None
        return Path(pattern.format(proposal=self.key, scan="-").path).parent

    def series(self) -> dict[str, Series]:
        """The folder's series by key, listed again when the folder changed."""
        folder = self.repository.guard.folder(self.folder)
        identity = file_identity(folder.stat())
        if self._series is None or self._series[0] != identity:
            with os.scandir(folder) as entries:
                names = sorted(
                    e.name for e in entries if not e.name.startswith(".") and e.is_file()
                )
            grouped = group_series(names)
            # by content: the first file of each group must be an image (then every frame decodes)
            kept = {k: s for k, s in grouped.items() if about.image_kind(folder / s.names[0])}
            self._series = (identity, kept)
        return self._series[1]

    def headers(self, path: Path) -> list[dict[str, Any]]:
        """The frame headers of the file ``path``, read once per identity of the file."""
        return self._header_cache.read(path, guard=self.repository.guard)

    def _list_scans(self) -> Iterable[str]:  # series, not files
        if self.repository.only_scan is not None:
            return [self.repository.only_scan]
        return list(self.series())

    _caches: ClassVar[dict[str, Callable[[], Any] | _Drop]] = {
        "_series": lambda: None,
        "_header_cache": HeaderCache,
    }


class ImagesRepository(FolderRepository, about=about):
    """Image files: a folder of them, a folder of such folders, or one file.

    Parameters
    ----------
    url
        The folder (or file) pointed at.
    reduce
        Keep every ``reduce``-th pixel in both directions in ``raw`` and ``lazy()``.
    roi
        ``(row_start, row_stop, col_start, col_stop)`` detector region kept.
    workers
        Reader threads (default: the cores, at most 8).
    progress
        Progress bar while reading frames (``None``: for reads over about a second).
    timezone
        The zone of header dates written without one (ESRF: ``Europe/Paris``); without it a
        scan's time is its first file's mtime, and the summary says so.

    ``spice`` and ``allow_outside`` are every adapter's (see :class:`nx5d_core.Repository`).
    """

    proposal_class = ImagesProposal
    what = "image file"

    def __init__(
        self,
        url: str,
        *,
        reduce: Annotated[int, ShapesData, Field(ge=1)] = 1,
        roi: Annotated[Roi | None, ShapesData] = None,
        workers: int | None = None,
        progress: bool | None = None,
        timezone: TimeZoneName | None = None,
    ) -> None:
        super().__init__(url)
        self.timezone = timezone
        self.reduce, self.roi, self.workers, self.progress = reduce, roi, workers, progress

    @staticmethod
    def is_member(path: Path) -> bool:
        return about.image_kind(path) is not None

    def scan_of(self, path: Path) -> str:
        return next(iter(group_series([path.name])))
