"""A scan's frames, one file each, read into one preallocated array in parallel — for any image
format. tiled's ``FileSequenceAdapter`` does the same for its TIFF stacks: the threading,
batching, slicing and error propagation live here once, and a format supplies only how to read
one frame into a buffer.

A format is any object with ``shape`` (rows, columns), ``dtype``, ``workers`` and
``read_into(path, out, *, index, identity=None, seen=None, slot=0)``, which fills the
C-contiguous ``out`` with frame ``index`` from ``path``, raises naming the file, checks the
file's ``identity`` (inode, size, mtime) when given and records the identity it read in
``seen[slot]``. It must pickle (lazy arrays travel to workers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .buffers import empty
from .paths import FileIdentity

__all__ = ["FrameFormat", "FrameStack", "read_frames"]


class FrameFormat(Protocol):
    """How to read one frame of an image format into a buffer (see the module docstring)."""

    @property
    def shape(self) -> tuple[int, int]: ...
    @property
    def dtype(self) -> np.dtype[Any]: ...
    @property
    def workers(self) -> int: ...

    def read_into(
        self,
        path: Path,
        out: np.ndarray,
        *,
        index: int,
        identity: FileIdentity | None = None,
        seen: list[FileIdentity | None] | None = None,
        slot: int = 0,
    ) -> None: ...


def read_frames(
    fmt: FrameFormat,
    paths: Sequence[Path],
    *,
    rows: slice = slice(None),
    cols: slice = slice(None),
    progress: Callable[[int], None] | None = None,
    parallel: bool = True,
    identities: Sequence[FileIdentity | None] | None = None,
    indices: Sequence[int] | None = None,
    seen: list[FileIdentity | None] | None = None,
) -> np.ndarray:
    """Read ``paths`` into one new array of shape (frames, rows, cols) selected by the slices.

    Frames are read in blocks on ``fmt.workers`` threads, straight into the output when no
    region is selected; errors in worker threads are raised here (the first by submission
    order) and the remaining blocks are cancelled. ``indices`` are the frame numbers used in
    messages; ``identities``/``seen`` are passed to ``fmt.read_into``.
    """
    ny, nx = fmt.shape
    yr, xr_ = range(ny)[rows], range(nx)[cols]
    out = empty((len(paths), len(yr), len(xr_)), fmt.dtype)  # huge pages, touched by the readers
    whole = len(yr) == ny and len(xr_) == nx and rows.step in (None, 1) and cols.step in (None, 1)

    def work(start: int, stop: int) -> int:
        buf = None if whole else np.empty(fmt.shape, fmt.dtype)
        for i in range(start, stop):
            identity = None if identities is None else identities[i]
            index = i if indices is None else indices[i]
            target = out[i] if buf is None else buf
            fmt.read_into(paths[i], target, index=index, identity=identity, seen=seen, slot=i)
            if buf is not None:
                out[i] = buf[rows, cols]
        return stop - start

    step = max(1, min(64, len(paths) // (fmt.workers * 4) or 1))
    blocks = [(s, min(s + step, len(paths))) for s in range(0, len(paths), step)]
    if not parallel or fmt.workers == 1 or len(blocks) == 1:
        for s, e in blocks:
            done = work(s, e)
            if progress:
                progress(done)
        return out
    with ThreadPoolExecutor(max_workers=fmt.workers, thread_name_prefix="nx5d-frames") as pool:
        futures = [pool.submit(work, s, e) for s, e in blocks]
        try:
            for future in futures:
                done = future.result()
                if progress:
                    progress(done)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return out


class FrameStack:
    """Array-like (frames, rows, cols) over image files for ``dask.array.from_array``.

    Indexing reads only the frames asked for, so one frame of a lazy dataset is one file read;
    a frame whose file changed since ``identities`` were taken raises instead of mixing data.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        fmt: FrameFormat,
        *,
        rows: slice = slice(None),
        cols: slice = slice(None),
        identities: Sequence[FileIdentity | None] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.identities = None if identities is None else list(identities)
        self.format = fmt
        self.rows, self.cols = rows, cols
        ny, nx = fmt.shape
        self.shape = (len(self.paths), len(range(ny)[rows]), len(range(nx)[cols]))
        self.dtype = fmt.dtype
        self.ndim = 3

    def __getitem__(self, key: Any) -> np.ndarray:
        if not isinstance(key, tuple):
            key = (key,)
        key = key + (slice(None),) * (3 - len(key))
        frames = np.arange(self.shape[0])[key[0]]
        scalar = np.ndim(frames) == 0
        indices = [int(i) for i in np.atleast_1d(frames)]
        known = None if self.identities is None else [self.identities[i] for i in indices]
        data = read_frames(
            self.format,
            [self.paths[i] for i in indices],
            rows=self.rows,
            cols=self.cols,
            parallel=False,
            identities=known,
            indices=indices,
        )
        data = data[(slice(None), key[1], key[2])]
        return data[0] if scalar else data
