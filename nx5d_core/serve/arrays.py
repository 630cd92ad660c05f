"""The arrays of a served scan: reads that fail answer HTTP 422 with the framework's message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from tiled.adapters.array import ArrayAdapter
from tiled.structures.core import Spec

from ..errors import FilesChangedError, KeyNotFoundError, Nx5dError

if TYPE_CHECKING:
    import xarray as xr

    from .tree import ScanNode

__all__ = ["VariableAdapter", "jsonable"]
UNPROCESSABLE = 422
READ_ERRORS = (Nx5dError, OSError, ValueError)
"""What a read of bad data raises (the framework's errors, h5py/tifffile/decoder failures): 422.
Anything else is a fault of the server and stays a logged 500."""


class VariableAdapter(ArrayAdapter):
    """An array of a scan; a failed read answers 422 with the framework's message."""

    node: ScanNode
    name: str = ""

    @classmethod
    def wrap(cls, var: xr.DataArray, *, node: ScanNode, specs: list[Spec]) -> VariableAdapter:
        adapter = cls.from_array(var.data, metadata={"attrs": jsonable(node.served.clean(dict(var.attrs)))}, dims=var.dims, specs=specs)  # fmt: skip
        adapter.node = node
        adapter.name = str(var.name)
        wrapped: VariableAdapter = adapter
        return wrapped

    def _guarded(self, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except FilesChangedError as exc:
            detail = f"{self.node.where()}: {exc}; its files changed: ask again"
            self.node.opened_at = -1e9  # the next request opens the scan again
            raise HTTPException(status_code=UNPROCESSABLE, detail=detail) from exc
        except KeyNotFoundError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        except READ_ERRORS as exc:
            detail = f"{self.node.where()}: {type(exc).__name__}: {exc}"
            raise HTTPException(status_code=UNPROCESSABLE, detail=detail) from exc

    def read(self, *args: Any, **kwargs: Any) -> Any:
        index = args[0] if args else kwargs.get("slice")
        if self._whole(index) and self.node.holds_most(self.name):
            # the whole variable: the adapter's own reader (parallel, block-wise) beats dask's
            return self._guarded(lambda: self.node.read_whole(self.name))
        return self._guarded(lambda: super(VariableAdapter, self).read(*args, **kwargs))

    def _whole(self, index: Any) -> bool:
        if index is None or index == ... or (isinstance(index, tuple) and not index):
            return True
        try:
            return tuple(self._array[tuple(index)].shape) == tuple(self._array.shape)
        except Exception:  # noqa: BLE001 - an index dask cannot apply: the normal path reports it
            return False

    def read_block(self, *args: Any, **kwargs: Any) -> Any:
        return self._guarded(lambda: super(VariableAdapter, self).read_block(*args, **kwargs))


def jsonable(value: Any) -> Any:
    """Plain JSON types (numpy scalars and arrays become numbers and lists)."""
    import json

    import numpy as np

    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        return str(obj)

    return json.loads(json.dumps(value, default=default, allow_nan=True))
