"""Recipes shipped with nx5d: ``rsm`` (reciprocal-space maps) and ``flatfield``.

Importing this package is light (the plugin registry imports it whenever a repository is
opened): the parameter models load on first use of one of their names, xrayutilities and
scipy when a recipe runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.exports import lazy_exports

_LAZY = {
    "AreaDetector": ".rsm_model",
    "Circle": ".rsm_model",
    "FlatFieldParams": ".flatfield_model",
    "LinearDetector": ".rsm_model",
    "Normalisation": ".rsm_model",
    "PointDetector": ".rsm_model",
    "RsmParams": ".rsm_model",
}

__all__ = [
    "AreaDetector",
    "Circle",
    "FlatFieldParams",
    "LinearDetector",
    "Normalisation",
    "PointDetector",
    "RsmParams",
]

__getattr__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:
    from .flatfield_model import FlatFieldParams
    from .rsm_model import (
        AreaDetector,
        Circle,
        LinearDetector,
        Normalisation,
        PointDetector,
        RsmParams,
    )
