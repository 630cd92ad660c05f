"""The base of every adapter whose scan is a series of detector frames in image files.

A subclass of :class:`FrameSeriesScan` says only *which* frames a scan has (:meth:`_frames`: a
path, and a frame number inside multi-frame files) and *how* one frame decodes
(:meth:`~FrameSeriesScan.decode_frame`: an open binary stream in, a 2-D array out). The base does
the rest, once for every format: the root guard and the special-file check on every file, the
identity (inode, size, mtime) of each file before and after its read, per-frame shape and type
checks, reading on threads straight into one preallocated array, progress, the fingerprint,
``raw``, and ``lazy()`` with one dask chunk per block of frames whose reads check the identities
the lazy dataset was planned with. A frame whose file is missing raises; it is never zeros.

tiled's ``FileSequenceAdapter`` and xarray's backends draw the same line: the format supplies
one frame, the framework the stacking.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, Protocol

import numpy as np

from .errors import (
    CorruptFrameError,
    FilesChangedError,
    FormatError,
    FrameShapeError,
    MissingFrameError,
    Nx5dError,
)
from .fingerprint import MISSING, Fingerprint, fingerprint_files
from .paths import FileIdentity, RootGuard, file_identity, open_regular
from .scan import Scan
from .summary import ScanSummary

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "Frame",
    "FrameDecoder",
    "FrameFile",
    "FrameSeriesScan",
    "SeriesFormat",
    "decoded",
    "lazy_series",
    "read_series",
    "series_format",
]
logger = logging.getLogger(__name__)


class FrameFile(io.BufferedReader):
    """A regular file opened inside the root for reading, named by its path (decoders such as
    fabio read ``stream.name``)."""

    def __init__(self, path: Path, *, guard: RootGuard, what: str) -> None:
        self._resolved = guard.resolve(path)
        try:
            fd = open_regular(self._resolved, what=what)
        except FileNotFoundError:
            msg = f"{what}: image file not found: {path}"
            raise MissingFrameError(msg) from None
        super().__init__(io.FileIO(fd, "rb", closefd=True))
        self._path = os.fspath(path)

    @property
    def name(self) -> str:
        return self._path

    def identity(self) -> FileIdentity:
        """The file's identity (inode, size, mtime, ctime); by its path once a decoder closed it
        (a file replaced meanwhile then shows as changed)."""
        return file_identity(self._resolved.stat() if self.closed else os.fstat(self.fileno()))


@dataclass(frozen=True)
class Frame:
    """One frame of a scan: its file, and its number inside the file (0 for one-frame files)."""

    path: Path
    member: int = 0


class FrameDecoder(Protocol):
    """Decodes frame ``member`` of the open file ``stream`` into a 2-D array."""

    def __call__(self, stream: BinaryIO, *, member: int) -> np.ndarray: ...


@dataclass(frozen=True)
class SeriesFormat:
    """The :class:`~nx5d_core.frames.FrameFormat` of a frame series: a decoder and what every
    frame must look like. It pickles (the decoder is a module-level or class-level function)."""

    shape: tuple[int, int]
    dtype: np.dtype[Any]
    workers: int
    decode: FrameDecoder
    guard: RootGuard
    members: tuple[int, ...]

    def read_into(
        self,
        path: Path,
        out: np.ndarray,
        *,
        index: int,
        identity: FileIdentity | None = None,
        seen: list[FileIdentity | None] | None = None,
        slot: int = 0,
    ) -> None:
        """Decode frame ``index`` (of the scan) from ``path`` into ``out`` (see the module docstring)."""
        with FrameFile(path, guard=self.guard, what=f"frame {index}") as stream:
            before = stream.identity()
            if seen is not None:
                seen[slot] = before
            if identity is not None and before != identity:
                msg = (
                    f"frame {index}: {path} changed since the scan was listed; read the scan again"
                )
                raise FilesChangedError(msg)
            data = self._decoded(stream, path=path, index=index)
            if stream.identity() != before:
                msg = f"frame {index}: {path} changed while it was read; read the scan again"
                raise FilesChangedError(msg)
        out[...] = data

    def _decoded(self, stream: BinaryIO, *, path: Path, index: int) -> np.ndarray:
        data = decoded(self.decode, stream, path=path, index=index, member=self.members[index])
        if data.shape != self.shape or data.dtype != self.dtype:
            msg = (
                f"frame {index}: {path} is {'x'.join(map(str, data.shape))} {data.dtype}, the "
                f"scan's first frame {'x'.join(map(str, self.shape))} {self.dtype}"
            )
            raise FrameShapeError(msg)
        return data


class FrameSeriesScan(Scan):
    """A scan whose frames are image files (see the module docstring).

    Subclasses give :meth:`_frames` and :meth:`decode_frame`; optionally per-frame values
    (:meth:`_frame_values`), attributes (:meth:`_series_attrs`), other files the data depend on
    (:meth:`_extra_files`) and a detector region (:meth:`_selection`).
    """

    _observes_reads: ClassVar[bool] = True
    frame_chunk: ClassVar[int] = 64
    """Frames per dask chunk of :meth:`lazy`."""
    image_variable: ClassVar[str] = "images"
    image_attrs: ClassVar[Mapping[str, Any]] = {"units": "counts"}
    series_type: ClassVar[str] = "image series"
    """The summary's ``type``."""

    # -- what a format supplies ----------------------------------------------------------
    def _frames(self) -> Sequence[Frame]:
        """The scan's frames in order (cheap: a listing, no image read)."""
        raise NotImplementedError

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

    def _selection(self) -> tuple[slice, slice]:
        """The detector rows and columns kept (default: the adapter's ``roi``/``reduce``
        options where it has them, else every pixel)."""
        options = self.options
        step = getattr(options, "reduce", None) or None
        r0, r1, c0, c1 = getattr(options, "roi", None) or (None, None, None, None)
        return slice(r0, r1, step), slice(c0, c1, step)

    # -- framework ------------------------------------------------------------------------
    def _files(self, frames: Sequence[Frame]) -> list[Path]:
        return [*dict.fromkeys(f.path for f in frames), *self._extra_files()]

    def _fingerprint(self) -> Fingerprint:
        return fingerprint_files(self._files(self._frames()))

    def _get_summary(self) -> ScanSummary:
        frames = self._frames()
        try:
            when = (
                datetime.fromtimestamp(frames[0].path.stat().st_mtime, tz=UTC) if frames else None
            )
        except OSError:
            when = None
        return ScanSummary(key=self.key, type=self.series_type, num_frames=len(frames), time=when)

    def _format(self, frames: Sequence[Frame], *, workers: int) -> SeriesFormat:
        """The series' format, its shape and type taken from the first frame."""
        if not frames:
            msg = f"{self._where()} has no frames"
            raise MissingFrameError(msg)
        return series_format(frames, decode=type(self).decode_frame, guard=self.repository.guard, workers=workers)  # fmt: skip

    def _workers(self) -> int:
        workers = getattr(self.options, "workers", None)
        return int(workers or min(8, os.cpu_count() or 1))

    def _get_raw(self) -> xr.Dataset:
        from .progress import progress_bar

        frames = self._frames()
        extra = [(os.fspath(p), _identity(p)) for p in self._extra_files()]
        fmt = self._format(frames, workers=self._workers())
        rows, cols = self._selection()
        show = getattr(self.options, "progress", None)
        desc = f"{self.proposal.key}/{self.key}"
        with progress_bar(total=len(frames), unit="frame", desc=desc, show=show) as bar:
            images, files = read_series(fmt, frames, rows=rows, cols=cols, progress=bar.update)
        self._observed = Fingerprint((*files.items(), *extra))
        return self._dataset(images, frames, shape=fmt.shape)

    def _get_lazy(self) -> xr.Dataset:
        frames = self._frames()
        fmt = self._format(frames, workers=1)
        rows, cols = self._selection()
        known = self._seen.identities() if self._seen is not None else {}
        name = f"nx5d-series-{self.repository.url}-{self._where()}"
        images = lazy_series(fmt, frames, rows=rows, cols=cols, identities=known, chunk=self.frame_chunk, name=name)  # fmt: skip
        return self._dataset(images, frames, shape=fmt.shape)

    def _dataset(self, images: Any, frames: Sequence[Frame], *, shape: tuple[int, int]) -> xr.Dataset:  # fmt: skip
        import xarray as xr

        rows, cols = self._selection()
        coords, data_vars = self._frame_values(frames)
        coords = {
            "frame": np.arange(len(frames)),
            "y": np.arange(shape[0])[rows],
            "x": np.arange(shape[1])[cols],
            **coords,
        }
        data_vars = {**data_vars, self.image_variable: (("frame", "y", "x"), images, dict(self.image_attrs))}  # fmt: skip
        attrs = {"proposal": self.proposal.key, "scan": self.key, **self._series_attrs()}
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def decoded(decode: FrameDecoder, stream: BinaryIO, *, path: Path, index: int, member: int) -> np.ndarray:  # fmt: skip
    """``decode(stream, member=member)`` as an array; a failure names the frame and its file
    (a decoder's own exception is :class:`CorruptFrameError`, never passed on bare)."""
    try:
        return np.asarray(decode(stream, member=member))
    except FormatError as exc:
        if os.fspath(path) in str(exc):
            raise
        msg = f"frame {index}: {path}: {exc}"
        raise type(exc)(msg) from exc
    except (OSError, Nx5dError):
        raise
    except Exception as exc:
        where = f" (frame {member} of the file)" if member else ""
        msg = f"frame {index}: {path}{where} cannot be decoded: {type(exc).__name__}: {exc}"
        raise CorruptFrameError(msg) from exc


def series_format(
    frames: Sequence[Frame], *, decode: FrameDecoder, guard: RootGuard, workers: int
) -> SeriesFormat:
    """The format of ``frames``: every frame must look like the first one whose file exists,
    decoded now (a frame whose file is missing raises when it is read, never before).

    Raises
    ------
    MissingFrameError
        None of the frames' files exists (or there are no frames).
    """
    index, first = next(((i, f) for i, f in enumerate(frames) if f.path.is_file()), (0, None))
    if first is None:
        shown = f" ({frames[0].path} ...)" if frames else ""
        msg = f"none of the {len(frames)} frame files is there{shown}"
        raise MissingFrameError(msg)
    with FrameFile(first.path, guard=guard, what=f"frame {index}") as stream:
        data = decoded(decode, stream, path=first.path, index=index, member=first.member)
    if data.ndim != 2:
        msg = f"frame {index}: {first.path} decodes to {data.ndim} dimensions, not an image (2)"
        raise FrameShapeError(msg)
    return SeriesFormat(
        shape=(int(data.shape[0]), int(data.shape[1])), dtype=data.dtype, workers=workers,
        decode=decode, guard=guard, members=tuple(f.member for f in frames),
    )  # fmt: skip


def read_series(
    fmt: SeriesFormat,
    frames: Sequence[Frame],
    *,
    rows: slice = slice(None),
    cols: slice = slice(None),
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, dict[str, FileIdentity]]:
    """``frames`` read now into one (frames, rows, cols) array, and the identity of each file
    as it was read (path -> identity), for the scan's fingerprint."""
    from .frames import read_frames

    seen: list[FileIdentity | None] = [None] * len(frames)
    images = read_frames(fmt, [f.path for f in frames], rows=rows, cols=cols, progress=progress, seen=seen)  # fmt: skip
    return images, {os.fspath(f.path): s or MISSING for f, s in zip(frames, seen, strict=True)}


def lazy_series(
    fmt: SeriesFormat,
    frames: Sequence[Frame],
    *,
    rows: slice = slice(None),
    cols: slice = slice(None),
    identities: Mapping[str, FileIdentity],
    chunk: int = 64,
    name: str,
) -> Any:
    """``frames`` as a dask array, one chunk per ``chunk`` frames; each read checks the files
    against ``identities`` (path -> identity, as the files were when the array was planned)."""
    import dask.array as da
    from dask.base import tokenize

    from .frames import FrameStack

    known = [identities.get(os.fspath(f.path)) for f in frames]
    stack = FrameStack([f.path for f in frames], fmt, rows=rows, cols=cols, identities=known)
    return da.from_array(  # type: ignore[no-untyped-call]
        stack,
        chunks=(chunk, *stack.shape[1:]),
        name=f"{name}-{tokenize(rows, cols, known, [f.member for f in frames])}",
        meta=np.empty((0, 0, 0), stack.dtype),
    )


def _identity(path: Path) -> FileIdentity:
    try:
        return file_identity(path.stat())
    except OSError:
        return MISSING
