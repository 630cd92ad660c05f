"""From an HDF5 group to an xarray.Dataset, following the NeXus rules where they apply.

Naming rules (documented in docs/tutorials/nexus.md):

- NeXus: the main data group is the entry's ``default`` (else the first NXdata, by name) whose
  signal can be read; if no signal can be read (dangling detector links), the default group
  still gives its axes (scan positions). Its signal and axes are found under every convention
  (:mod:`nx5d_hdf5.conventions`): the signal keeps its name, dimensions are named by the axes
  (or ``frame``/``y``/``x``/``point``), axis fields become coordinates, ``units`` go to attrs.
  Other fields of the main data group keep their names; fields of other data groups are named
  ``<group>.<field>``. Small metadata (at most 16 values) directly in the entry are attrs of
  ``raw``; all of it is in ``scan.metadata``. Numeric arrays elsewhere in the entry whose first
  dimension is the scan's (image_key, monitors, positioners) are variables named by their path
  with ``/`` -> ``.``.
- plain HDF5: every dataset becomes a variable named by its path with ``/`` -> ``.``, dims
  ``<name>_point`` (1-D), ``<name>_y, <name>_x`` (2-D), ``<name>_frame, ...`` (3-D); datasets of
  one value become attrs. The same names serve arrays of a data group that run along none of
  its dimensions; an array of one value there is a 0-D variable. Text arrays are ``str``.
- links that are dangling, lead outside the repository root or loop are left out and listed in
  the attr ``nx5d_dangling_links``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xarray as xr

from nx5d_core.paths import RootGuard

from .conventions import Layout, fallback_names
from .errors import Hdf5FormatError, Hdf5NoDataError
from .groups import _first_time, data_groups, datasets_of
from .h5io import H5Array, read_dataset
from .tree import (
    METADATA_MAX_SIZE,
    Links,
    field_attrs,
    fields,
    is_small,
    members,
    nx_class,
    put_small,
    text,
)
from .written import Unwritten, keep_written, unwritten_rows

__all__ = ["build_dataset"]
logger = logging.getLogger(__name__)

Loader = Callable[[h5py.Dataset, str], Any]
SCAN_ALIGNED_MAX_SIZE = 10_000_000
TARGET_CHUNK_BYTES = 16 * 2**20


def _dims_for(shape: tuple[int, ...], layout: Layout, name: str) -> list[str]:
    dims, full = layout.dims, layout.shape
    if shape == full:
        return list(dims)
    n = len(shape)
    if n and n <= len(full) and shape == full[:n]:
        return dims[:n]
    if n and n <= len(full) and shape == full[-n:]:
        return dims[-n:]
    return own_dims(name, n)


def own_dims(name: str, ndim: int) -> list[str]:
    """Dimension names for an array along no known dimension: ``name_point``, ``name_y``..."""
    return [f"{name}_{d}" for d in fallback_names(ndim)] if ndim else []


def _bin_edges(name: str, dim: str, edges: Any, attrs: dict[str, Any]) -> dict[str, Any]:
    """An axis of N+1 bin edges for N bins (IPNS/SNS histograms, Mantid): the bin centres as the
    coordinate, the edges as a ``<name>_bounds`` coordinate of (N, 2) (CF's bounds)."""
    edges = np.asarray(edges)
    centres = (edges[:-1] + edges[1:]) / 2 if edges.dtype.kind in "iuf" else edges[:-1]
    bounds = np.stack([edges[:-1], edges[1:]], axis=1)
    return {
        name: ([dim], centres, {**attrs, "bounds": f"{name}_bounds", "nx5d_from_bin_edges": 1}),
        f"{name}_bounds": ([dim, "bounds"], bounds, dict(attrs)),
    }


def _read_data_group(
    group: h5py.Group, layout: Layout, *, load: Loader, prefix: str, links: Links
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Variables and coordinates of one data group."""
    datasets = datasets_of(group, links)
    dims = list(layout.dims)
    signal = datasets.get(layout.signal) if layout.signal else None
    if signal is not None and "nx5d_dims" in signal.attrs and signal.ndim:
        stored = [str(text(v)) for v in np.atleast_1d(signal.attrs["nx5d_dims"]).reshape(-1)]
        if len(stored) != signal.ndim:
            msg = (
                f"{group.file.filename}:{signal.name}: nx5d_dims names {len(stored)} dimensions "
                f"{stored} for a {signal.ndim}-dimensional signal"
            )
            raise Hdf5FormatError(msg)
        dims = stored  # written by nx5d_hdf5.write_nexus: the exact names
        layout = Layout(layout.convention, layout.signal, dims, layout.shape, layout.axes)
    coords: dict[str, Any] = {}
    data_vars: dict[str, Any] = {}
    for name, ds in datasets.items():
        access = f"{group.name}/{name}"
        stored_dims = ds.attrs.get("nx5d_dims")
        if "nx5d_coordinate" in ds.attrs:
            var_dims = (
                [str(text(v)) for v in np.atleast_1d(stored_dims).reshape(-1)] if ds.ndim else []
            )
            coords[prefix + name] = (var_dims, load(ds, access), field_attrs(ds))
            continue
        idx = layout.axes.get(name)
        if (
            idx is not None
            and len(idx) == ds.ndim
            and all(i < len(dims) for i in idx)
            and [layout.shape[i] for i in idx] == list(ds.shape)
        ):
            coords[prefix + name] = ([dims[i] for i in idx], load(ds, access), field_attrs(ds))
            continue
        if idx is not None and len(idx) == 1 == ds.ndim and idx[0] < len(dims) and ds.shape[0] == layout.shape[idx[0]] + 1:  # fmt: skip
            coords.update(_bin_edges(prefix + name, dims[idx[0]], read_dataset(ds), field_attrs(ds)))  # fmt: skip
            continue
        if stored_dims is not None and name != layout.signal:
            var_dims = (
                [str(text(v)) for v in np.atleast_1d(stored_dims).reshape(-1)] if ds.ndim else []
            )
        elif name == layout.signal:
            var_dims = dims
        else:
            var_dims = _dims_for(ds.shape, layout, prefix + name)
        data = load(ds, access)
        if ds.size == 1 and ds.ndim and var_dims == own_dims(prefix + name, ds.ndim):
            var_dims, data = [], data.reshape(())  # one value along no dimension: a 0-D variable
        data_vars[prefix + name] = (var_dims, data, field_attrs(ds))
    return data_vars, coords


def _plain(group: h5py.Group, *, load: Loader, links: Links, seen: set[Any]) -> xr.Dataset:
    data_vars: dict[str, Any] = {}
    attrs: dict[str, Any] = {}

    def walk(g: h5py.Group, base: str) -> None:
        with links.entered(g) as inside:
            if not inside:
                return
            for name, obj in members(g, links).items():
                path = f"{base}{name}"
                if isinstance(obj, h5py.Group):
                    walk(obj, path + "/")
                elif obj.size == 1 or obj.ndim == 0:
                    attrs[path.replace("/", ".")] = text(obj[()])
                elif obj.id not in seen:  # a dataset reached twice (hard links) is read once
                    var = path.replace("/", ".")
                    data_vars[var] = (
                        own_dims(var, obj.ndim),
                        load(obj, obj.name),
                        field_attrs(obj),
                    )

    walk(group, "")
    return xr.Dataset(data_vars, attrs=attrs)


def dask_chunks(dataset: h5py.Dataset) -> tuple[int, ...] | str:
    """Dask chunks that are whole multiples of the HDF5 chunks (grown along the first axis to ~16 MB)."""
    if dataset.chunks is None:
        return "auto"
    chunks = list(dataset.chunks)
    per_chunk = int(np.prod(chunks)) * dataset.dtype.itemsize
    factor = max(1, TARGET_CHUNK_BYTES // max(per_chunk, 1))
    chunks[0] = min(dataset.shape[0], chunks[0] * factor)
    return tuple(chunks)


def _loader(*, path: Path, lazy: bool, guard: RootGuard, seen: set[Any], partial: dict[int, Unwritten]) -> Loader:  # fmt: skip
    def load(ds: h5py.Dataset, access: str) -> Any:
        seen.add(ds.id)  # links make one dataset appear twice: load it once
        unwritten = unwritten_rows(ds)
        if not lazy or ds.ndim == 0 or ds.size <= METADATA_MAX_SIZE:
            data = _decoded(read_dataset(ds))
        else:
            import dask.array as da

            array = H5Array(path, access, shape=ds.shape, dtype=ds.dtype, guard=guard)
            data = da.from_array(  # type: ignore[no-untyped-call]
                array,
                chunks=dask_chunks(ds),
                name=f"h5-{path}-{access}",
                meta=np.empty((0,) * ds.ndim, ds.dtype),
            )
        if unwritten is not None:
            partial[id(data)] = unwritten  # the frames never written are left out afterwards
        return data

    return load


def _decoded(array: Any) -> Any:
    """Text as ``str`` (HDF5 gives bytes): UTF-8, else Latin-1, as :func:`~nx5d_hdf5.tree.text`."""
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "SO":
        return array
    if array.dtype.kind == "O" and not all(isinstance(v, bytes | str) for v in array.reshape(-1)):
        return array
    flat = [text(v) if isinstance(v, bytes) else v for v in array.reshape(-1)]
    return np.array(flat, dtype=str).reshape(array.shape)


def _is_nexus(group: h5py.Group, guard: RootGuard) -> bool:
    return bool(nx_class(group)) or any(
        nx_class(o) for o in members(group, Links(guard)).values() if isinstance(o, h5py.Group)
    )


def build_dataset(group: h5py.Group, *, path: Path, lazy: bool, guard: RootGuard) -> xr.Dataset:
    """The scan's Dataset (see the module docstring for the naming rules)."""
    seen: set[Any] = set()
    partial: dict[int, Unwritten] = {}
    load = _loader(path=path, lazy=lazy, guard=guard, seen=seen, partial=partial)
    links = Links(guard)
    if not _is_nexus(group, guard):
        result = _plain(group, load=load, links=links, seen=seen)
    else:
        result = _nexus(group, load=load, links=links, seen=seen, path=path)
    unique = sorted(set(links.problems))
    if unique and _first_time(str(path), group.name, "links"):
        logger.warning(
            "%s:%s: %d dangling link(s) left out (missing, outside the root or a cycle), e.g. %s",
            path,
            group.name,
            len(unique),
            unique[0],
        )
    if unique:
        result.attrs["nx5d_dangling_links"] = unique
    kept: xr.Dataset = keep_written(result, partial, path=f"{path}:{group.name}")
    return kept


def _nexus(
    group: h5py.Group, *, load: Loader, links: Links, seen: set[Any], path: Path
) -> xr.Dataset:
    main, others = data_groups(group, links)
    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    sizes: dict[str, int] = {}
    if main is not None:
        data_vars, coords = _read_data_group(main[0], main[1], load=load, prefix="", links=links)
        sizes = main[1].sizes()
    for other, layout in others:
        prefix = other.name.rsplit("/", 1)[-1] + "."
        o_vars, o_coords = _read_data_group(other, layout, load=load, prefix=prefix, links=links)
        rename = {d: prefix + d for d, n in layout.sizes().items() if d in sizes and sizes[d] != n}
        for name, (dims, data, var_attrs) in {**o_vars, **o_coords}.items():
            dims = [rename.get(d, d) for d in dims]
            plain_name = name.removeprefix(prefix)
            if name in o_coords and plain_name in coords and coords[plain_name][0] == dims:
                continue
            target = coords if name in o_coords and dims == [plain_name] else data_vars
            target[name] = (dims, data, var_attrs)
    attrs: dict[str, Any] = {
        k: text(v) for k, v in group.attrs.items() if k not in {"NX_class", "default"}
    }
    main_layout = main[1] if main is not None and main[1].shape else None
    for field_path, ds in fields(group, links=links):
        if is_small(ds):
            if "/" not in field_path:  # the entry's own fields; the rest is in scan.metadata
                put_small(attrs, field_path, ds)
        elif (
            main_layout is not None
            and ds.id not in seen
            and ds.ndim >= 1
            and ds.shape[0] == main_layout.shape[0]
            and ds.size <= SCAN_ALIGNED_MAX_SIZE
            and ds.dtype.kind in "biuf"
        ):
            var = field_path.replace("/", ".")
            if var not in data_vars and var not in coords:
                dims = _dims_for(ds.shape, main_layout, var)
                if dims[0] != main_layout.dims[0]:  # aligned along the scan only
                    dims = [main_layout.dims[0], *own_dims(var, ds.ndim)[1:]]
                data_vars[var] = (dims, load(ds, f"{group.name}/{field_path}"), field_attrs(ds))
    if main is None and not data_vars and not coords:
        msg = (
            f"{path}:{group.name}: no measured data: no NXdata group with a signal or axes and "
            "no array along a scan (the entry's fields are in scan.metadata)"
        )
        raise Hdf5NoDataError(msg)
    try:
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)
    except ValueError as exc:
        msg = f"{path}:{group.name}: the dimensions the file declares do not fit its arrays: {exc}"
        raise Hdf5FormatError(msg) from exc
