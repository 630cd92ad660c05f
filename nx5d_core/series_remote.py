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
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from .errors import FormatError, FrameShapeError
from .fingerprint import Fingerprint, fingerprint_remote

if TYPE_CHECKING:
    import numpy as np

    from .remote_folder import RemoteFolder
    from .series_io import Frame, FrameDecoder

__all__ = ["RemoteSeries", "remote_fingerprint", "remote_folder_of"]


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


@dataclass(frozen=True)
class RemoteSeries:
    """The frames of one remote folder, ``[rows, cols]`` of each, decoded by ``decode``."""

    folder: RemoteFolder
    frames: Sequence[Frame]
    decode: FrameDecoder
    rows: slice
    cols: slice

    @property
    def names(self) -> list[str]:
        """The frames' file names in the folder."""
        return [f.path.name for f in self.frames]

    def first(self, *, check: Callable[[tuple[int, int]], None]) -> np.ndarray:
        """The first frame, its shape ``check``-ed (a region beyond the detector raises)."""
        name = self.names[0]
        frame = self.folder.decode(self.decode, name, index=0)
        if frame.ndim != 2:
            msg = f"frame 0: {self.folder.url(name)} decodes to {frame.ndim} dimensions, not an image (2)"  # fmt: skip
            raise FrameShapeError(msg)
        check((int(frame.shape[0]), int(frame.shape[1])))
        return frame

    def read(self, *, progress: Callable[[int], object] | None = None) -> np.ndarray:
        """Every frame in one array, fetched now."""
        return self.folder.read_frames(self.names, decode=self.decode, rows=self.rows, cols=self.cols, progress=progress)  # fmt: skip

    def lazy(self, *, first: np.ndarray, chunk: int) -> Any:
        """A dask array of blocks of ``chunk`` frames, each checking the identities it was
        planned with after its read."""
        import dask.array as da
        from dask.delayed import delayed

        names = self.names
        sliced = first[self.rows, self.cols].shape
        planned = self.folder.fingerprint(names).identities()
        blocks = [
            da.from_delayed(  # type: ignore[no-untyped-call]
                delayed(self.folder.read_frames)(
                    names[i : i + chunk],
                    decode=self.decode,
                    rows=self.rows,
                    cols=self.cols,
                    expect={n: planned[n] for n in names[i : i + chunk]},
                    first_index=i,
                ),
                shape=(len(names[i : i + chunk]), *sliced),
                dtype=first.dtype,
            )
            for i in range(0, len(names), chunk)
        ]
        return da.concatenate(blocks)  # type: ignore[no-untyped-call]
