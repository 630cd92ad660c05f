"""The ``rsm`` recipe: reciprocal-space maps from area, linear or point detectors.

Angles come from named variables (or constants) per goniometer circle, q from xrayutilities'
``Ang2Q`` for each *distinct* set of angles, and gridding from one sparse matrix per set
(:mod:`.gridding`), so a frame costs one sparse product however many frames share its angles.
Frames stream in blocks (also from ``scan.lazy()``); negative or NaN counts and listed bad
pixels are left out of both sum and coverage. Frames whose normalisation factor or angles are
not finite are left out and counted in the attribute ``nx5d_frames_left_out``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from nx5d_core.recipes import RecipeError

from .geometry import Pixels, area_q, q_values
from .gridding import axis, set_matrices
from .rsm_model import (
    RSM_DEFAULTS,
    Circle,
    DetectorChanges,
    Normalisation,
    RsmParams,
)
from .variables import frame_values, variable

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["area_q", "cook_rsm", "q_values"]  # the last two from .geometry
logger = logging.getLogger(__name__)
_NDIM = {"area": 3, "linear": 2, "point": 1}


def _required(params: RsmParams) -> None:
    missing = [
        name
        for name in ("energy_ev", "sample_circles", "detector_circles", "detector")
        if getattr(params, name) is None
    ]
    if missing:
        msg = (
            f"rsm needs {', '.join(missing)}: seed spice 'rsm' with them "
            "(proposal.spice.seed('rsm', {...}, type='rsm')); the adapter gives no default"
        )
        raise RecipeError(msg)


def _angles(raw: xr.Dataset, circles: tuple[Circle, ...], *, dim: str, n: int) -> list[np.ndarray]:
    out = []
    for i, circle in enumerate(circles):
        if isinstance(circle.angle, str):
            values = frame_values(raw, circle.angle, dim=dim, what=f"the angle of circle {i + 1}")
        else:
            values = np.full(n, float(circle.angle))
        out.append(values * circle.scale if circle.scale != 1.0 else values)
    return out


def _factors(raw: xr.Dataset, norm: Normalisation, *, dim: str, n: int) -> np.ndarray:
    """Per-frame factor absorber x reference / (monitor x time), as xrayutilities computes it."""

    def column(name: str, what: str) -> np.ndarray:
        return frame_values(raw, name, dim=dim, what=what)

    mon = column(norm.monitor, "the monitor") if norm.monitor else 1.0
    if isinstance(norm.time, str):
        time: Any = column(norm.time, "the count time")
    else:
        time = 1.0 if norm.time is None else float(norm.time)
    reference = norm.monitor_reference if norm.monitor_reference else float(np.mean(mon))
    absorber: Any = column(norm.absorber, "the absorber factor") if norm.absorber else 1.0
    if norm.absorber_divisor:
        absorber = absorber / column(norm.absorber_divisor, "the absorber divisor")
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = absorber * reference / (mon * time)
    return np.broadcast_to(np.asarray(factor, dtype=np.float64), (n,))


def _blocks(data: Any, size: int) -> Iterator[tuple[int, np.ndarray]]:
    """(start, numpy block) along the frame axis; dask blocks are computed a few at a time."""
    n = data.shape[0]
    if isinstance(data, np.ndarray):
        for start in range(0, n, size):
            yield start, data[start : start + size]
        return
    import os

    import dask.base

    if hasattr(data, "chunks") and data.chunks and len(data.chunks[0]) > 1:
        size = int(max(data.chunks[0]))
    # blocks read together (in parallel), at most ~32 MB of frames in flight
    block_bytes = max(1, size * int(np.prod(data.shape[1:])) * data.dtype.itemsize)
    group = max(1, min(os.cpu_count() or 1, (32 << 20) // block_bytes))
    starts = list(range(0, n, size))
    for g in range(0, len(starts), group):
        chunk_starts = starts[g : g + group]
        blocks = dask.base.compute(*[data[s : s + size] for s in chunk_starts])  # type: ignore[no-untyped-call]
        yield from zip(chunk_starts, (np.asarray(b) for b in blocks), strict=True)


DENSE_BUDGET = 8_000_000
"""Up to this many (group, angle set, pixel) sums, counts are first summed per angle set and
gridded once per group (many sets used once: linear and point detectors); above it, each frame
is gridded as it streams by (few sets shared by many frames: area detectors)."""


def _accumulate(
    data: Any,
    *,
    matrices: list[Any],
    pixels: Pixels,
    factor: np.ndarray,
    frame_set: np.ndarray,
    frame_group: np.ndarray,
    groups: int,
    block_frames: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Gridded sums and coverage per group: (groups, bins) each (``matrices``: CSC, one per
    angle set, see :func:`~nx5d_recipes.gridding.set_matrices`)."""
    import scipy.sparse

    row_wise: dict[int, Any] = {}  # the CSR form of each set's matrix, made when first used

    def matrix(t: int) -> Any:
        if t not in row_wise:
            row_wise[t] = matrices[t].tocsr()
        return row_wise[t]

    nbins = matrices[0].shape[0]
    dense = groups * len(matrices) * pixels.size <= DENSE_BUDGET
    if dense:
        sums = np.zeros((groups, len(matrices), pixels.size))
        valid_sums = np.zeros_like(sums)
    total = np.zeros((groups, nbins))
    norm = np.zeros((groups, nbins))
    # the detector's usual bad pixels: the listed ones and those bad in the first frame; frames
    # with just these reuse one coverage vector per angle set
    usual_bad: np.ndarray | None = None
    usual_norm: dict[int, np.ndarray] = {}
    usual_valid = np.zeros(0)
    every_pixel = pixels.size == int(np.prod(data.shape[1:])) and bool(
        (pixels.pick == np.arange(pixels.size)).all()
    )
    for start, block in _blocks(data, block_frames):
        flat = block.reshape(block.shape[0], -1)
        for i, row in enumerate(flat):
            f = start + i
            t = int(frame_set[f])
            if t < 0:
                continue
            counts = (row if every_pixel else row[pixels.pick]).astype(np.float64)
            g = int(frame_group[f])
            bad = ~(counts >= 0)  # negative and NaN
            bad |= pixels.fixed_bad
            if usual_bad is None:
                usual_bad = bad
                usual_valid = (~bad).astype(np.float64)
            values = counts * factor[f]
            if bad.any():
                values[bad] = 0.0
            usual = np.array_equal(bad, usual_bad)
            if dense:
                sums[g, t] += values
                valid_sums[g, t] += usual_valid if usual else ~bad
                continue
            total[g] += matrix(t) @ values
            if usual:
                if t not in usual_norm:
                    usual_norm[t] = matrix(t) @ usual_valid
                norm[g] += usual_norm[t]
            else:
                norm[g] += matrix(t) @ (~bad).astype(np.float64)
    if dense:  # CSC blocks side by side: their arrays joined, no per-block conversion
        every = scipy.sparse.hstack(matrices, format="csc").tocsr()
        for g in range(groups):
            total[g] = every @ sums[g].ravel()
            norm[g] = every @ valid_sums[g].ravel()
    return total, norm


def cook_rsm(raw: xr.Dataset, params: RsmParams, *, block_frames: int = 64) -> xr.Dataset:
    """Map ``raw`` into reciprocal space: ``intensity`` (mean counts per bin; NaN where no data
    fell) and ``coverage`` (gridding weight of the valid pixels), one map per group."""
    import xarray as xr

    params = RsmParams.model_validate(
        {**RSM_DEFAULTS, **params.model_dump(mode="json", exclude_none=True)}
    )  # called directly (not through run_recipe): the recipe's own defaults fill the gaps
    _required(params)
    det = params.detector
    assert det is not None
    assert not isinstance(det, DetectorChanges), "a full detector after the defaults were applied"
    assert params.grid is not None
    assert params.q_axes is not None
    assert params.sample_circles is not None
    assert params.detector_circles is not None
    signal = variable(raw, det.signal, what=f"the {det.kind} detector's signal")
    if signal.ndim != _NDIM[det.kind]:
        msg = f"rsm: {det.kind} detector signal {det.signal!r} has dimensions {signal.dims}; expected {_NDIM[det.kind]} (frames first)"
        raise RecipeError(msg)
    dim = str(signal.dims[0])
    n = signal.shape[0]
    circles = (*params.sample_circles, *params.detector_circles)
    angles = np.column_stack(_angles(raw, circles, dim=dim, n=n))
    factor = _factors(raw, params.normalise or Normalisation(), dim=dim, n=n)
    left_out = {
        "angle not finite": int((~np.isfinite(angles).all(axis=1)).sum()),
        "normalisation not finite and positive": int((~(np.isfinite(factor) & (factor > 0))).sum()),
    }
    usable = np.isfinite(angles).all(axis=1) & np.isfinite(factor) & (factor > 0)
    if not usable.any():
        msg = f"rsm: no frame of {det.signal!r} has finite angles and normalisation ({left_out})"
        raise RecipeError(msg)
    group_name = params.group_by[0] if params.group_by else None
    if group_name is not None:
        group_values = frame_values(raw, group_name, dim=dim, what="the grouping variable")
        if not np.isfinite(group_values[usable]).all():
            msg = f"rsm: grouping variable {group_name!r} is not finite on every frame"
            raise RecipeError(msg)
        groups, g_used = np.unique(group_values[usable], return_inverse=True)
    else:
        groups, g_used = np.zeros(1), np.zeros(int(usable.sum()), dtype=np.int64)
    sets, t_used = np.unique(angles[usable], axis=0, return_inverse=True)
    frame_set = np.full(n, -1, dtype=np.int64)
    frame_set[usable] = t_used.ravel()
    frame_group = np.zeros(n, dtype=np.int64)
    frame_group[usable] = g_used
    pixels = Pixels(raw, signal, det)
    qa, qb = q_values(sets, params=params, pixels=pixels, circles=len(circles))
    extent = params.q_range or (float(qa.min()), float(qa.max()), float(qb.min()), float(qb.max()))
    na, nb = params.grid
    kind = params.gridder or "fuzzy"
    matrices = set_matrices(qa, qb, shape=(na, nb), extent=extent, kind=kind)
    del qa, qb  # the weights hold all that is needed from here on
    total, norm = _accumulate(
        signal.data,
        matrices=matrices,
        pixels=pixels,
        factor=factor,
        frame_set=frame_set,
        frame_group=frame_group,
        groups=len(groups),
        block_frames=block_frames,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = np.where(norm > 0, total / norm, np.nan)
    a_name, b_name = params.q_axes
    dims: tuple[str, ...] = (a_name, b_name)
    shape: tuple[int, ...] = (na, nb)
    coords: dict[str, Any] = {
        a_name: (a_name, axis(extent[0], extent[1], na), {"units": "1/angstrom"}),
        b_name: (b_name, axis(extent[2], extent[3], nb), {"units": "1/angstrom"}),
    }
    if group_name is not None:
        dims = (group_name, *dims)
        shape = (len(groups), *shape)
        coords[group_name] = (group_name, groups, dict(raw[group_name].attrs))
    dropped = {k: v for k, v in left_out.items() if v}
    if dropped:
        logger.warning("rsm: frames left out of the map: %s", dropped)
    a_axis, b_axis = coords[a_name][1], coords[b_name][1]
    covered = _covered(norm.reshape(-1, na, nb).sum(axis=0) > 0, a_axis, b_axis, names=(a_name, b_name))  # fmt: skip
    return xr.Dataset(
        {
            "intensity": (
                dims,
                intensity.reshape(shape),
                {
                    "long_name": "mean normalised counts per bin",
                    "units": "counts/s"
                    if (params.normalise or Normalisation()).time is not None
                    else "counts",
                    "nx5d_covered": covered,
                },
            ),
            "coverage": (
                dims,
                norm.reshape(shape),
                {"long_name": "gridding weight of valid pixels per bin"},
            ),
        },
        coords=coords,
        attrs={
            "nx5d_covered": covered,
            "nx5d_frames_left_out": json.dumps(dropped, sort_keys=True),
            "rsm_gridder": kind,
        },
    )


def _covered(mask: np.ndarray, a: np.ndarray, b: np.ndarray, *, names: tuple[str, str]) -> str:
    """Where the map has data (bins without are NaN, so a printed map starts with ``nan``):
    ``"qy -0.05 .. 0.04, qz 2.95 .. 3.40 1/angstrom: 1,234 of 22,500 bins (5.5%)"``."""
    count, total = int(mask.sum()), mask.size
    if count == 0:
        return f"no bin has data (0 of {total:,} bins)"
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return (
        f"{names[0]} {a[rows[0]]:.4g} .. {a[rows[-1]]:.4g}, {names[1]} {b[cols[0]]:.4g} .. "
        f"{b[cols[-1]]:.4g} 1/angstrom: {count:,} of {total:,} bins ({100 * count / total:.1f}%)"
    )
