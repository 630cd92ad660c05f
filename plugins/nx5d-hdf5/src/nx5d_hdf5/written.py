"""What of a dataset was ever written: HDF5's chunk allocation, never fill values read as data.

A writer that creates a dataset for 100 frames and stops (a crash, an abort, a file still being
written) leaves the chunks of the missing frames unallocated; HDF5 reads them as the fill value
(zeros by default). :func:`unwritten_rows` asks HDF5 which chunks exist; the scan then keeps
only the frames written before the first missing one (trailing frames never written are left
out, with a note and a warning), and refuses a dataset with missing frames in its middle
(:class:`UnwrittenDataError` naming them). A contiguous dataset with no storage at all was
never written. Not seen: a chunk that was allocated but only partly written (HDF5 keeps no
record), and datasets whose space was allocated early with fill values.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from .errors import Hdf5FormatError
from .groups import _first_time

__all__ = ["Unwritten", "UnwrittenDataError", "keep_written", "unwritten_rows"]
logger = logging.getLogger(__name__)


class UnwrittenDataError(Hdf5FormatError):
    """A dataset has frames in its middle that were never written (HDF5 would read fill values)."""


@dataclass(frozen=True, kw_only=True)
class Unwritten:
    """Rows (along the first axis) of a dataset that were never written."""

    name: str
    total: int
    written: int
    """Rows written before the first row that was not."""
    gaps: tuple[tuple[int, int], ...]
    """``[start, stop)`` ranges of unwritten rows."""

    @property
    def trailing_only(self) -> bool:
        return len(self.gaps) == 1 and self.gaps[0] == (self.written, self.total)

    def describe(self) -> str:
        shown = ", ".join(f"{a}-{b - 1}" if b - a > 1 else str(a) for a, b in self.gaps[:5])
        more = f" and {len(self.gaps) - 5} more ranges" if len(self.gaps) > 5 else ""
        missing = sum(b - a for a, b in self.gaps)
        return (
            f"{self.name}: {missing} of {self.total} frames were never written "
            f"(frames {shown}{more}; their chunks are not allocated, HDF5 would read fill values)"
        )


def unwritten_rows(dataset: h5py.Dataset) -> Unwritten | None:
    """``None`` if every row of ``dataset`` (first axis) has its storage written, else which not."""
    if dataset.is_virtual or dataset.ndim == 0 or dataset.size == 0:
        return None
    plist = dataset.id.get_create_plist()
    if plist.get_layout() == h5py.h5d.COMPACT or plist.get_external_count():
        return None
    total = int(dataset.shape[0])
    if dataset.chunks is None:
        if dataset.id.get_storage_size() == 0:
            return Unwritten(name=dataset.name, total=total, written=0, gaps=((0, total),))
        return None
    grid = [math.ceil(s / c) for s, c in zip(dataset.shape, dataset.chunks, strict=True)]
    allocated = dataset.id.get_num_chunks()
    if allocated == math.prod(grid):
        return None
    per_row = math.prod(grid[1:])
    counts = np.zeros(grid[0], dtype=np.int64)
    step = dataset.chunks[0]

    def count(info: Any) -> None:
        row = info.chunk_offset[0] // step
        if row < counts.size:  # a chunk a SWMR writer added after the shape was read: not ours
            counts[row] += 1

    if hasattr(dataset.id, "chunk_iter"):
        dataset.id.chunk_iter(count)
    else:  # older HDF5: one call per chunk
        for n in range(allocated):
            count(dataset.id.get_chunk_info(n))
    rows = np.repeat(counts == per_row, step)[:total]
    missing = np.flatnonzero(~rows)
    if missing.size == 0:
        return None
    breaks = np.flatnonzero(np.diff(missing) > 1)
    starts = np.concatenate(([missing[0]], missing[breaks + 1]))
    stops = np.concatenate((missing[breaks], [missing[-1]])) + 1
    gaps = tuple((int(a), int(b)) for a, b in zip(starts, stops, strict=True))
    return Unwritten(name=dataset.name, total=total, written=int(missing[0]), gaps=gaps)


def keep_written(result: Any, partial: dict[int, Unwritten], *, path: str) -> Any:
    """``result`` (an xarray Dataset) with the frames never written left out.

    ``partial`` maps ``id(data)`` of a loaded array to what of it was not written. A variable
    with gaps in its middle raises :class:`UnwrittenDataError`; one never written at all is
    dropped; trailing frames never written are cut from the variable's first dimension (and so
    from every variable along it), with a note in ``nx5d_unwritten``.

    Raises
    ------
    UnwrittenDataError
        Missing frames in the middle, or nothing of the scan's frames written at all.
    """
    if not partial:
        return result
    notes: list[str] = []
    drop: list[str] = []
    cut: dict[str, int] = {}
    for name, var in result.variables.items():
        info = partial.get(id(var.data))
        if info is None:
            continue
        if not info.trailing_only:
            msg = f"{path}: {info.describe()}: read the written frames with scan.field() and a selection"
            raise UnwrittenDataError(msg)
        notes.append(info.describe())
        if info.written == 0:
            drop.append(str(name))
            continue
        dim = var.dims[0]
        cut[dim] = min(cut.get(dim, info.total), info.written)
    out = result.drop_vars(drop)
    if not out.data_vars:
        msg = f"{path}: none of the scan's data was written: {'; '.join(notes)}"
        raise UnwrittenDataError(msg)
    if cut:
        if any(n == 0 for n in cut.values()):
            msg = f"{path}: no frame of the scan was written: {'; '.join(notes)}"
            raise UnwrittenDataError(msg)
        out = out.isel({d: slice(0, n) for d, n in cut.items()})
    if _first_time(path, "", "unwritten"):
        logger.warning("%s: %s", path, "; ".join(notes))
    out.attrs["nx5d_unwritten"] = notes
    return out
