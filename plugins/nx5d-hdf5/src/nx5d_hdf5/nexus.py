"""From an HDF5 group to an xarray.Dataset, following the NeXus rules where they apply.

Naming rules (documented in docs/hdf5.md):

- NeXus: the entry's ``default`` attribute chain leads to the main NXdata; its ``signal`` becomes
  a variable of that name, with dimensions named by ``axes`` (``.`` or missing: ``dim_<i>``) and
  coordinates from the axis fields and every ``AXISNAME_indices``; ``units`` go to attrs. If the
  main NXdata's signal is a dangling link, the first other data group whose signal resolves is
  used instead. Other fields of the main NXdata keep their names; fields of other data groups (any
  group with a ``signal`` attribute) are named ``<group>.<field>``. Small metadata anywhere else
  in the entry (at most 16 values: instrument, sample, monochromator energy...) become attrs
  named by their path inside the entry, with ``<path>@units`` for units: those directly in the
  entry are attrs of ``raw``, all of them are in ``scan.metadata``. Numeric arrays outside the
  data groups whose first dimension is the scan's (image_key, monitors) are variables named by
  their path with ``/`` -> ``.``.
- plain HDF5: every dataset becomes a variable named by its path with ``/`` -> ``.``, dims
  ``<name>_dim_<i>``; datasets of one value become attrs.
- dangling links are left out and listed in the attr ``nx5d_dangling_links``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xarray as xr

from nx5d_core.paths import RootGuard

from .errors import Hdf5FormatError
from .h5io import H5Array, inspect_link, open_path, read_dataset

__all__ = ["build_dataset", "entry_group", "summary_fields"]
logger = logging.getLogger(__name__)

METADATA_MAX_SIZE = 16
Loader = Callable[[h5py.Dataset, str], Any]


def text(value: Any) -> Any:
    """Decode bytes and one-element arrays into plain Python values."""
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return text(value.reshape(-1)[0])
        if value.dtype.kind in "SOU":
            return [text(v) for v in value.reshape(-1)]
        return value
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def nx_class(obj: h5py.HLObject) -> str:
    """The NX_class attribute, or ``""``."""
    return str(text(obj.attrs.get("NX_class", "")) or "")


def entry_group(handle: h5py.File, path: str, *, guard: RootGuard) -> h5py.Group:
    """The scan's group: ``path`` if given, else the root's ``default`` entry or its first NXentry."""
    if path.strip("/"):
        return open_path(handle, path, guard=guard)
    default = text(handle.attrs.get("default", ""))
    if (
        isinstance(default, str)
        and default
        and "/" not in default
        and default in handle
        and isinstance(handle.get(default, getlink=True), h5py.HardLink)
        and isinstance(handle[default], h5py.Group)
    ):
        return handle[default]
    entries = [
        n
        for n in sorted(handle)
        if isinstance(handle.get(n, getlink=True), h5py.HardLink)
        and isinstance(handle[n], h5py.Group)
        and nx_class(handle[n]) == "NXentry"
    ]
    return handle[entries[0]] if entries else handle


_STRUCTURAL = {
    "NX_class",
    "signal",
    "axes",
    "nx5d_dims",
    "nx5d_coordinate",
    "target",
    "interpretation",
}


def _units(obj: h5py.HLObject) -> dict[str, Any]:
    units = text(obj.attrs.get("units", ""))
    return {"units": units.strip()} if isinstance(units, str) and units.strip() else {}


def _field_attrs(obj: h5py.HLObject) -> dict[str, Any]:
    """A field's attributes for xarray: decoded, without NeXus structure; blank units dropped."""
    out = {
        k: text(v)
        for k, v in obj.attrs.items()
        if k not in _STRUCTURAL and not k.endswith("_indices")
    }
    if isinstance(out.get("units"), str) and not out["units"].strip():
        del out["units"]
    return out


def _is_data_group(obj: h5py.HLObject) -> bool:
    return isinstance(obj, h5py.Group) and ("signal" in obj.attrs or nx_class(obj) == "NXdata")


class Links:
    """What one walk over a scan's group found unreadable: dangling links, links leaving the
    repository root, link cycles. Members it names are left out and listed, never followed."""

    def __init__(self, guard: RootGuard) -> None:
        self.guard = guard
        self.problems: list[str] = []
        self.visited: set[Any] = set()

    def first_visit(self, group: h5py.Group) -> bool:
        """Whether ``group`` is seen for the first time (hard links can make a group its own member)."""
        if group.id in self.visited:
            self.problems.append(f"{group.name} (a group reached twice: a hard-link cycle)")
            return False
        self.visited.add(group.id)
        return True


def _members(group: h5py.Group, links: Links) -> dict[str, h5py.HLObject]:
    out = {}
    for name in group:
        problem = inspect_link(group, name, guard=links.guard)
        if problem:
            links.problems.append(problem)
            continue
        out[name] = group[name]
    return out


def _names(value: Any) -> list[str]:
    """A list-of-names attribute (one name or many, bytes or str) as a list of str."""
    return [str(text(v)) for v in np.atleast_1d(value).reshape(-1)]


def _axes(group: h5py.Group) -> list[str]:
    raw = text(group.attrs.get("axes", []))
    if isinstance(raw, str):
        raw = raw.replace(",", ":").split(":")
    return [str(a).strip() for a in raw]


def _indices(group: h5py.Group) -> dict[str, list[int]]:
    return {
        key[: -len("_indices")]: [int(i) for i in np.atleast_1d(group.attrs[key])]
        for key in group.attrs
        if key.endswith("_indices")
    }


def _signal_name(group: h5py.Group, members: dict[str, h5py.HLObject]) -> str | None:
    signal = text(group.attrs.get("signal", ""))
    if isinstance(signal, str) and signal:
        return signal
    flagged = [
        n
        for n, o in members.items()
        if isinstance(o, h5py.Dataset) and text(o.attrs.get("signal", 0)) in (1, "1")
    ]
    return flagged[0] if flagged else None


def _data_group(
    entry: h5py.Group, links: Links
) -> tuple[h5py.Group | None, list[h5py.Group]]:
    """The main data group and the other data groups of ``entry``."""
    groups = {n: o for n, o in _members(entry, links).items() if _is_data_group(o)}
    order = sorted(groups)
    default = text(entry.attrs.get("default", ""))
    if isinstance(default, str) and default in groups:
        order.remove(default)
        order.insert(0, default)
    for name in order:
        group = groups[name]
        signal = _signal_name(group, {})
        if (
            signal is not None
            and signal in group
            and inspect_link(group, signal, guard=links.guard) is None
        ):
            if name != order[0]:
                logger.warning(
                    "%s: default data group %r has no readable signal; using %r",
                    entry.file.filename,
                    order[0],
                    name,
                )
            return group, [groups[n] for n in order if n != name]
    return None, [groups[n] for n in order]


def _dims_for(
    shape: tuple[int, ...], signal_dims: list[str], signal_shape: tuple[int, ...], name: str
) -> list[str]:
    if shape == signal_shape:
        return list(signal_dims)
    n = len(shape)
    if n and n <= len(signal_shape) and shape == signal_shape[-n:]:
        return signal_dims[-n:]
    if n and n <= len(signal_shape) and shape == signal_shape[:n]:
        return signal_dims[:n]
    return [f"{name}_dim_{i}" for i in range(n)]


def _read_data_group(
    group: h5py.Group, *, load: Loader, prefix: str, links: Links
) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    """Variables and coordinates of one data group, and its dimension sizes."""
    members = _members(group, links)
    signal = _signal_name(group, members)
    datasets = {n: o for n, o in members.items() if isinstance(o, h5py.Dataset)}
    if signal is not None and isinstance(members.get(signal), h5py.Group):
        msg = f"{group.file.filename}:{group.name}: the signal attribute names {signal!r}, which is a group, not a dataset"
        raise Hdf5FormatError(msg)
    if signal is None or signal not in datasets:
        if signal is not None and any(signal in d for d in links.problems):
            return {}, {}, {}
        if signal is not None:
            msg = f"{group.file.filename}:{group.name}: signal attribute names {signal!r}, which does not exist"
            raise Hdf5FormatError(msg)
        return {}, {}, {}
    sig = datasets[signal]
    shape = sig.shape
    stored_dims = _names(sig.attrs["nx5d_dims"]) if "nx5d_dims" in sig.attrs and sig.ndim else None
    if stored_dims is not None and len(stored_dims) != sig.ndim:
        msg = (
            f"{group.file.filename}:{sig.name}: nx5d_dims names {len(stored_dims)} dimensions "
            f"{stored_dims} for a {sig.ndim}-dimensional signal"
        )
        raise Hdf5FormatError(msg)
    axes = _axes(group)
    indices = _indices(group)
    dims: list[str | None] = [None] * len(shape)
    for i, name in enumerate(axes[: len(shape)]):
        if name and name != ".":
            dims[i] = name
    for name, idx in indices.items():
        if len(idx) == 1 and idx[0] < len(dims) and dims[idx[0]] is None and name in datasets:
            dims[idx[0]] = name
    final = [d if d else f"dim_{i}" for i, d in enumerate(dims)]
    final = [d if final.count(d) == 1 else f"{d}_{i}" for i, d in enumerate(final)]
    if "nx5d_dims" in sig.attrs:  # written by nx5d_hdf5.write_nexus: the exact names
        final = _names(sig.attrs["nx5d_dims"]) if sig.ndim else []
    sizes = dict(zip(final, shape, strict=True))
    coords: dict[str, Any] = {}
    data_vars: dict[str, Any] = {
        prefix + signal: (final, load(sig, f"{group.name}/{signal}"), _field_attrs(sig))
    }
    axis_fields = {a for a in axes if a and a != "."} | set(indices)
    for name, ds in datasets.items():
        if name == signal:
            continue
        stored = ds.attrs.get("nx5d_dims")
        if "nx5d_coordinate" in ds.attrs:
            var_dims = _names(stored) if ds.ndim else []
            coords[prefix + name] = (var_dims, load(ds, f"{group.name}/{name}"), _field_attrs(ds))
            continue
        if name in axis_fields:
            idx = indices.get(name) or ([axes.index(name)] if name in axes else [])
            if [shape[i] for i in idx if i < len(shape)] == list(ds.shape) and len(idx) == ds.ndim:
                coords[prefix + name if prefix else name] = (
                    [final[i] for i in idx],
                    load(ds, f"{group.name}/{name}"),
                    _field_attrs(ds),
                )
                continue
        if stored is not None:
            var_dims = _names(stored) if ds.ndim else []
        else:
            var_dims = _dims_for(ds.shape, final, shape, prefix + name)
        data_vars[prefix + name] = (var_dims, load(ds, f"{group.name}/{name}"), _field_attrs(ds))
    return data_vars, coords, sizes


SCAN_ALIGNED_MAX_SIZE = 10_000_000


def _fields(
    group: h5py.Group, *, links: Links, base: str = ""
) -> Iterator[tuple[str, h5py.Dataset]]:
    """Datasets below ``group`` outside its data groups, with their paths relative to ``group``."""
    if not links.first_visit(group):
        return
    for name, obj in _members(group, links).items():
        path = f"{base}{name}"
        if isinstance(obj, h5py.Group):
            if not _is_data_group(obj):
                yield from _fields(obj, links=links, base=path + "/")
        else:
            yield path, obj


def _is_small(dataset: h5py.Dataset) -> bool:
    return bool(dataset.size <= METADATA_MAX_SIZE and dataset.dtype.kind in "biufSOU")


def _put_small(out: dict[str, Any], path: str, dataset: h5py.Dataset) -> None:
    out[path] = text(dataset[()])
    out.update({f"{path}@{k}": v for k, v in _units(dataset).items()})


def _plain(group: h5py.Group, *, load: Loader, links: Links) -> xr.Dataset:
    data_vars: dict[str, Any] = {}
    attrs: dict[str, Any] = {}

    def walk(g: h5py.Group, base: str) -> None:
        if not links.first_visit(g):
            return
        for name, obj in _members(g, links).items():
            path = f"{base}{name}"
            if isinstance(obj, h5py.Group):
                walk(obj, path + "/")
            elif obj.size == 1 or obj.ndim == 0:
                attrs[path.replace("/", ".")] = text(obj[()])
            else:
                var = path.replace("/", ".")
                data_vars[var] = (
                    [f"{var}_dim_{i}" for i in range(obj.ndim)],
                    load(obj, obj.name),
                    _field_attrs(obj),
                )

    walk(group, "")
    return xr.Dataset(data_vars, attrs=attrs)


TARGET_CHUNK_BYTES = 16 * 2**20


def dask_chunks(dataset: h5py.Dataset) -> tuple[int, ...] | str:
    """Dask chunks that are whole multiples of the HDF5 chunks (grown along the first axis to ~16 MB)."""
    if dataset.chunks is None:
        return "auto"
    chunks = list(dataset.chunks)
    per_chunk = int(np.prod(chunks)) * dataset.dtype.itemsize
    factor = max(1, TARGET_CHUNK_BYTES // max(per_chunk, 1))
    chunks[0] = min(dataset.shape[0], chunks[0] * factor)
    return tuple(chunks)


def build_dataset(group: h5py.Group, *, path: Path, lazy: bool, guard: RootGuard) -> xr.Dataset:
    """The scan's Dataset (see the module docstring for the naming rules)."""
    if lazy:
        import dask.array as da

        def load(ds: h5py.Dataset, access: str) -> Any:
            if ds.ndim == 0 or ds.size <= METADATA_MAX_SIZE:
                return read_dataset(ds)
            array = H5Array(path, access, shape=ds.shape, dtype=ds.dtype, guard=guard)
            return da.from_array(
                array,
                chunks=dask_chunks(ds),
                name=f"h5-{path}-{access}",
                meta=np.empty((0,) * ds.ndim, ds.dtype),
            )
    else:

        def load(ds: h5py.Dataset, access: str) -> Any:
            return read_dataset(ds)

    seen: set[Any] = set()  # h5py object ids already loaded (links make one dataset appear twice)
    inner = load

    def load(ds: h5py.Dataset, access: str) -> Any:
        seen.add(ds.id)
        return inner(ds, access)

    links = Links(guard)
    is_nexus = bool(nx_class(group)) or any(
        nx_class(o) for o in _members(group, Links(guard)).values() if isinstance(o, h5py.Group)
    )
    if not is_nexus:
        result = _plain(group, load=load, links=links)
    else:
        main, others = _data_group(group, links)
        data_vars: dict[str, Any] = {}
        coords: dict[str, Any] = {}
        sizes: dict[str, int] = {}
        if main is not None:
            data_vars, coords, sizes = _read_data_group(
                main, load=load, prefix="", links=links
            )
        for other in others:
            prefix = other.name.rsplit("/", 1)[-1] + "."
            o_vars, o_coords, o_sizes = _read_data_group(
                other, load=load, prefix=prefix, links=links
            )
            rename = {d: prefix + d for d, n in o_sizes.items() if d in sizes and sizes[d] != n}
            for name, (dims, data, attrs) in {**o_vars, **o_coords}.items():
                dims = [rename.get(d, d) for d in dims]
                plain_name = name.removeprefix(prefix)
                if name in o_coords and plain_name in coords and coords[plain_name][0] == dims:
                    continue
                (
                    coords
                    if name in o_coords and len(dims) == 1 and dims[0] == plain_name
                    else data_vars
                )[name] = (dims, data, attrs)
        attrs: dict[str, Any] = {
            k: text(v) for k, v in group.attrs.items() if k not in {"NX_class", "default"}
        }
        scan = next(iter(sizes.items()), None)  # the signal's first dimension and its length
        for field_path, ds in _fields(group, links=links):
            if _is_small(ds):
                if "/" not in field_path:  # the entry's own fields; the rest is in scan.metadata
                    _put_small(attrs, field_path, ds)
            elif (
                scan is not None
                and ds.id not in seen
                and ds.ndim >= 1
                and ds.shape[0] == scan[1]
                and ds.size <= SCAN_ALIGNED_MAX_SIZE
                and ds.dtype.kind in "biuf"
            ):
                var = field_path.replace("/", ".")
                if var not in data_vars and var not in coords:
                    dims = [scan[0], *(f"{var}_dim_{i}" for i in range(1, ds.ndim))]
                    data_vars[var] = (
                        dims,
                        load(ds, f"{group.name}/{field_path}"),
                        _field_attrs(ds),
                    )
        try:
            result = xr.Dataset(data_vars, coords=coords, attrs=attrs)
        except ValueError as exc:
            msg = f"{path}:{group.name}: the dimensions the file declares do not fit its arrays: {exc}"
            raise Hdf5FormatError(msg) from exc
    unique = sorted(set(links.problems))
    if unique:
        logger.warning(
            "%s:%s: %d dangling link(s) left out, e.g. %s", path, group.name, len(unique), unique[0]
        )
        result.attrs["nx5d_dangling_links"] = unique
    return result


def read_metadata(group: h5py.Group, *, guard: RootGuard) -> dict[str, Any]:
    """Every small field (at most 16 values) outside the data groups: path -> value, ``path@units``."""
    out: dict[str, Any] = {}
    for path, dataset in _fields(group, links=Links(guard)):
        if _is_small(dataset):
            _put_small(out, path, dataset)
    return out


def parse_time(value: Any, *, zone: tzinfo, notes: list[str], what: str) -> datetime | None:
    """An ISO 8601 time; naive times get ``zone`` and a note."""
    raw = text(value)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        notes.append(f"{what} {raw!r} is not ISO 8601")
        return None
    if when.tzinfo is None:
        notes.append(f"{what} has no time zone; read as {zone}")
        when = when.replace(tzinfo=zone)
    return when


def summary_fields(group: h5py.Group, *, zone: tzinfo, guard: RootGuard) -> dict[str, Any]:
    """Title, times, definition and frame count, from metadata only (no bulk data read)."""
    notes: list[str] = []
    links = Links(guard)
    members = _members(group, links)
    title = text(members["title"][()]) if isinstance(members.get("title"), h5py.Dataset) else ""
    definition = (
        text(members["definition"][()])
        if isinstance(members.get("definition"), h5py.Dataset)
        else None
    )
    start = (
        parse_time(members["start_time"][()], zone=zone, notes=notes, what="start_time")
        if "start_time" in members
        else None
    )
    end = (
        parse_time(members["end_time"][()], zone=zone, notes=notes, what="end_time")
        if "end_time" in members
        else None
    )
    if start is None:
        notes.append("no start_time")
    main, others = _data_group(group, links) if nx_class(group) else (None, [])
    # the same link report as raw: every unreadable link below the entry (metadata only)
    for data_group in [g for g in (main, *others) if g is not None]:
        _members(data_group, links)
    for _ in _fields(group, links=links):
        pass
    default = text(group.attrs.get("default", ""))
    if (
        main is not None
        and isinstance(default, str)
        and default
        and main.name.rsplit("/", 1)[-1] != default
    ):
        notes.append(
            f"default data group {default!r} has no readable signal; using {main.name.rsplit('/', 1)[-1]!r}"
        )
    frames = 0
    signal_shape: tuple[int, ...] | None = None
    if main is not None:
        signal = _signal_name(main, {})
        if signal and signal in main:
            signal_shape = main[signal].shape
    if signal_shape is not None:
        n = len(signal_shape)
        frames = 1 if n in (0, 2) else int(signal_shape[0])
    else:
        notes.append("no readable signal")
    return {
        "type": str(definition or nx_class(group) or "hdf5"),
        "num_frames": frames,
        "time": start,
        "end_time": end,
        "description": str(title or ""),
        "definition": None if definition is None else str(definition),
        "signal_shape": None if signal_shape is None else list(signal_shape),
        "dangling_links": sorted(set(links.problems)),
        "notes": notes,
    }
