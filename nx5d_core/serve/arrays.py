"""The arrays of a served scan: reads that fail answer HTTP 422 with the framework's message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from tiled.adapters.array import ArrayAdapter
from tiled.structures.core import Spec

from .. import buffers
from ..errors import FilesChangedError, KeyNotFoundError, Nx5dError
from .limits import fits, reserve

if TYPE_CHECKING:
    import xarray as xr

    from .tree import ScanNode

__all__ = ["VariableAdapter", "jsonable", "stored"]
UNPROCESSABLE = 422
BAD_REQUEST = 400
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
        clean = self.node.served.clean
        try:
            return read()
        except FilesChangedError as exc:
            detail = f"{self.node.where()}: {exc}; its files changed: ask again"
            self.node.opened_at = -1e9  # the next request opens the scan again
            raise HTTPException(status_code=UNPROCESSABLE, detail=clean(detail)) from exc
        except KeyNotFoundError as exc:
            raise HTTPException(status_code=404, detail=clean(str(exc))) from exc
        except READ_ERRORS as exc:
            detail = f"{self.node.where()}: {type(exc).__name__}: {exc}"
            raise HTTPException(status_code=UNPROCESSABLE, detail=clean(detail)) from exc

    def _what(self, index: Any) -> str:
        shown = "" if index is None or index == ... else f"[{index}]"
        return f"{self.node.where()}, variable {self.name!r}{shown}"

    def read(self, *args: Any, **kwargs: Any) -> Any:
        index = args[0] if args else kwargs.get("slice")

        def run() -> Any:
            part = self._part(index)
            reserve(_nbytes(part), what=self._what(index))
            if part.shape == self._array.shape and self.node.holds_most(self.name):
                rest = self.node.total_nbytes() - _nbytes(part)
                if fits(rest):  # the adapter's own reader (parallel, block-wise) beats dask's
                    reserve(rest, what=f"{self.node.where()} (every variable)")
                    return self.node.read_whole(self.name)
            if _large_and_lazy(part):
                return stored(part)
            return super(VariableAdapter, self).read(*args, **kwargs)

        return self._guarded(run)

    def _part(self, index: Any) -> Any:
        """The lazy selection ``index`` makes (no data read: its shape and size)."""
        if index is None or index == ... or (isinstance(index, tuple) and not index):
            return self._array
        try:
            return self._array[tuple(index)]
        except (IndexError, TypeError, ValueError) as exc:
            detail = f"{self._what(None)} of shape {self._array.shape}: slice {index} does not apply ({exc})"
            raise HTTPException(status_code=BAD_REQUEST, detail=detail) from exc

    def read_block(self, *args: Any, **kwargs: Any) -> Any:
        block = args[0] if args else kwargs["block"]
        index = args[1] if len(args) > 1 else kwargs.get("slice")

        def run() -> Any:
            chunks = self._structure.chunks
            starts = [sum(c[:b]) for c, b in zip(chunks, block, strict=True)]
            where = tuple(slice(a, a + c[b]) for a, c, b in zip(starts, chunks, block, strict=True))
            part = self._array[where]
            part = part[tuple(index)] if index else part
            reserve(_nbytes(part), what=f"{self._what(None)}, block {tuple(block)}")
            if _large_and_lazy(part):
                return stored(part)
            return super(VariableAdapter, self).read_block(*args, **kwargs)

        return self._guarded(run)


def _nbytes(part: Any) -> int:
    return int(part.size) * int(part.dtype.itemsize)


def _large_and_lazy(part: Any) -> bool:
    import dask.array as da

    return isinstance(part, da.Array) and _nbytes(part) >= buffers.HUGE_PAGE_MIN


def stored(part: Any) -> Any:
    """A lazy selection computed chunk by chunk straight into one huge-page output: no
    concatenation copy (half the peak memory of ``compute()``) and a cheap first touch."""
    import dask.array as da

    out = buffers.empty(tuple(int(n) for n in part.shape), part.dtype)
    da.store(part, out, lock=False)
    return out


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
