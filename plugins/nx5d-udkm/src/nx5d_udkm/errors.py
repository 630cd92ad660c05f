"""Errors for UDKM scan folders; each names the file (and line or frame) that is wrong."""

from __future__ import annotations

from nx5d_core.errors import CorruptFrameError, FormatError, FrameShapeError, MissingFrameError

__all__ = [
    "CorruptFrameError",
    "FrameCountError",
    "FrameShapeError",
    "ManifestError",
    "MissingFrameError",
    "UdkmFormatError",
]


class UdkmFormatError(FormatError):
    """A scan folder that does not follow the UDKM layout."""


class ManifestError(UdkmFormatError):
    """manifest.dat is missing, empty or has a malformed line (the message gives the line number)."""


class FrameCountError(UdkmFormatError):
    """The number of manifest rows and image files differ."""


# The frame errors are the core's (nx5d_core.errors), shared by every frame-series adapter:
# MissingFrameError, CorruptFrameError and FrameShapeError are importable from here as before.
