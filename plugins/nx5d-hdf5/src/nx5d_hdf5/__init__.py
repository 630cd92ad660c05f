"""HDF5 / NeXus adapter for nx5d: scans as files or as entries inside files."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import DanglingLinkError, Hdf5FormatError, MissingFilterError

_LAZY = {
    "Hdf5Proposal": ".adapter",
    "Hdf5Repository": ".adapter",
    "Hdf5Scan": ".adapter",
    "write_nexus": ".writer",
}

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
    from .adapter import Hdf5Proposal, Hdf5Repository, Hdf5Scan
    from .writer import write_nexus
