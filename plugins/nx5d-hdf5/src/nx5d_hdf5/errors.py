"""Errors of the HDF5 adapter, each naming the file and the object."""

from __future__ import annotations

from nx5d_core.errors import FormatError


class Hdf5FormatError(FormatError, OSError):
    """A file that is not HDF5, is truncated, or lacks what it promises (e.g. a signal)."""


class DanglingLinkError(Hdf5FormatError, FileNotFoundError):
    """An external link whose target file or object does not exist."""


class MissingFilterError(Hdf5FormatError):
    """A dataset compressed with an HDF5 filter that is not available here."""


class Hdf5NoDataError(Hdf5FormatError):
    """A NeXus entry that holds no measured data (no data group with a signal or axes, and no
    array along a scan): geometry only, reflection or mmCIF tables, test files."""


class Hdf5BusyError(Hdf5FormatError):
    """A file another process holds open for writing without SWMR: it cannot be read
    consistently until the writer closes it (nothing is wrong with the file)."""
