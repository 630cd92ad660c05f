"""Gridding as sparse matrices: a detector position's weights depend only on its angles.

For one distinct set of angles, the map of a frame is ``W @ counts`` and its coverage
``W @ valid``, with ``W`` a sparse (bins, pixels) matrix. Two rules, each equal to its
xrayutilities gridder (checked in the tests):

- ``plain`` (``Gridder2D``): a point falls into the bin ``rint((v - min) / delta)``, with
  ``delta = (max - min) / (n - 1)``; points outside [min, max] are left out.
- ``fuzzy`` (``FuzzyGridder2D``): a point is a box ``delta`` wide, split between the bins it
  overlaps by their overlap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse

__all__ = ["axis", "entries", "set_matrices"]

Extent = tuple[float, float, float, float]
Kind = Literal["fuzzy", "plain"]


def axis(vmin: float, vmax: float, n: int) -> np.ndarray:
    """Bin centres ``vmin + i * delta`` (xrayutilities' ``axis``)."""
    return vmin + abs(vmax - vmin) / (n - 1) * np.arange(n)


def _fuzzy_split(
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


def entries(
    a: np.ndarray, b: np.ndarray, *, shape: tuple[int, int], extent: Extent, kind: Kind
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bin, point, weight) of every point (``a``, ``b`` flat) inside ``extent``."""
    na, nb = shape
    amin, amax, bmin, bmax = extent
    points = np.arange(a.size)
    inside = (a >= amin) & (a <= amax) & (b >= bmin) & (b <= bmax)
    if kind == "plain":
        da, db = abs(amax - amin) / (na - 1), abs(bmax - bmin) / (nb - 1)
        ia = np.rint((a[inside] - amin) / da).astype(np.int64)
        ib = np.rint((b[inside] - bmin) / db).astype(np.int64)
        return ia * nb + ib, points[inside], np.ones(ia.size)
    a1, a2, fa1, fa2 = _fuzzy_split(a, amin, amax, na)
    b1, b2, fb1, fb2 = _fuzzy_split(b, bmin, bmax, nb)
    bins, cols, vals = [], [], []
    for ja, fa in ((a1, fa1), (a2, fa2)):
        for kb, fb in ((b1, fb1), (b2, fb2)):
            weight = fa * fb
            keep = inside & (weight != 0)
            bins.append(ja[keep] * nb + kb[keep])
            cols.append(points[keep])
            vals.append(weight[keep])
    return np.concatenate(bins), np.concatenate(cols), np.concatenate(vals)


def set_matrices(
    a: np.ndarray,
    b: np.ndarray,
    *,
    shape: tuple[int, int],
    extent: Extent,
    kind: Kind,
    points_per_batch: int = 250_000,
) -> list[scipy.sparse.csc_matrix]:
    """One (bins, pixels) matrix per row of ``a``/``b`` (shape: angle sets x pixels), in CSC
    form: the form the points are sorted in, and the one SciPy stacks side by side without
    converting each (a product frame by frame wants CSR: convert the ones used).

    Built in batches of angle sets, so that memory follows the result, not the batch.
    """
    import scipy.sparse

    nsets, npix = a.shape
    nbins = shape[0] * shape[1]
    per_batch = max(1, points_per_batch // max(npix, 1))
    matrices: list[scipy.sparse.csc_matrix] = []
    for start in range(0, nsets, per_batch):
        stop = min(start + per_batch, nsets)
        bins, points, weights = entries(
            a[start:stop].ravel(), b[start:stop].ravel(), shape=shape, extent=extent, kind=kind
        )
        order = np.argsort(points, kind="stable")
        bins, points, weights = bins[order], points[order], weights[order]
        colptr = np.zeros((stop - start) * npix + 1, dtype=np.int64)
        np.cumsum(np.bincount(points, minlength=(stop - start) * npix), out=colptr[1:])
        for t in range(stop - start):
            lo, hi = colptr[t * npix], colptr[(t + 1) * npix]
            matrices.append(
                scipy.sparse.csc_matrix(
                    (weights[lo:hi], bins[lo:hi], colptr[t * npix : (t + 1) * npix + 1] - lo),
                    shape=(nbins, npix),
                )
            )
    return matrices
