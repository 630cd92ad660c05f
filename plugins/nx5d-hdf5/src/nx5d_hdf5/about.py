"""What nx5d knows of the HDF5 adapter before importing it (no h5py, no xarray): name,
description, patterns and a light guess."""

from __future__ import annotations

from pathlib import Path

from .pointing import HDF5_SUFFIX, point_at

NAME = "hdf5"
DESCRIPTION = "HDF5 / NeXus files: a file per scan or scans as entries; NeXus default/signal/axes."
URL_PATTERNS = (
    "*.h5", "*.hdf5", "*.hdf", "*.nxs", "*.nx5",
    "*.h5#*", "*.hdf5#*", "*.hdf#*", "*.nxs#*", "*.nx5#*",
    "<a folder of HDF5 files, or of folders of them>",
)  # fmt: skip
VERSION = "0.1.0"


def guess_can_open(url: str) -> bool:
    """The path part (before ``#``) ends with an HDF5/NeXus suffix, or a local folder holds
    HDF5 files (directly or one folder down)."""
    if HDF5_SUFFIX.search(url.partition("#")[0]):
        return True
    return "{" not in url and point_at(Path(url.removeprefix("file://"))) is not None
