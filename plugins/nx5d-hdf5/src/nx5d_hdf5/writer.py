"""Write an xarray.Dataset (a scan's raw or cooked data) as a NeXus file that reads back equal.

Layout: ``/entry`` (NXentry, the Dataset's attrs as attributes) -> ``/entry/data`` (NXdata) with
``signal`` (given, or the variable with the most dimensions), ``axes`` (a dimension with a 1-D
coordinate of its own name, else ``.``) and ``AXISNAME_indices`` for every coordinate over the
signal's dimensions; ``units`` and other attrs are kept. Every field also carries ``nx5d_dims``
(its dimension names) so that the round trip through this plugin is exact. The file is written
to a temporary name and renamed: an interrupted write leaves no half-written file. A cooked
result (``nx5d_recipe`` in its attrs) also gets ``/entry/process`` (NXprocess: program, version,
date, and NXnote groups with its parameters, spice revisions and options).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xarray as xr

__all__ = ["write_nexus"]


def _attr(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | np.generic | np.ndarray):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, int | float) for v in value):
        return np.asarray(value)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    return json.dumps(value, default=str)


def _write_field(
    group: h5py.Group, name: str, var: xr.Variable, *, coordinate: bool
) -> h5py.Dataset:
    data = np.asarray(var.values)
    if data.dtype.kind == "U":
        data = data.astype(h5py.string_dtype())
    big = data.ndim > 0 and data.size > 1024 and data.dtype.kind in "biuf"
    dataset = group.create_dataset(
        name, data=data, compression="gzip" if big else None, shuffle=big
    )
    for key, value in var.attrs.items():
        dataset.attrs[key] = _attr(value)
    dataset.attrs["nx5d_dims"] = [str(d) for d in var.dims]
    if coordinate:
        dataset.attrs["nx5d_coordinate"] = 1
    return dataset


NEXUS_FIELDS = ("start_time", "end_time", "title", "definition", "program_name")

_NOTES = {
    "parameters": ("nx5d_recipe_params", "the parameters the recipe ran with"),
    "spice": ("nx5d_spice", "the spice records those parameters came from (handle -> revision)"),
    "spice_defaults": ("nx5d_spice_defaults", "defaults used where no spice record was seeded"),
    "options": ("nx5d_options", "the adapter options the raw data was read with"),
}


def _write_process(entry: h5py.Group, attrs: Mapping[str, Any]) -> None:
    """A cooked result's provenance as NeXus has it: ``/entry/process`` (NXprocess) with the
    program, its version and the date, and an NXnote (JSON) per part of the provenance."""
    process = entry.create_group("process")
    process.attrs["NX_class"] = "NXprocess"
    process["program"] = f"nx5d recipe {attrs['nx5d_recipe']} ({attrs.get('nx5d_recipe_from', 'nx5d')})"  # fmt: skip
    process["version"] = str(attrs.get("nx5d_recipe_version", ""))
    process["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    process["sequence_index"] = 1
    for name, (key, description) in _NOTES.items():
        if key not in attrs:
            continue
        value = attrs[key]
        note = process.create_group(name)
        note.attrs["NX_class"] = "NXnote"
        note["type"] = "application/json"
        note["description"] = description
        note["data"] = value if isinstance(value, str) else json.dumps(value, default=str)


def write_nexus(
    dataset: xr.Dataset,
    *,
    path: Path,
    entry: str = "entry",
    signal: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write ``dataset`` to ``path`` and return ``path``; the file appears whole or not at all.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is false (it is left as it was).
    """
    if not dataset.data_vars:
        msg = "write_nexus needs a Dataset with at least one data variable (the NeXus signal)"
        raise ValueError(msg)
    signal = signal or str(max(dataset.data_vars, key=lambda n: dataset[n].ndim))
    if signal not in dataset.data_vars:
        msg = f"signal {signal!r} is not a data variable; variables: {sorted(map(str, dataset.data_vars))}"
        raise KeyError(msg)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with h5py.File(tmp, "w") as handle:
            handle.attrs.update(
                {"NX_class": "NXroot", "default": entry, "creator": "nx5d_core write_nexus"}
            )
            group = handle.create_group(entry)
            group.attrs.update({"NX_class": "NXentry", "default": "data"})
            for key, value in dataset.attrs.items():
                if key in NEXUS_FIELDS and isinstance(value, str):
                    group[key] = value  # NeXus keeps these as fields of the entry
                else:
                    group.attrs[key] = _attr(value)
            if "nx5d_recipe" in dataset.attrs:
                _write_process(group, dataset.attrs)
            data = group.create_group("data")
            sig = dataset[signal]
            data.attrs["NX_class"] = "NXdata"
            data.attrs["signal"] = signal
            data.attrs["axes"] = [
                d if d in dataset.coords and dataset[d].dims == (d,) else "."
                for d in map(str, sig.dims)
            ]
            for name, var in dataset.data_vars.items():
                _write_field(data, str(name), var.variable, coordinate=False)
            for name, coord in dataset.coords.items():
                _write_field(data, str(name), coord.variable, coordinate=True)
                if all(d in sig.dims for d in coord.dims):
                    data.attrs[f"{name}_indices"] = np.asarray(
                        [sig.dims.index(d) for d in coord.dims], dtype=np.int32
                    )
        if overwrite:
            tmp.replace(path)
        else:
            try:
                os.link(tmp, path)  # atomic, and never replaces an existing file
            except FileExistsError:
                msg = f"{path} exists already: not replaced (overwrite=False)"
                raise FileExistsError(msg) from None
            finally:
                tmp.unlink(missing_ok=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
