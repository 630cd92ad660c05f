"""Errors for UDKM scan folders; each names the file (and line or frame) that is wrong."""

from __future__ import annotations

from nx5d_core.errors import FormatError


class UdkmFormatError(FormatError):
    """A scan folder that does not follow the UDKM layout."""


class ManifestError(UdkmFormatError):
    """manifest.dat is missing, empty or has a malformed line (the message gives the line number)."""


class MissingFrameError(UdkmFormatError, FileNotFoundError):
    """An image file named by the manifest does not exist."""


class FrameCountError(UdkmFormatError):
    """The number of manifest rows and image files differ."""


class CorruptFrameError(UdkmFormatError):
    """An image file is truncated or not a readable TIFF."""


class FrameShapeError(UdkmFormatError):
    """An image has another shape or type than the scan's first frame."""
