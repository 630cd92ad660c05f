"""The framework's fallback for ``Scan.lazy()`` when an adapter has no ``_get_lazy``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["delayed_dataset"]


def _pick(dataset: xr.Dataset, name: str) -> object:
    return dataset[name].values


def delayed_dataset(load: Callable[[], xr.Dataset], *, name: str) -> xr.Dataset:
    """Build a dask-backed Dataset whose variables all come from one delayed call of ``load``.

    ``load`` is called once now to learn names, shapes and dtypes (the result is dropped), and
    again when any variable is computed; computing several variables together calls it once.
    """
    import dask.array as da
    import xarray as xr
    from dask.base import tokenize
    from dask.delayed import delayed

    template = load()
    whole = delayed(load, pure=True)(dask_key_name=f"nx5d-raw-{tokenize(name)}")
    data_vars = {}
    for var_name, var in template.data_vars.items():
        part = delayed(_pick, pure=True)(whole, var_name)
        array = da.from_delayed(part, shape=var.shape, dtype=var.dtype)  # type: ignore[no-untyped-call]
        data_vars[var_name] = xr.Variable(var.dims, array, var.attrs)
    return xr.Dataset(data_vars, coords=template.coords, attrs=template.attrs)
