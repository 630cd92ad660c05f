"""HDF5 / NeXus adapter for nx5d: scans as files or as entries inside files."""

from .adapter import Hdf5Proposal, Hdf5Repository, Hdf5Scan
from .errors import DanglingLinkError, Hdf5FormatError, MissingFilterError
from .writer import write_nexus

__all__ = [
    "DanglingLinkError",
    "Hdf5FormatError",
    "Hdf5Proposal",
    "Hdf5Repository",
    "Hdf5Scan",
    "MissingFilterError",
    "write_nexus",
]
__version__ = "0.1.0"
