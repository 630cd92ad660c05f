"""UDKM's reciprocal-space maps: the ``rsm`` recipe with UDKM's defaults, and the seed's way.

The UDKM adapter cooks with the ``rsm`` recipe (plugin nx5d-recipes); its defaults for it are
the Pilatus 100K at Cu Kα with the detector arm at 46.2°, one map per ``Delay``
(:data:`UDKM_RSM`). :func:`reference_cook` is the seed's groupby loop, kept for checks and
benchmarks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from nx5d_recipes.rsm_model import UDKM_RSM_DEFAULTS, RsmParams

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["UDKM_RSM", "RsmParams", "cook_rsm", "params", "q_maps", "reference_cook"]

UDKM_RSM: dict[str, Any] = UDKM_RSM_DEFAULTS
"""UDKM's defaults for the ``rsm`` recipe."""


def params(**changes: Any) -> RsmParams:
    """UDKM's defaults with ``changes`` (fields of :class:`~nx5d_recipes.RsmParams`)."""
    return RsmParams.model_validate({**UDKM_RSM, **changes})


def cook_rsm(raw: xr.Dataset, *, params: RsmParams, block_frames: int = 64) -> xr.Dataset:
    """The ``rsm`` recipe's function (no provenance; ``scan.cooked`` adds it)."""
    from nx5d_recipes.rsm import cook_rsm as cook

    cooked: xr.Dataset = cook(raw, params, block_frames=block_frames)
    return cooked


def q_maps(
    thetas: np.ndarray, *, params: RsmParams, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """qy, qz (1/Å) of the pixels ``rows`` x ``cols`` for each sample angle in ``thetas``."""
    from nx5d_recipes.rsm import area_q

    circles = [np.asarray(thetas, dtype=float)]
    assert params.detector_circles is not None
    for circle in params.detector_circles:
        if isinstance(circle.angle, str):
            circles.append(np.asarray(thetas, dtype=float) * circle.scale)
        else:
            circles.append(np.full(len(thetas), float(circle.angle)))
    qy, qz = area_q(np.column_stack(circles), params=params, rows=rows, cols=cols)
    return np.asarray(qy), np.asarray(qz)


def reference_cook(raw: xr.Dataset, *, params: RsmParams) -> xr.Dataset:
    """The seed's way: ``groupby(Delay).map`` with Ang2Q + FuzzyGridder2D per delay, on the
    full detector. Bad pixels become NaN (which FuzzyGridder2D skips); the grid range is the one
    the recipe uses, so both grid onto the same axes."""
    import xarray as xr
    import xrayutilities as xu

    assert params.sample_circles is not None
    assert params.grid is not None
    assert params.group_by
    theta_name = str(params.sample_circles[0].angle)
    group = params.group_by[0]
    rows, cols = np.asarray(raw["y"].values), np.asarray(raw["x"].values)
    qy_all, qz_all = q_maps(np.unique(raw[theta_name].values), params=params, rows=rows, cols=cols)
    extent = params.q_range or (
        float(qy_all.min()),
        float(qy_all.max()),
        float(qz_all.min()),
        float(qz_all.max()),
    )

    def per_delay(part: xr.Dataset) -> xr.DataArray:
        qy, qz = q_maps(
            np.asarray(part[theta_name].values, dtype=float), params=params, rows=rows, cols=cols
        )
        data = part["images"].values.astype(np.float64)
        data[data < 0] = np.nan
        assert params.grid is not None
        gridder = xu.FuzzyGridder2D(*params.grid)
        gridder.dataRange(*extent, fixed=True)
        gridder(qy, qz, data)
        return xr.DataArray(gridder.data, dims=("qy", "qz"))

    mapped: Any = raw.groupby(group).map(per_delay)  # type: ignore[arg-type]  # a DataArray per group
    result: xr.Dataset = mapped.to_dataset(name="intensity")
    return result
