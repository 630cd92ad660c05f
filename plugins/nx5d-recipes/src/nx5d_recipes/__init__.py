"""Recipes shipped with nx5d: ``rsm`` (reciprocal-space maps) and ``flatfield``.

Importing this package is light: xrayutilities and scipy load when a recipe runs.
"""

from .flatfield_model import FlatFieldParams
from .rsm_model import AreaDetector, Circle, LinearDetector, Normalisation, PointDetector, RsmParams

__all__ = [
    "AreaDetector",
    "Circle",
    "FlatFieldParams",
    "LinearDetector",
    "Normalisation",
    "PointDetector",
    "RsmParams",
]
