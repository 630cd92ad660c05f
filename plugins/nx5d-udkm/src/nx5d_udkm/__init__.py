"""UDKM adapter: ``{root}/{proposal}/{scan}/`` folders with manifest.dat, image#####.tiff, parameters.txt."""

from .adapter import UdkmProposal, UdkmRepository, UdkmScan
from .errors import (
    CorruptFrameError,
    FrameCountError,
    FrameShapeError,
    ManifestError,
    MissingFrameError,
    UdkmFormatError,
)
from .rsm import RsmParams

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
