"""HDF5 / NeXus adapter for nx5d: scans as files or as entries inside files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.exports import lazy_exports

from .errors import DanglingLinkError, Hdf5FormatError, Hdf5NoDataError, MissingFilterError

_LAZY = {
    "Hdf5Proposal": ".adapter",
    "Hdf5Repository": ".adapter",
    "Hdf5Scan": ".adapter",
    "write_nexus": ".writer",
}

__all__ = [
    "DanglingLinkError",
    "Hdf5FormatError",
    "Hdf5NoDataError",
    "Hdf5Proposal",
    "Hdf5Repository",
    "Hdf5Scan",
    "MissingFilterError",
    "write_nexus",
]
__version__ = "0.1.0"


__getattr__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:
    from .adapter import Hdf5Proposal, Hdf5Repository, Hdf5Scan
    from .writer import write_nexus
