"""A scan's values per point as a table, whatever the shape of its data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from typing import TYPE_CHECKING

from .errors import NoTableError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = ["NoTableError", "point_table"]


def point_dims(raw: xr.Dataset) -> tuple[Hashable, ...] | None:
    """The dimensions of the scan's points: those of the per-point variables (the fewest
    dimensions, then the most variables), or ``None`` when no variable has a dimension."""
    shapes = Counter(v.dims for v in raw.data_vars.values() if v.ndim >= 1)
    if not shapes:
        shapes = Counter(v.dims for v in raw.coords.values() if v.ndim >= 1)
    if not shapes:
        return None
    return min(shapes, key=lambda dims: (len(dims), -shapes[dims], dims))


def point_table(raw: xr.Dataset, *, where: str) -> pd.DataFrame:
    """One row per point of ``raw`` (see :meth:`nx5d_core.Scan.table`)."""
    dims = point_dims(raw)
    if dims is None:
        names = ", ".join(str(n) for n in raw.variables) or "none"
        msg = (
            f"{where}: nothing to tabulate: no variable runs along a dimension (variables: {names})"
        )
        raise NoTableError(msg)
    columns = [n for n, v in raw.data_vars.items() if v.dims == dims]
    keep = set(dims)
    coords = [n for n, c in raw.coords.items() if c.ndim >= 1 and set(c.dims) <= keep]
    left_out = [str(n) for n, v in raw.data_vars.items() if v.dims != dims and v.ndim >= 1]
    part = raw[columns].reset_coords(drop=True).assign_coords({n: raw.coords[n] for n in coords})
    if not columns:
        part = part.assign({n: raw.coords[n] for n in coords if n not in dims})
    frame = part.to_dataframe()
    frame.attrs["nx5d_left_out"] = left_out
    return frame
