"""nx5d adapter for detector image files and numbered series, read through fabio.

Importing the package is light (the plugin registry imports it to describe the adapter): the
adapter loads on first use of one of its names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.exports import lazy_exports

_LAZY = {
    "ImagesRepository": ".adapter",
    "ImagesScan": ".adapter",
    "Series": ".series",
    "group_series": ".series",
}

__all__ = ["ImagesRepository", "ImagesScan", "Series", "group_series"]

__getattr__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:
    from .adapter import ImagesRepository, ImagesScan
    from .series import Series, group_series
