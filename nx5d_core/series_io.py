"""Reading a series of detector frames from image files: the pieces every frame-series adapter
shares (:class:`~nx5d_core.series.FrameSeriesScan` and the SPEC and FIO detector readers).

A file is opened inside the repository root as a regular file; its identity (inode, size, mtime)
is taken before and after each frame's decode; every frame must have the first frame's shape and
type; a decoder's own exception becomes :class:`~nx5d_core.errors.CorruptFrameError` naming the
frame and its file; a frame whose file is missing raises, it is never zeros.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from .errors import (
    CorruptFrameError,
    FilesChangedError,
    FormatError,
    FrameShapeError,
    MissingFrameError,
    Nx5dError,
)
from .fingerprint import MISSING
from .paths import FileIdentity, RootGuard, file_identity, open_regular

if TYPE_CHECKING:
    import numpy as np

    from .frames import FrameFormat

__all__ = [
    "Frame",
    "FrameDecoder",
    "FrameFile",
    "SeriesFormat",
    "decoded",
    "lazy_series",
    "read_series",
    "series_format",
]


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


def decoded(decode: FrameDecoder, stream: BinaryIO, *, path: str | PurePath, index: int, member: int) -> np.ndarray:  # fmt: skip
    """``decode(stream, member=member)`` as an array; a failure names the frame and its file
    (a decoder's own exception is :class:`CorruptFrameError`, never passed on bare)."""
    import numpy as np

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
    fmt: FrameFormat,
    frames: Sequence[Frame],
    *,
    rows: slice = slice(None),
    cols: slice = slice(None),
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, dict[Path, FileIdentity]]:
    """``frames`` read now into one (frames, rows, cols) array, and the identity of each file
    as it was read (the frames' own paths -> identity), for the scan's fingerprint."""
    from .frames import read_frames

    seen: list[FileIdentity | None] = [None] * len(frames)
    images = read_frames(fmt, [f.path for f in frames], rows=rows, cols=cols, progress=progress, seen=seen)  # fmt: skip
    return images, {f.path: s or MISSING for f, s in zip(frames, seen, strict=True)}


def lazy_series(
    fmt: FrameFormat,
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
    import numpy as np

    from .frames import FrameStack

    paths = [os.fspath(f.path) for f in frames]
    known = [identities.get(p) for p in paths]
    stack = FrameStack([f.path for f in frames], fmt, rows=rows, cols=cols, identities=known)
    # the graph's name from what the array reads: text of plain values, hashed (dask's own
    # tokenize walks the thousands of entries one by one, ten times slower)
    planned = repr((rows, cols, paths, known, [f.member for f in frames]))
    return da.from_array(  # type: ignore[no-untyped-call]
        stack,
        chunks=(chunk, *stack.shape[1:]),
        name=f"{name}-{hashlib.sha256(planned.encode()).hexdigest()[:32]}",
        meta=np.empty((0, 0, 0), stack.dtype),
    )
