"""The ``flatfield`` recipe: (projection - dark) / (flat - dark), lazily, with ROI sums.

Darks and flats come from NeXus NXtomo ``image_key`` (0 projection, 1 flat, 2 dark, 3 invalid)
or, when several scans are cooked together, from the scans named ``dark_scan`` and
``flat_scan``. Pixels where flat - dark is not positive become NaN (not inf, not 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nx5d_core.recipes import RecipeError

from .flatfield_model import FLATFIELD_DEFAULTS, FlatFieldParams
from .variables import variable

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["cook_flatfield"]

PROJECTION, FLAT, DARK = 0, 1, 2


def _roles(raw: xr.Dataset, params: FlatFieldParams, *, dim: str) -> np.ndarray:
    """Per frame: 0 projection, 1 flat, 2 dark, 3 left out."""
    if params.dark_scan or params.flat_scan:
        if not (params.dark_scan and params.flat_scan):
            msg = "flatfield: name both dark_scan and flat_scan, or neither (image_key)"
            raise RecipeError(msg)
        if "scan" not in raw.coords:
            msg = (
                "flatfield: dark_scan/flat_scan need the scans cooked together: "
                f"proposal.cook([{params.dark_scan!r}, {params.flat_scan!r}, ...], recipe='flatfield')"
            )
            raise RecipeError(msg)
        scans = np.asarray(raw["scan"].values).astype(str)
        return np.where(
            scans == params.dark_scan, DARK, np.where(scans == params.flat_scan, FLAT, PROJECTION)
        )
    key = variable(raw, params.image_key or "image_key", what="flatfield image_key")
    if key.dims != (dim,):
        msg = f"flatfield: image_key {key.name!r} has dimensions {key.dims}; expected ({dim!r},)"
        raise RecipeError(msg)
    values = np.asarray(key.values)
    unknown = sorted(set(np.unique(values).tolist()) - {0, 1, 2, 3})
    if unknown:
        msg = f"flatfield: image_key {key.name!r} holds values {unknown}; NXtomo allows 0, 1, 2, 3"
        raise RecipeError(msg)
    return values.astype(np.int64)


def cook_flatfield(raw: xr.Dataset, params: FlatFieldParams) -> xr.Dataset:
    """``corrected`` (projections, rows, cols; dask if ``raw`` is), ``dark``, ``flat`` and, with a
    ROI, ``roi_sum`` per projection."""
    import xarray as xr

    params = FlatFieldParams.model_validate(
        {**FLATFIELD_DEFAULTS, **params.model_dump(mode="json", exclude_none=True)}
    )
    signal = variable(raw, params.signal or "data", what="flatfield signal")
    if signal.ndim != 3:
        msg = f"flatfield: signal {signal.name!r} has dimensions {signal.dims}; expected (frame, row, column)"
        raise RecipeError(msg)
    dim, rows, cols = (str(d) for d in signal.dims)
    roles = _roles(raw, params, dim=dim)
    counts = {
        name: int((roles == value).sum())
        for name, value in (("dark", DARK), ("flat", FLAT), ("projection", PROJECTION))
    }
    missing = [name for name, count in counts.items() if count == 0]
    if missing:
        msg = f"flatfield: no {' and no '.join(missing)} frames in {signal.name!r} (found {counts})"
        raise RecipeError(msg)
    data = signal.variable.data
    dark = data[np.flatnonzero(roles == DARK)].astype(np.float64).mean(axis=0)
    flat = data[np.flatnonzero(roles == FLAT)].astype(np.float64).mean(axis=0)
    projections = data[np.flatnonzero(roles == PROJECTION)].astype(np.float32)
    dark32 = dark.astype(np.float32)
    span = (flat - dark).astype(np.float32)
    span_ok = span > 0
    safe = np.where(span_ok, span, np.float32(np.nan))  # dask stays dask (NEP 18)
    corrected = (projections - dark32) / safe
    frame_coords: dict[str, Any] = {
        str(name): (dim, np.asarray(coord.values)[roles == PROJECTION], dict(coord.attrs))
        for name, coord in raw.coords.items()
        if coord.dims == (dim,)
    }
    out: dict[str, Any] = {
        "corrected": (
            (dim, rows, cols),
            corrected,
            {"long_name": "(projection - dark) / (flat - dark)"},
        ),
        "dark": ((rows, cols), dark, {"long_name": f"mean of {counts['dark']} dark frames"}),
        "flat": ((rows, cols), flat, {"long_name": f"mean of {counts['flat']} flat frames"}),
    }
    if params.roi is not None:
        r0, r1, c0, c1 = params.roi
        if not (0 <= r0 < r1 <= signal.shape[1] and 0 <= c0 < c1 <= signal.shape[2]):
            msg = f"flatfield: roi {params.roi} is not inside the frame {signal.shape[1:]}"
            raise RecipeError(msg)
        out["roi_sum"] = (
            (dim,),
            corrected[:, r0:r1, c0:c1].sum(axis=(1, 2)),
            {"long_name": f"sum of corrected over rows {r0}:{r1}, columns {c0}:{c1}"},
        )
    return xr.Dataset(out, coords=frame_coords, attrs={"flatfield_frames": str(counts)})
