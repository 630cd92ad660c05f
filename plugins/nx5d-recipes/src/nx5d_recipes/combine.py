"""Several scans as one recipe input: frames concatenated, each tagged with its scan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nx5d_core.recipes import RecipeError

from .variables import variable

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["concat_frames"]


def _signal_name(params: Any) -> str:
    detector = getattr(params, "detector", None)
    if detector is not None:
        return str(detector.signal)
    return str(getattr(params, "signal", None) or "data")


def concat_frames(raws: Sequence[xr.Dataset], *, keys: Sequence[str], params: Any) -> xr.Dataset:
    """Concatenate along the signal's frame axis; a coordinate ``scan`` names each frame's scan.

    Everything not along the frame axis (detector coordinates, channel numbers) must be equal
    in every scan: a mismatch raises instead of being filled with NaN.
    """
    import xarray as xr

    name = _signal_name(params)
    dims = {
        str(variable(r, name, what=f"scan {k!r}").dims[0]) for r, k in zip(raws, keys, strict=True)
    }
    if len(dims) != 1:
        msg = f"scans {list(keys)} disagree on the frame axis of {name!r}: {sorted(dims)}"
        raise RecipeError(msg)
    dim = dims.pop()
    try:
        merged = xr.concat(
            list(raws),
            dim=dim,
            data_vars="minimal",
            coords="minimal",
            compat="equals",
            join="exact",
            combine_attrs="drop_conflicts",
        )
    except ValueError as exc:
        msg = f"scans {list(keys)} cannot be merged along {dim!r}: {exc}"
        raise RecipeError(msg) from exc
    sizes = [r.sizes[dim] for r in raws]
    return merged.assign_coords(scan=(dim, np.repeat(np.asarray(list(keys), dtype=object), sizes)))
