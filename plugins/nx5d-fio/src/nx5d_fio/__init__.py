"""nx5d adapter for PETRA III FIO files with their detector frames.

Importing the package is light (the plugin registry imports it to describe the adapter): the
adapter, and xarray with it, loads on first use of one of its names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.exports import lazy_exports

_LAZY = {
    "FioRepository": ".adapter",
    "FioScan": ".adapter",
    "FioFormatError": ".parser",
    "parse_fio": ".parser",
}

__all__ = ["FioFormatError", "FioRepository", "FioScan", "parse_fio"]

__getattr__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:
    from .adapter import FioRepository, FioScan
    from .parser import FioFormatError, parse_fio
