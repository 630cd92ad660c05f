"""The scan's group in a file, and its data groups with their layouts (no xarray needed)."""

from __future__ import annotations

import logging

import h5py

from nx5d_core.paths import RootGuard

from .conventions import Layout, find_layout
from .errors import Hdf5FormatError
from .h5io import open_path
from .tree import Links, is_data_group, members, nx_class, text

__all__ = ["data_groups", "datasets_of", "entry_group"]
logger = logging.getLogger("nx5d_hdf5.nexus")


_WARNED: set[tuple[str, str, str]] = set()


def _first_time(file: str, group: str, what: str) -> bool:
    """Warn once per file, group and kind in a process (raw, lazy and summary all look)."""
    key = (file, group, what)
    if key in _WARNED:
        return False
    _WARNED.add(key)
    return True


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


def datasets_of(group: h5py.Group, links: Links) -> dict[str, h5py.Dataset]:
    return {n: o for n, o in members(group, links).items() if isinstance(o, h5py.Dataset)}


def data_groups(
    entry: h5py.Group, links: Links
) -> tuple[tuple[h5py.Group, Layout] | None, list[tuple[h5py.Group, Layout]]]:
    """The main data group with its layout, and the other data groups with theirs."""
    groups = {n: o for n, o in members(entry, links).items() if is_data_group(o)}
    order = sorted(groups)
    default = text(entry.attrs.get("default", ""))
    if isinstance(default, str) and default in groups:
        order.remove(default)
        order.insert(0, default)
    laid: list[tuple[str, h5py.Group, Layout]] = []
    for name in order:
        group = groups[name]
        datasets = datasets_of(group, links)
        signal = group.attrs.get("signal")
        if signal is not None and isinstance(group.get(str(text(signal))), h5py.Group):
            msg = (
                f"{group.file.filename}:{group.name}: the signal attribute names "
                f"{text(signal)!r}, which is a group, not a dataset"
            )
            raise Hdf5FormatError(msg)
        layout = find_layout(group, datasets)
        if layout is not None and layout.signal is not None and layout.signal not in group:
            msg = (
                f"{group.file.filename}:{group.name}: signal attribute names {layout.signal!r}, "
                f"which does not exist; members: {sorted(group)}"
            )
            raise Hdf5FormatError(msg)
        if layout is not None:
            laid.append((name, group, layout))
    readable = [
        (name, group, layout)
        for name, group, layout in laid
        if layout.signal is not None
        and layout.signal in group
        and not links.refused(group, layout.signal)
    ]
    chosen = readable[0] if readable else (laid[0] if laid else None)
    if chosen is None:
        return None, []
    if chosen[0] != laid[0][0] and _first_time(entry.file.filename, entry.name, "fallback"):
        logger.warning(
            "%s: data group %r has no readable signal; using %r",
            entry.file.filename,
            laid[0][0],
            chosen[0],
        )
    others = [(g, lay) for n, g, lay in laid if n != chosen[0]]
    return (chosen[1], chosen[2]), others
