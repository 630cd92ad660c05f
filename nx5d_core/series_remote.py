"""A frame series in an object store or on a web server: :class:`~nx5d_core.series.FrameSeriesScan`
when its repository's pattern is not on a local disk.

The frames must lie in one folder (one listing gives every identity). ``raw`` fetches them in
concurrent batches straight into one array (:class:`~nx5d_core.remote_folder.RemoteFolder`);
``lazy()`` makes one dask block per few frames, and each block asks its objects again after the
read, so a changed object raises :class:`~nx5d_core.errors.FilesChangedError` instead of mixing
old and new frames.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from .errors import FormatError, FrameShapeError
from .fingerprint import Fingerprint, fingerprint_remote

if TYPE_CHECKING:
    import numpy as np

    from .remote_folder import RemoteFolder
    from .series_io import Frame, FrameDecoder

__all__ = ["lazy_remote_series", "read_remote_series", "remote_fingerprint", "remote_folder_of"]


def remote_folder_of(fs: Any, frames: Sequence[Frame], *, where: str) -> RemoteFolder:
    """The one folder ``frames`` are in, on ``fs``."""
    from .remote_folder import RemoteFolder

    folders = {f.path.parent.as_posix() for f in frames}
    if len(folders) != 1:
        shown = ", ".join(sorted(folders)[:3]) or "none"
        msg = f"{where}: the frames of a remote series must be in one folder, not in {shown}"
        raise FormatError(msg)
    return RemoteFolder(fs, folders.pop())


def remote_fingerprint(
    fs: Any, folder: RemoteFolder, paths: Sequence[PurePath], *, key: Callable[[PurePath], str]
) -> Fingerprint:
    """The fingerprint of ``paths`` (named by ``key``): one listing for those in ``folder``,
    one request each for the others."""
    inside = [p.name for p in paths if p.parent.as_posix() == folder.folder]
    listed = folder.fingerprint(inside).identities()
    others = fingerprint_remote(fs, [p.as_posix() for p in paths if p.parent.as_posix() != folder.folder]).identities()  # fmt: skip
    return Fingerprint(tuple(
        (key(p), listed[p.name] if p.parent.as_posix() == folder.folder else others[p.as_posix()])
        for p in paths
    ))  # fmt: skip


def read_remote_series(
    folder: RemoteFolder,
    frames: Sequence[Frame],
    *,
    decode: FrameDecoder,
    rows: slice,
    cols: slice,
    check: Callable[[tuple[int, int]], None],
    progress: Callable[[int], object] | None = None,
) -> tuple[np.ndarray, tuple[int, int]]:
    """The frames ``[rows, cols]`` in one array, and the detector's shape (``check``-ed first)."""
    names = [f.path.name for f in frames]
    shape = _shape(folder.decode(decode, names[0], index=0), where=folder.url(names[0]))
    check(shape)
    images = folder.read_frames(names, decode=decode, rows=rows, cols=cols, progress=progress)
    return images, shape


def lazy_remote_series(
    folder: RemoteFolder,
    frames: Sequence[Frame],
    *,
    decode: FrameDecoder,
    rows: slice,
    cols: slice,
    check: Callable[[tuple[int, int]], None],
    chunk: int,
) -> tuple[Any, tuple[int, int]]:
    """The frames as a dask array of blocks of ``chunk`` frames, and the detector's shape."""
    import dask.array as da
    from dask.delayed import delayed

    names = [f.path.name for f in frames]
    first = folder.decode(decode, names[0], index=0)
    shape = _shape(first, where=folder.url(names[0]))
    check(shape)
    sliced = first[rows, cols].shape
    planned = folder.fingerprint(names).identities()  # each block checks these: never mixed frames
    blocks = [
        da.from_delayed(  # type: ignore[no-untyped-call]
            delayed(folder.read_frames)(
                names[i : i + chunk],
                decode=decode,
                rows=rows,
                cols=cols,
                expect={n: planned[n] for n in names[i : i + chunk]},
                first_index=i,
            ),
            shape=(len(names[i : i + chunk]), *sliced),
            dtype=first.dtype,
        )
        for i in range(0, len(names), chunk)
    ]
    return da.concatenate(blocks), shape  # type: ignore[no-untyped-call]


def _shape(frame: np.ndarray, *, where: str) -> tuple[int, int]:
    if frame.ndim != 2:
        msg = f"frame 0: {where} decodes to {frame.ndim} dimensions, not an image (2)"
        raise FrameShapeError(msg)
    return int(frame.shape[0]), int(frame.shape[1])
