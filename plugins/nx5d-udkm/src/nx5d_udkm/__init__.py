"""UDKM adapter: ``{root}/{proposal}/{scan}/`` folders with manifest.dat, image#####.tiff, parameters.txt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.exports import lazy_exports

from .errors import (
    CorruptFrameError,
    FrameCountError,
    FrameShapeError,
    ManifestError,
    MissingFrameError,
    UdkmFormatError,
)

_LAZY = {
    "UdkmProposal": ".repository",
    "UdkmRepository": ".repository",
    "UdkmScan": ".adapter",
    "RsmParams": ".rsm",
}

__all__ = [
    "CorruptFrameError",
    "FrameCountError",
    "FrameShapeError",
    "ManifestError",
    "MissingFrameError",
    "RsmParams",
    "UdkmFormatError",
    "UdkmProposal",
    "UdkmRepository",
    "UdkmScan",
]
__version__ = "0.1.0"


__getattr__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:
    from .adapter import UdkmScan
    from .repository import UdkmProposal, UdkmRepository
    from .rsm import RsmParams
