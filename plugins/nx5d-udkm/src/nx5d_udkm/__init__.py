"""UDKM adapter: ``{root}/{proposal}/{scan}/`` folders with manifest.dat, image#####.tiff, parameters.txt."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    CorruptFrameError,
    FrameCountError,
    FrameShapeError,
    ManifestError,
    MissingFrameError,
    UdkmFormatError,
)

_LAZY = {
    "UdkmProposal": ".adapter",
    "UdkmRepository": ".adapter",
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


def __getattr__(name: str) -> Any:
    """Import the heavy parts on first use: registering the plugin imports none of them."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .adapter import UdkmProposal, UdkmRepository, UdkmScan
    from .rsm import RsmParams
