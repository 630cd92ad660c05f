"""Detector frames in HDF5 files: Lambda, Eiger and areaDetector's NDFileHDF5 write a 3-D
dataset (frames, y, x) per file, at ``entry/instrument/detector/data`` (NeXus layout) or
``entry/data/data`` (areaDetector's default layout). A frame is one member of that dataset.
Links out of the file (external links, virtual datasets) are refused, never followed: the root
guard cannot see where they lead.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np

from nx5d_core.errors import FormatError

__all__ = ["DATA_PATHS", "HDF5_SUFFIXES", "decode_hdf5", "hdf5_frames", "is_hdf5"]

DATA_PATHS = ("entry/instrument/detector/data", "entry/data/data")
HDF5_SUFFIXES = (".nxs", ".h5", ".hdf5", ".hdf")
_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_hdf5(head: bytes) -> bool:
    """Whether a file's first bytes are HDF5's signature (at offset 0, where detectors put it)."""
    return head[:8] == _MAGIC


def _data(handle: Any, where: str) -> Any:
    for path in DATA_PATHS:
        node: Any = handle
        ok = True
        for part in path.split("/"):
            link = node.get(part, getlink=True)
            if link is None:
                ok = False
                break
            if type(link).__name__ != "HardLink":
                msg = f"{where}: {path} goes through a {type(link).__name__} ({part}): links out of a detector file are not followed"  # fmt: skip
                raise FormatError(msg)
            node = node[part]
        if ok:
            if getattr(node, "is_virtual", False):
                msg = f"{where}: {path} is a virtual dataset: its sources are not followed"
                raise FormatError(msg)
            if getattr(node, "ndim", 0) != 3:
                msg = f"{where}: {path} has {getattr(node, 'ndim', 0)} dimensions, not (frames, y, x)"  # fmt: skip
                raise FormatError(msg)
            return node
    msg = f"{where}: no detector data at {' or '.join(DATA_PATHS)}"
    raise FormatError(msg)


def hdf5_frames(stream: BinaryIO) -> int:
    """Number of frames in a detector HDF5 file."""
    import h5py

    with h5py.File(stream, "r") as handle:
        return int(_data(handle, str(getattr(stream, "name", ""))).shape[0])


def decode_hdf5(stream: BinaryIO, *, member: int) -> np.ndarray:
    """Frame ``member`` of a detector HDF5 file."""
    import h5py

    with h5py.File(stream, "r") as handle:
        frame: np.ndarray = np.asarray(_data(handle, str(getattr(stream, "name", "")))[member])
        return frame
