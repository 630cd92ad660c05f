"""The framework's fallback for ``Scan.lazy()`` when an adapter has no ``_get_lazy``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import AdapterContractError

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["delayed_dataset", "placeholder"]


def placeholder(shape: tuple[int, ...], dtype: np.dtype[Any] | type) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` that holds no memory (one element, broadcast): a bulk
    variable in a layout (``Scan._get_layout``)."""
    return np.broadcast_to(np.zeros((), dtype), shape)


def _pick(dataset: xr.Dataset, name: str, shape: tuple[int, ...], dtype: np.dtype[Any]) -> object:
    if name not in dataset.data_vars:
        msg = f"the layout promised variable {name!r}; the read scan has none (it has {sorted(map(str, dataset.data_vars))})"  # fmt: skip
        raise AdapterContractError(msg)
    values = dataset[name].values
    if values.shape != shape or values.dtype != dtype:
        msg = f"variable {name!r}: the layout promised {shape} {dtype}, the read scan has {values.shape} {values.dtype}"  # fmt: skip
        raise AdapterContractError(msg)
    return values


def delayed_dataset(
    load: Callable[[], xr.Dataset], *, name: str, layout: xr.Dataset | None = None
) -> xr.Dataset:
    """Build a dask-backed Dataset whose variables all come from one delayed call of ``load``.

    ``layout`` gives names, shapes and dtypes; without it ``load`` is called once now to learn
    them (the result is dropped). ``load`` runs again when any variable is computed; computing
    several variables together calls it once. A read that does not match the layout raises.
    """
    import dask.array as da
    import xarray as xr
    from dask.base import tokenize
    from dask.delayed import delayed

    template = load() if layout is None else layout
    whole = delayed(load, pure=True)(dask_key_name=f"nx5d-raw-{tokenize(name)}")
    data_vars = {}
    for var_name, var in template.data_vars.items():
        part = delayed(_pick, pure=True)(whole, var_name, var.shape, var.dtype)
        array = da.from_delayed(part, shape=var.shape, dtype=var.dtype)  # type: ignore[no-untyped-call]
        data_vars[var_name] = xr.Variable(var.dims, array, var.attrs)
    return xr.Dataset(data_vars, coords=template.coords, attrs=template.attrs)
