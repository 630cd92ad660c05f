"""Reciprocal-space maps per delay, with xrayutilities (imported only when cooking).

The seed's way grids each delay separately: ``Ang2Q.area`` for that delay's Theta values, then a
``FuzzyGridder2D``. Here the q positions depend only on Theta, so they are computed once for the
distinct Theta values; and fuzzy gridding is linear in the counts, so its weights are one sparse
matrix per Theta value (the same weights as ``FuzzyGridder2D``'s C code: bins centred on
``min + i*delta``, a point ``delta/2`` wide, split by overlap; checked against it in the tests).
Each frame then costs one sparse product, frames stream in blocks (from ``lazy()`` too), and bad
pixels (negative counts) are left out of both the sum and the normalisation, like NaN points in
``FuzzyGridder2D``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    import scipy.sparse
    import xarray as xr

__all__ = ["RsmParams", "cook_rsm", "fuzzy_weights", "q_maps", "reference_cook"]
logger = logging.getLogger(__name__)


class RsmParams(BaseModel):
    """Parameters of the RSM cook (spice type ``rsm``). Defaults: UDKM Pilatus 100K at Cu Kα."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    energy_ev: float = Field(8047.0, gt=0, description="X-ray energy in eV (Cu Kα1: 8047)")
    distance_m: float = Field(0.5, gt=0, description="sample-detector distance in m")
    pixel_size_m: float = Field(172e-6, gt=0, description="pixel size in m (Pilatus: 172 µm)")
    center_pixel: tuple[float, float] = Field(
        (97.5, 243.5), description="(row, column) the detector arm points at"
    )
    two_theta_deg: float | None = Field(
        46.2, description="detector arm angle; None: 2 x Theta (coupled scan)"
    )
    sample_axis: str = Field("x+", description="sample rotation axis (xrayutilities notation)")
    detector_axis: str = Field("x+", description="detector arm rotation axis")
    beam_direction: tuple[float, float, float] = (0.0, 1.0, 0.0)
    detector_rows: str = Field("x+", description="lab direction of increasing row index")
    detector_columns: str = Field("z+", description="lab direction of increasing column index")
    inplane_direction: tuple[int, int, int] = (1, 0, 0)
    surface_normal: tuple[int, int, int] = (0, 0, 1)
    grid: tuple[int, int] = Field((150, 150), description="number of bins along (qy, qz)")
    q_range: tuple[float, float, float, float] | None = Field(
        None, description="(qy_min, qy_max, qz_min, qz_max) in 1/Å; None: all data"
    )
    theta: str = Field("Theta", description="manifest column of the sample angle")
    delay: str = Field("Delay", description="manifest column of the delay")

    @model_validator(mode="before")
    @classmethod
    def _speed_knobs_are_not_physics(cls, data: Any) -> Any:
        # records written before block_frames moved to the adapter option still validate
        if isinstance(data, dict) and "block_frames" in data:
            data = {k: v for k, v in data.items() if k != "block_frames"}
        return data


def q_maps(
    thetas: np.ndarray, *, params: RsmParams, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """qy, qz (1/Å) of the pixels ``rows`` x ``cols`` for each sample angle in ``thetas``."""
    import xrayutilities as xu

    qconv = xu.experiment.QConversion(
        [params.sample_axis], [params.detector_axis], list(params.beam_direction)
    )
    hxrd = xu.HXRD(
        list(params.inplane_direction),
        list(params.surface_normal),
        en=params.energy_ev,
        qconv=qconv,
    )
    cy, cx = params.center_pixel
    hxrd.Ang2Q.init_area(
        params.detector_rows,
        params.detector_columns,
        cch1=cy,
        cch2=cx,
        Nch1=int(rows.max()) + 1,
        Nch2=int(cols.max()) + 1,
        distance=params.distance_m,
        pwidth1=params.pixel_size_m,
        pwidth2=params.pixel_size_m,
    )
    two_theta = (
        2 * thetas if params.two_theta_deg is None else np.full_like(thetas, params.two_theta_deg)
    )
    _, qy, qz = hxrd.Ang2Q.area(thetas, two_theta)
    pick = np.ix_(np.arange(len(thetas)), rows, cols)
    return np.ascontiguousarray(qy[pick]), np.ascontiguousarray(qz[pick])


def fuzzy_weights(
    x: np.ndarray,
    y: np.ndarray,
    *,
    shape: tuple[int, int],
    extent: tuple[float, float, float, float],
) -> scipy.sparse.csr_matrix:
    """Sparse (bins, points) matrix W with ``FuzzyGridder2D`` sums = ``W @ data``, norm = ``W @ valid``."""
    import scipy.sparse

    nx, ny = shape
    xmin, xmax, ymin, ymax = extent
    x, y = x.ravel(), y.ravel()
    cols_all = np.arange(x.size)
    inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)

    def split(
        v: np.ndarray, vmin: float, vmax: float, n: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        d = abs(vmax - vmin) / (n - 1)
        w = d / 2.0
        dw = w / d
        lo, hi = v - w / 2.0, v + w / 2.0
        o1 = np.where(lo <= vmin, 0, np.rint((lo - vmin) / d)).astype(np.int64)
        o2 = np.minimum(np.rint((hi - vmin) / d).astype(np.int64), n - 1)
        one = o1 == o2
        f1 = np.where(one, 1.0, (o1 + 1 - (lo - vmin + d / 2.0) / d) / dw)
        f2 = np.where(one, 0.0, ((hi - vmin + d / 2.0) / d - o2) / dw)
        return o1, o2, f1, f2

    x1, x2, fx1, fx2 = split(x, xmin, xmax, nx)
    y1, y2, fy1, fy2 = split(y, ymin, ymax, ny)
    rows, cols, vals = [], [], []
    for jx, fx in ((x1, fx1), (x2, fx2)):
        for ky, fy in ((y1, fy1), (y2, fy2)):
            weight = fx * fy
            keep = inside & (weight != 0)
            rows.append(jx[keep] * ny + ky[keep])
            cols.append(cols_all[keep])
            vals.append(weight[keep])
    matrix = scipy.sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(nx * ny, x.size),
    )
    matrix.sum_duplicates()
    return matrix


def _axis(vmin: float, vmax: float, n: int) -> np.ndarray:
    return vmin + abs(vmax - vmin) / (n - 1) * np.arange(n)


def _blocks(images: Any, size: int) -> Any:
    """Yield (start, numpy block) over the frame axis; dask blocks are computed a few at a time."""
    n = images.shape[0]
    if isinstance(images, np.ndarray):
        for start in range(0, n, size):
            yield start, images[start : start + size]
        return
    import os

    import dask

    group = max(1, os.cpu_count() or 1)
    starts = list(range(0, n, size))
    for g in range(0, len(starts), group):
        chunk_starts = starts[g : g + group]
        blocks = dask.compute(*[images[s : s + size] for s in chunk_starts])
        yield from zip(chunk_starts, blocks, strict=True)


def cook_rsm(raw: xr.Dataset, *, params: RsmParams, block_frames: int = 64) -> xr.Dataset:
    """RSM per distinct delay: Dataset with ``intensity`` (Delay, qy, qz) and ``coverage``.

    ``block_frames`` frames are gridded at a time (memory against speed); it is not a spice
    parameter, because it does not change the result.
    """
    import xarray as xr

    theta = np.asarray(raw[params.theta].values, dtype=float)
    delay = np.asarray(raw[params.delay].values, dtype=float)
    thetas, t_index = np.unique(np.round(theta, 9), return_inverse=True)
    delays, d_index = np.unique(delay, return_inverse=True)
    rows, cols = np.asarray(raw["y"].values), np.asarray(raw["x"].values)
    qy, qz = q_maps(thetas, params=params, rows=rows, cols=cols)
    extent = params.q_range or (float(qy.min()), float(qy.max()), float(qz.min()), float(qz.max()))
    nqy, nqz = params.grid
    weights = [
        fuzzy_weights(qy[t], qz[t], shape=(nqy, nqz), extent=extent) for t in range(len(thetas))
    ]
    total = np.zeros((len(delays), nqy * nqz))
    norm = np.zeros((len(delays), nqy * nqz))
    common_bad: np.ndarray | None = None  # the detector's fixed bad pixels, from the first frame
    common_norm: dict[int, np.ndarray] = {}
    for start, block in _blocks(raw["images"].data, block_frames):
        flat = np.asarray(block).reshape(block.shape[0], -1)
        for i, frame in enumerate(flat):
            f = start + i
            t, d = int(t_index[f]), int(d_index[f])
            bad = np.flatnonzero(frame < 0)
            if common_bad is None:
                common_bad = bad
            counts = frame.astype(np.float64)
            counts[bad] = 0.0
            total[d] += weights[t] @ counts
            if np.array_equal(bad, common_bad):
                if t not in common_norm:
                    valid = np.ones(frame.size)
                    valid[common_bad] = 0.0
                    common_norm[t] = weights[t] @ valid
                norm[d] += common_norm[t]
            else:
                valid = np.ones(frame.size)
                valid[bad] = 0.0
                norm[d] += weights[t] @ valid
    intensity = np.divide(total, norm, out=np.zeros_like(total), where=norm > 1e-16)
    shape3 = (len(delays), nqy, nqz)
    delay_units = raw[params.delay].attrs.get("units", "ps")
    return xr.Dataset(
        {
            "intensity": (
                ("Delay", "qy", "qz"),
                intensity.reshape(shape3),
                {"units": "counts", "long_name": "mean counts per pixel in the bin"},
            ),
            "coverage": (
                ("Delay", "qy", "qz"),
                norm.reshape(shape3),
                {"units": "pixel frames", "long_name": "gridding weight (valid pixels) per bin"},
            ),
        },
        coords={
            "Delay": ("Delay", delays, {"units": delay_units}),
            "qy": (
                "qy",
                _axis(extent[0], extent[1], nqy),
                {"units": "1/angstrom", "long_name": "q_y (in plane)"},
            ),
            "qz": (
                "qz",
                _axis(extent[2], extent[3], nqz),
                {"units": "1/angstrom", "long_name": "q_z (surface normal)"},
            ),
        },
        attrs={"rsm_params": params.model_dump_json()},
    )


def reference_cook(raw: xr.Dataset, *, params: RsmParams) -> xr.Dataset:
    """The seed's way, for checks and benchmarks: ``groupby(Delay).map`` with Ang2Q + FuzzyGridder2D per delay.

    Bad pixels become NaN (which FuzzyGridder2D skips); the grid range is fixed to the one
    :func:`cook_rsm` uses, so both grid onto the same axes.
    """
    import xarray as xr
    import xrayutilities as xu

    theta_all = np.asarray(raw[params.theta].values, dtype=float)
    rows, cols = np.asarray(raw["y"].values), np.asarray(raw["x"].values)
    qy_all, qz_all = q_maps(np.unique(np.round(theta_all, 9)), params=params, rows=rows, cols=cols)
    extent = params.q_range or (
        float(qy_all.min()),
        float(qy_all.max()),
        float(qz_all.min()),
        float(qz_all.max()),
    )

    def per_delay(group: xr.Dataset) -> xr.DataArray:
        qy, qz = q_maps(
            np.asarray(group[params.theta].values, dtype=float), params=params, rows=rows, cols=cols
        )
        data = group["images"].values.astype(np.float64)
        data[data < 0] = np.nan
        gridder = xu.FuzzyGridder2D(*params.grid)
        gridder.dataRange(*extent, fixed=True)
        gridder(qy, qz, data)
        return xr.DataArray(gridder.data, dims=("qy", "qz"))

    result = raw.groupby(params.delay).map(per_delay)
    return result.to_dataset(name="intensity")
