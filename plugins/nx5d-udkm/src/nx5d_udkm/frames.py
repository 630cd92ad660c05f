"""The TIFF frame format of UDKM scans: :class:`nx5d_core.tiff.TiffReader`, under its old name.

The reader moved to the core, where every TIFF-reading adapter shares it (the images adapter's
TIFF decoder is its one-file form); ``FrameReader`` stays importable from here.
"""

from __future__ import annotations

from nx5d_core.frames import FrameStack
from nx5d_core.tiff import Template, TiffReader

__all__ = ["FrameReader", "FrameStack", "Template"]

FrameReader = TiffReader
