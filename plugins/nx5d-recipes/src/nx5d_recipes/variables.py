"""Finding a recipe's named variables in raw data, with errors that say what was looked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nx5d_core.recipes import RecipeError

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["frame_values", "variable"]


def variable(raw: xr.Dataset, name: str, *, what: str) -> xr.DataArray:
    """``raw[name]``; else the one variable whose dotted name ends in ``.name`` (NeXus paths such
    as ``instrument.imaging.image_key``), if all such candidates hold equal values."""
    if name in raw.variables:
        return raw[name]
    candidates = [str(v) for v in raw.variables if str(v).endswith("." + name)]
    if candidates:
        first = raw[candidates[0]]
        if all(raw[c].equals(first) for c in candidates[1:]):
            return first
        msg = f"{what}: {name!r} is ambiguous in the raw data ({', '.join(candidates)} differ); name one"
        raise RecipeError(msg)
    known = ", ".join(sorted(str(v) for v in raw.variables)) or "none"
    msg = f"{what}: the raw data have no variable {name!r} (variables: {known}); set it in spice"
    raise RecipeError(msg)


def frame_values(raw: xr.Dataset, name: str, *, dim: str, what: str) -> np.ndarray:
    """A per-frame variable (1-D along the frame axis ``dim``) as float64."""
    var = variable(raw, name, what=what)
    if var.dims != (dim,):
        msg = f"{what}: variable {name!r} has dimensions {var.dims}; expected ({dim!r},), one value per frame"
        raise RecipeError(msg)
    try:
        return np.asarray(var.values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{what}: variable {name!r} is not numeric ({var.dtype})"
        raise RecipeError(msg) from exc
