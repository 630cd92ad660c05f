"""Detector geometry for the ``rsm`` recipe: which pixels are gridded, and their q.

q comes from xrayutilities' ``Ang2Q`` (area, linear or point) for each distinct set of angles,
with the sample and detector circles, beam direction and sample orientation in spice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nx5d_core.recipes import RecipeError

from .rsm_model import AreaDetector, LinearDetector, RsmParams

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Pixels", "area_q", "q_values"]


def _indices(raw: xr.Dataset, dim: str, size: int) -> np.ndarray:
    """Pixel or channel numbers along ``dim``: its integer coordinate, else 0..size-1."""
    if dim in raw.coords:
        values = np.asarray(raw[dim].values)
        if values.ndim == 1 and np.issubdtype(values.dtype, np.integer):
            return values.astype(np.int64)
    return np.arange(size, dtype=np.int64)


class Pixels:
    """Which elements of a frame are gridded, their detector numbers and the fixed bad ones."""

    def __init__(self, raw: xr.Dataset, signal: xr.DataArray, detector: Any) -> None:
        self.detector = detector
        if isinstance(detector, AreaDetector):
            rows = _indices(raw, str(signal.dims[1]), signal.shape[1])
            cols = _indices(raw, str(signal.dims[2]), signal.shape[2])
            r_keep = np.ones(rows.size, bool)
            c_keep = np.ones(cols.size, bool)
            if detector.roi is not None:
                r0, r1, c0, c1 = detector.roi
                r_keep = (rows >= r0) & (rows < r1)
                c_keep = (cols >= c0) & (cols < c1)
            self.rows, self.cols = rows[r_keep], cols[c_keep]
            if self.rows.size == 0 or self.cols.size == 0:
                msg = f"rsm: the detector ROI {detector.roi} leaves no pixel of {signal.name!r}"
                raise RecipeError(msg)
            grid_r, grid_c = np.meshgrid(
                np.flatnonzero(r_keep), np.flatnonzero(c_keep), indexing="ij"
            )
            self.pick = (grid_r * signal.shape[2] + grid_c).ravel()
            bad = {tuple(p) for p in detector.bad_pixels}
            rr, cc = np.meshgrid(self.rows, self.cols, indexing="ij")
            self.fixed_bad = (
                np.array([(r, c) in bad for r, c in zip(rr.ravel(), cc.ravel(), strict=True)])
                if bad
                else np.zeros(self.pick.size, bool)
            )
        elif isinstance(detector, LinearDetector):
            channels = _indices(raw, str(signal.dims[1]), signal.shape[1])
            keep = np.ones(channels.size, bool)
            if detector.roi is not None:
                keep = (channels >= detector.roi[0]) & (channels < detector.roi[1])
            self.channels = channels[keep]
            if self.channels.size == 0:
                msg = f"rsm: the detector ROI {detector.roi} leaves no channel of {signal.name!r}"
                raise RecipeError(msg)
            self.pick = np.flatnonzero(keep)
            self.fixed_bad = np.isin(
                self.channels, np.asarray(detector.bad_channels, dtype=np.int64)
            )
        else:
            self.pick = np.zeros(1, dtype=np.int64)
            self.fixed_bad = np.zeros(1, bool)

    @property
    def size(self) -> int:
        return int(self.pick.size)

    @classmethod
    def area(cls, detector: AreaDetector, *, rows: np.ndarray, cols: np.ndarray) -> Pixels:
        """Every pixel ``rows`` x ``cols`` of an area detector, none bad."""
        import xarray as xr

        frames = xr.DataArray(np.zeros((1, rows.size, cols.size)), dims=("frame", "row", "col"))
        raw = xr.Dataset(coords={"row": rows.astype(np.int64), "col": cols.astype(np.int64)})
        return cls(raw, frames, detector.model_copy(update={"roi": None, "bad_pixels": ()}))


def q_values(
    sets: np.ndarray, *, params: RsmParams, pixels: Pixels, circles: int
) -> tuple[np.ndarray, np.ndarray]:
    """The two gridded q components (1/Å) of every pixel, per angle set: (sets, pixels) each."""
    import xrayutilities as xu

    assert params.sample_circles is not None
    assert params.detector_circles is not None
    assert params.beam_direction is not None
    assert params.q_axes is not None
    qconv = xu.experiment.QConversion(
        [c.axis for c in params.sample_circles],
        [c.axis for c in params.detector_circles],
        list(params.beam_direction),
    )
    hxrd = xu.HXRD(
        list(params.inplane_direction or (1, 0, 0)),
        list(params.surface_normal or (0, 0, 1)),
        en=params.energy_ev,
        qconv=qconv,
    )
    every = (*params.sample_circles, *params.detector_circles)
    angles = [sets[:, i] for i in range(circles)]
    delta = [-c.offset for c in every]
    det = pixels.detector
    if isinstance(det, AreaDetector):
        size = det.pixels or (int(pixels.rows.max()) + 1, int(pixels.cols.max()) + 1)
        r0, r1 = int(pixels.rows.min()), int(pixels.rows.max()) + 1
        c0, c1 = int(pixels.cols.min()), int(pixels.cols.max()) + 1
        hxrd.Ang2Q.init_area(
            det.rows_direction,
            det.columns_direction,
            cch1=det.center_pixel[0],
            cch2=det.center_pixel[1],
            Nch1=size[0],
            Nch2=size[1],
            distance=det.distance_m,
            pwidth1=det.pixel_size_m[0],
            pwidth2=det.pixel_size_m[1],
            roi=[r0, r1, c0, c1],
        )
        rows, cols = pixels.rows - r0, pixels.cols - c0
        whole = rows.size == r1 - r0 and cols.size == c1 - c0 and bool((rows == np.arange(rows.size)).all()) and bool((cols == np.arange(cols.size)).all())  # fmt: skip
        pick: Any = None if whole else np.ix_(np.arange(len(sets)), rows, cols)
        return _two(hxrd.Ang2Q.area(*angles, delta=delta), params=params, pick=pick, n=len(sets))
    if isinstance(det, LinearDetector):
        first, end = int(pixels.channels.min()), int(pixels.channels.max()) + 1
        hxrd.Ang2Q.init_linear(
            det.direction,
            det.center_channel,
            det.channels or end,
            distance=det.distance_m,
            pixelwidth=det.pixel_size_m,
            chpdeg=det.channels_per_degree,
            roi=[first, end],
        )
        pick = (slice(None), pixels.channels - first)  # rows as they are, the channels kept
        return _two(hxrd.Ang2Q.linear(*angles, delta=delta), params=params, pick=pick, n=len(sets))
    return _two(hxrd.Ang2Q(*angles, delta=delta), params=params, pick=None, n=len(sets))


def _two(q: Any, *, params: RsmParams, pick: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The two gridded components of xrayutilities' (qx, qy, qz), as (sets, pixels) arrays;
    the third is dropped at once (it is as large as the others)."""
    assert params.q_axes is not None
    index = {"qx": 0, "qy": 1, "qz": 2}
    chosen = [q[index[name]] for name in params.q_axes]
    del q
    out = []
    for component in chosen:
        values = np.asarray(component)
        if pick is not None:
            values = values[pick]
        out.append(np.ascontiguousarray(values.reshape(n, -1)))
    return out[0], out[1]


def area_q(
    sample_angles: np.ndarray, *, params: RsmParams, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(sets, rows, cols) q of an area detector's pixels for rows of angles (one per circle)."""
    assert isinstance(params.detector, AreaDetector)
    pixels = Pixels.area(params.detector, rows=rows, cols=cols)
    sets = np.atleast_2d(sample_angles)
    qa, qb = q_values(sets, params=params, pixels=pixels, circles=sets.shape[1])
    shape = (len(sets), rows.size, cols.size)
    return qa.reshape(shape), qb.reshape(shape)
