"""Walking an HDF5 group safely: members behind checked links, fields outside data groups, text.

Every member goes through :func:`~nx5d_hdf5.h5io.member` (dangling, outside the root,
cycles); what is refused is recorded in :class:`Links` and never followed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np
from h5py import h5t

from nx5d_core.paths import RootGuard

from .conventions import scalar_text
from .h5io import each_member

__all__ = [
    "Links",
    "field_attrs",
    "fields",
    "is_data_group",
    "members",
    "nx_class",
    "text",
    "units",
]

METADATA_MAX_SIZE = 16

_STRUCTURAL = {
    "NX_class",
    "signal",
    "axes",
    "axis",
    "primary",
    "nx5d_dims",
    "nx5d_coordinate",
    "target",
    "interpretation",
}


def text(value: Any) -> Any:
    """Decode bytes (UTF-8, else Latin-1 so ``µm`` and ``°`` survive) and one-element arrays."""
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return text(value.reshape(-1)[0])
        if value.dtype.kind in "SOU":
            return [text(v) for v in value.reshape(-1)]
        return value
    return scalar_text(value)


def nx_class(obj: h5py.HLObject) -> str:
    """The NX_class attribute, or ``""``."""
    return str(text(obj.attrs.get("NX_class", "")) or "")


def units(obj: h5py.HLObject) -> dict[str, Any]:
    """``{"units": ...}`` when the object declares non-blank units (``units``, or ``unit`` as
    pyFAI writes it)."""
    found = text(obj.attrs.get("units", obj.attrs.get("unit", "")))
    return {"units": found.strip()} if isinstance(found, str) and found.strip() else {}


def field_attrs(obj: h5py.HLObject) -> dict[str, Any]:
    """A field's attributes for xarray: decoded, without NeXus structure; blank units dropped."""
    out = {
        k: text(v)
        for k, v in obj.attrs.items()
        if k not in _STRUCTURAL and not k.endswith("_indices")
    }
    if "units" not in out and isinstance(out.get("unit"), str):  # pyFAI's spelling
        out["units"] = out.pop("unit")
    if isinstance(out.get("units"), str) and not out["units"].strip():
        del out["units"]
    return out


def is_data_group(obj: h5py.HLObject) -> bool:
    """An NXdata group, or any group with a ``signal`` attribute."""
    return isinstance(obj, h5py.Group) and ("signal" in obj.attrs or nx_class(obj) == "NXdata")


class Links:
    """What one walk over a scan's group found unreadable: dangling links, links leaving the
    repository root, link cycles. Members it names are left out and listed, never followed."""

    def __init__(self, guard: RootGuard) -> None:
        self.guard = guard
        self.problems: list[str] = []
        self._path: list[Any] = []

    @contextlib.contextmanager
    def entered(self, group: h5py.Group) -> Iterator[bool]:
        """Walk into ``group``: ``False`` (and a problem noted) when it is its own ancestor (a
        hard-link cycle). A group hard-linked from two places is the same group, walked each
        time it is reached: only a group inside itself is a cycle."""
        if group.id in self._path:
            self.problems.append(f"{group.name} (a group inside itself: a hard-link cycle)")
            yield False
            return
        self._path.append(group.id)
        try:
            yield True
        finally:
            self._path.pop()

    def refused(self, group: h5py.Group, name: str) -> bool:
        """Whether member ``name`` of ``group`` was refused (dangling, outside the root, a cycle)."""
        where = f"{group.name.rstrip('/')}/{name} "
        return any(where in p for p in self.problems)


def members(group: h5py.Group, links: Links) -> dict[str, h5py.HLObject]:
    """The members of ``group`` that may be read; the others are recorded in ``links``."""
    out = {}
    for name, obj, problem in each_member(group, guard=links.guard):
        if problem is not None:
            links.problems.append(str(problem))
            continue
        out[name] = obj
    return out


def fields(
    group: h5py.Group, *, links: Links, base: str = ""
) -> Iterator[tuple[str, h5py.Dataset]]:
    """Datasets below ``group`` outside its data groups, with their paths relative to ``group``."""
    with links.entered(group) as inside:
        if not inside:
            return
        for name, obj in members(group, links).items():
            path = f"{base}{name}"
            if isinstance(obj, h5py.Group):
                if not is_data_group(obj):
                    yield from fields(obj, links=links, base=path + "/")
            else:
                yield path, obj


def class_paths(
    group: h5py.Group, *, links: Links, base: str = "", classes: str = ""
) -> Iterator[tuple[str, str]]:
    """Every dataset below ``group`` as (path, NeXus class path), data groups included.

    ``instrument/mono/energy`` in an NXinstrument/NXmonochromator has the class path
    ``NXinstrument/NXmonochromator/energy``; groups without a class keep their names.
    """
    with links.entered(group) as inside:
        if not inside:
            return
        for name, obj in members(group, links).items():
            path = f"{base}{name}"
            if isinstance(obj, h5py.Group):
                cls = nx_class(obj) or name
                yield from class_paths(obj, links=links, base=path + "/", classes=f"{classes}{cls}/")  # fmt: skip
            else:
                yield path, f"{classes}{name}"


_PLAIN_CLASSES = frozenset({h5t.INTEGER, h5t.FLOAT, h5t.STRING, h5t.ENUM, h5t.BITFIELD})


def is_small(dataset: h5py.Dataset) -> bool:
    """Metadata-sized: at most 16 values of a plain type (numbers, text, booleans).

    Asked of HDF5's own dataspace and type class: no NumPy dtype is built for the hundreds of
    fields a NeXus entry holds.
    """
    dsid = dataset.id
    shape = dsid.shape
    if shape is None:  # a null dataspace (h5py.Empty)
        return False
    size = 1
    for n in shape:
        size *= n
    return size <= METADATA_MAX_SIZE and dsid.get_type().get_class() in _PLAIN_CLASSES


def put_small(out: dict[str, Any], path: str, dataset: h5py.Dataset) -> None:
    """``out[path]`` = the value, ``out[path@units]`` = its units."""
    out[path] = text(dataset[()])
    out.update({f"{path}@{k}": v for k, v in units(dataset).items()})
