"""The base of every adapter whose scan is a series of detector frames in image files.

A subclass of :class:`FrameSeriesScan` says only *which* frames a scan has (:meth:`_frames`: a
path, and a frame number inside multi-frame files) and *how* one frame decodes
(:meth:`~FrameSeriesScan.decode_frame`: an open binary stream in, a 2-D array out). The base does
the rest, once for every format: the root guard and the special-file check on every file, the
identity (inode, size, mtime) of each file before and after its read, per-frame shape and type
checks, reading on threads straight into one preallocated array, progress, the fingerprint,
``raw``, and ``lazy()`` with one dask chunk per block of frames whose reads check the identities
the lazy dataset was planned with. A frame whose file is missing raises; it is never zeros.

A scan still being acquired lists its last frames as *pending* (:meth:`_frames_and_pending`):
``raw`` then holds the frames written so far, says how many are left out
(``nx5d_incomplete``), and is read again at the next access. A newest frame that does not
decode, or whose file changes while it is read, while later ones are pending is taken as still
being written and left out the same way.

tiled's ``FileSequenceAdapter`` and xarray's backends draw the same line: the format supplies
one frame, the framework the stacking.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

from .errors import CorruptFrameError, MissingFrameError
from .fingerprint import Fingerprint, identity_now
from .paths import FileIdentity
from .scan import SNAPSHOT, Scan
from .series_io import (
    Frame,
    FrameDecoder,
    FrameFile,
    SeriesFormat,
    decoded,
    lazy_series,
    read_series,
    series_format,
)
from .summary import ScanSummary

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from .frames import FrameFormat
    from .remote_folder import RemoteFolder
    from .series_remote import RemoteSeries

__all__ = [
    "NOT_READ",
    "Frame",
    "FrameDecoder",
    "FrameFile",
    "FrameSeriesScan",
    "SeriesFormat",
    "decoded",
    "lazy_series",
    "read_series",
    "series_format",
    "split_pending",
]
logger = logging.getLogger(__name__)

NOT_READ: FileIdentity = (-1, -1, -1, -1)
"""The identity recorded for a pending frame (never equal to a real one: read again next time)."""


class FrameSeriesScan(Scan):
    """A scan whose frames are image files (see the module docstring).

    Subclasses give :meth:`_frames` and :meth:`decode_frame`; optionally per-frame values
    (:meth:`_frame_values`), attributes (:meth:`_series_attrs`), other files the data depend on
    (:meth:`_extra_files`), a detector region (:meth:`_selection`), frames not written yet
    (:meth:`_frames_and_pending`, e.g. :func:`split_pending`) and a faster reader than decode-and-copy (:meth:`_format`).
    """

    _observes_reads: ClassVar[bool] = True
    frame_chunk: ClassVar[int] = 64
    """Frames per dask chunk of :meth:`lazy`."""
    remote_frame_chunk: ClassVar[int] = 8
    """Frames per dask chunk of :meth:`lazy` on an object store or web server (a frame costs
    a few requests there)."""
    image_variable: ClassVar[str] = "images"
    image_attrs: ClassVar[Mapping[str, Any]] = {"units": "counts"}
    series_type: ClassVar[str] = "image series"
    """The summary's ``type``."""

    # -- what a format supplies ----------------------------------------------------------
    def _frames(self) -> Sequence[Frame]:
        """The scan's frames in order (cheap: a listing, no image read)."""
        raise NotImplementedError

    def _frames_and_pending(self) -> tuple[Sequence[Frame], Sequence[Frame]]:
        """The frames to read, and the last frames the scan lists whose files are not written
        yet (default: none pending, every frame of :meth:`_frames`)."""
        return self._frames(), ()

    @staticmethod
    def decode_frame(stream: BinaryIO, *, member: int) -> np.ndarray:
        """Frame ``member`` of the open file ``stream`` as a 2-D array; raise if it cannot be."""
        raise NotImplementedError

    def _frame_values(self, frames: Sequence[Frame]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Per-frame values as ``(coords, data_vars)`` of ``(dims, values[, attrs])`` along
        ``frame`` (motor positions, counters, times). Default: none."""
        return {}, {}

    def _series_attrs(self) -> dict[str, Any]:
        """Attributes of ``raw`` (header values that do not change). Default: none."""
        return {}

    def _extra_files(self) -> list[Path]:
        """Files besides the frames that ``raw`` is made from (a manifest, a header file)."""
        return []

    def _extra_observed(self) -> list[tuple[str, FileIdentity]]:
        """The extra files' fingerprint entries as the data were made from them (default:
        their identity now, taken before the frames are read)."""
        return [(self._file_key(p), identity_now(p)) for p in self._extra_files()]

    def _file_key(self, path: Path) -> str:
        """The name of ``path`` in the scan's fingerprint (default: the path itself)."""
        return os.fspath(path)

    def _selection(self) -> tuple[slice, slice]:
        """The detector rows and columns kept (default: the adapter's ``roi``/``reduce``
        options where it has them, else every pixel)."""
        options = self.options
        step = getattr(options, "reduce", None) or None
        r0, r1, c0, c1 = getattr(options, "roi", None) or (None, None, None, None)
        return slice(r0, r1, step), slice(c0, c1, step)

    def _format(self, frames: Sequence[Frame], *, workers: int) -> FrameFormat:
        """How the frames are read (:class:`~nx5d_core.frames.FrameFormat`); by default
        :meth:`decode_frame` on each file, the shape and type taken from the first frame."""
        if not frames:
            msg = f"{self._where()} has no frames"
            raise MissingFrameError(msg)
        return series_format(frames, decode=type(self).decode_frame, guard=self.repository.guard, workers=workers)  # fmt: skip

    # -- framework ------------------------------------------------------------------------
    def _remote_fs(self) -> Any | None:
        """The fsspec file system of a repository that is not on a local disk, else ``None``."""
        pattern = getattr(self.repository, "pattern", None)
        return None if pattern is None or pattern.is_local else pattern.fs

    def _remote_folder(self, fs: Any, frames: Sequence[Frame]) -> RemoteFolder:
        """The one folder of a remote scan's frames (default: their common parent; an adapter
        whose URLs a ``Path`` would not keep, such as ``http://``, gives its folder here)."""
        from .series_remote import remote_folder_of

        return remote_folder_of(fs, frames, where=self._where())

    def _fingerprint(self) -> Fingerprint:
        frames, pending = self._frames_and_pending()
        paths = [*self._extra_files(), *dict.fromkeys(f.path for f in [*frames, *pending])]
        fs = self._remote_fs()
        if fs is not None and frames:
            from .series_remote import remote_fingerprint

            folder = self._remote_folder(fs, frames)
            return remote_fingerprint(fs, folder, paths, key=lambda p: self._file_key(Path(p)))
        return Fingerprint(tuple((self._file_key(p), identity_now(p)) for p in paths))

    def _get_summary(self) -> ScanSummary:
        frames = self._frames()
        try:
            when = (
                datetime.fromtimestamp(frames[0].path.stat().st_mtime, tz=UTC) if frames else None
            )
        except OSError:
            when = None
        return ScanSummary(key=self.key, type=self.series_type, num_frames=len(frames), time=when)

    def _workers(self) -> int:
        workers = getattr(self.options, "workers", None)
        return int(workers or min(8, os.cpu_count() or 1))

    def _get_raw(self) -> xr.Dataset:
        return self._read_now(*self._selection())

    def _read_now(self, rows: slice, cols: slice) -> xr.Dataset:
        """The frames written so far, ``[rows, cols]`` of each, read now; what was read is
        recorded in ``self._observed`` for the fingerprint check."""
        from .progress import progress_bar

        frames, pending = (list(f) for f in self._frames_and_pending())
        fs = self._remote_fs()
        if fs is not None:
            return self._read_remote(fs, frames, pending, rows=rows, cols=cols)
        extra = self._extra_observed()
        fmt = self._format(frames, workers=self._workers())
        _check_region(rows, cols, fmt.shape, where=self._where())
        show = getattr(self.options, "progress", None)
        desc = f"{self.proposal.key}/{self.key}"
        with progress_bar(total=len(frames), unit="frame", desc=desc, show=show) as bar:
            try:
                images, files = read_series(fmt, frames, rows=rows, cols=cols, progress=bar.update)
            except CorruptFrameError as exc:
                if not pending or len(frames) < 2 or os.fspath(frames[-1].path) not in str(exc):
                    raise
                logger.info("%s: %s, and later frames are pending: left out", desc, exc)
                pending.insert(0, frames.pop())  # the newest frame, still being written
                images, files = read_series(fmt, frames, rows=rows, cols=cols, progress=bar.update)
        # with frames still to come, the files read are looked at again (a complete scan's
        # are, by the fingerprint after the read)
        changed = {p for p, i in files.items() if identity_now(p) != i} if pending else set()
        if changed and (k := _changed_tail(frames, changed)):
            # the newest files changed after their read (a writer that sets the mode or the
            # time once the data is in, as shutil.copy and cp -p do): still being written
            logger.info("%s: %s changed while read, later frames pending: left out", desc, frames[k].path.name)  # fmt: skip
            pending[:0] = frames[k:]
            del frames[k:]
            images = images[:k]
            files = {p: i for p, i in files.items() if p not in changed}
            changed = set()
        read = [(self._file_key(p), identity) for p, identity in files.items()]
        # a pending frame's entry never equals a real identity: each access reads again (a
        # frame arriving just now must not make the short read look whole)
        waiting = [(self._file_key(f.path), NOT_READ) for f in pending]
        self._observed = Fingerprint((*extra, *read, *waiting))
        dataset = self._dataset(images, frames, shape=fmt.shape, rows=rows, cols=cols, pending=pending)  # fmt: skip
        if pending and not changed:
            # every frame kept is as it was read: frames arriving meanwhile do not spoil it
            dataset.attrs[SNAPSHOT] = "read while frames were arriving: the complete frames so far"
        return dataset

    def _read_remote(
        self,
        fs: Any,
        frames: Sequence[Frame],
        pending: Sequence[Frame],
        *,
        rows: slice,
        cols: slice,
    ) -> xr.Dataset:
        from .progress import progress_bar

        series = self._remote_series(fs, frames, rows=rows, cols=cols)
        before = self._fingerprint()  # compared with one after the read, as for files
        first = series.first(check=self._region_check(rows, cols))
        show = getattr(self.options, "progress", None)
        desc = f"{self.proposal.key}/{self.key}"
        with progress_bar(total=len(frames), unit="frame", desc=desc, show=show) as bar:
            images = series.read(progress=bar.update)
        self._observed = before
        return self._dataset(images, frames, shape=first.shape, rows=rows, cols=cols, pending=pending)  # fmt: skip

    def _remote_series(self, fs: Any, frames: Sequence[Frame], *, rows: slice, cols: slice) -> RemoteSeries:  # fmt: skip
        from .series_remote import RemoteSeries

        folder = self._remote_folder(fs, frames)
        return RemoteSeries(folder=folder, frames=frames, decode=type(self).decode_frame, rows=rows, cols=cols)  # fmt: skip

    def _region_check(self, rows: slice, cols: slice) -> Callable[[tuple[int, int]], None]:
        return lambda shape: _check_region(rows, cols, shape, where=self._where())

    def _get_lazy(self) -> xr.Dataset:
        frames, pending = self._frames_and_pending()
        rows, cols = self._selection()
        fs = self._remote_fs()
        if fs is not None:
            series = self._remote_series(fs, frames, rows=rows, cols=cols)
            first = series.first(check=self._region_check(rows, cols))
            images = series.lazy(first=first, chunk=self.remote_frame_chunk)
            return self._dataset(images, frames, shape=first.shape, rows=rows, cols=cols, pending=pending)  # fmt: skip
        fmt = self._format(frames, workers=1)
        _check_region(rows, cols, fmt.shape, where=self._where())
        seen = self._seen.identities() if self._seen is not None else {}
        known = {os.fspath(f.path): seen[k] for f in frames if (k := self._file_key(f.path)) in seen}  # fmt: skip
        name = f"nx5d-series-{self.repository.url}-{self._where()}"
        images = lazy_series(fmt, frames, rows=rows, cols=cols, identities=known, chunk=self.frame_chunk, name=name)  # fmt: skip
        return self._dataset(images, frames, shape=fmt.shape, rows=rows, cols=cols, pending=pending)  # fmt: skip

    def _dataset(
        self,
        images: Any,
        frames: Sequence[Frame],
        *,
        shape: tuple[int, int],
        rows: slice,
        cols: slice,
        pending: Sequence[Frame] = (),
    ) -> xr.Dataset:
        """``images`` (frames, y, x) with the per-frame values and the series' attributes."""
        import pandas as pd
        import xarray as xr

        coords, data_vars = self._frame_values(frames)
        coords = {  # given as indexes: xarray then does not import pint to ask whether they are
            "frame": pd.RangeIndex(len(frames)),
            "y": pd.RangeIndex(shape[0])[rows],
            "x": pd.RangeIndex(shape[1])[cols],
            **coords,
        }
        data_vars = {**data_vars, self.image_variable: (("frame", "y", "x"), images, dict(self.image_attrs))}  # fmt: skip
        attrs = {"proposal": self.proposal.key, "scan": self.key, **self._series_attrs()}
        if pending:
            total = len(frames) + len(pending)
            attrs["nx5d_incomplete"] = (
                f"{len(pending)} of {total} frames left out: their files "
                f"({pending[0].path.name} on) are not written yet"
            )
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _changed_tail(frames: Sequence[Frame], changed: set[Path]) -> int:
    """Where the newest frames whose files changed begin, when they are all the newest
    (0 when a file changed before an unchanged one, or the first frame's did: no tail)."""
    k = len(frames)
    while k > 0 and frames[k - 1].path in changed:
        k -= 1
    if any(f.path in changed for f in frames[:k]):
        return 0
    return k if k < len(frames) else 0


def split_pending(frames: Sequence[Frame]) -> tuple[list[Frame], list[Frame]]:
    """``frames`` split before the trailing run whose files are not there yet (a table or
    manifest written ahead of its frames); a frame missing before a present one stays in the
    first part, and its read raises :class:`~nx5d_core.errors.MissingFrameError`."""
    frames = list(frames)
    k = len(frames)
    while k > 1 and not os.path.lexists(frames[k - 1].path):
        k -= 1
    return frames[:k], frames[k:]


def _check_region(rows: slice, cols: slice, shape: tuple[int, int], *, where: str) -> None:
    """A region that reaches beyond the detector is an error, never a silently smaller image."""
    for axis, cut, size in (("rows", rows, shape[0]), ("columns", cols, shape[1])):
        if cut.stop is not None and cut.stop > size:
            msg = (
                f"{where}: the region's {axis} {cut.start or 0}:{cut.stop} reach beyond the "
                f"detector's {shape[0]}x{shape[1]} pixels"
            )
            raise ValueError(msg)
