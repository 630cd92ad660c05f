"""Links and virtual sources followed hop by hop, each hop checked against the root guard.

HDF5 follows a chain of links by itself: an external link to a file inside the root whose
target is itself an external link (or a soft link through one) to a file outside it; a virtual
dataset whose source, in the same file (``"."``) or another one, lies behind such a link or is
itself virtual. Opening the first hop's object would read the last hop's file. Here every hop
is resolved and checked before anything is opened through it: soft links by their path in the
same file, external links by their file (which must exist inside the root), virtual sources
(``"."``, other files; printf-style names are never followed) recursively.
"""

from __future__ import annotations

from pathlib import Path

import h5py

from nx5d_core.errors import OutsideRootError
from nx5d_core.paths import RootGuard, note_dependency

from .errors import DanglingLinkError

__all__ = ["MAX_HOPS", "beside", "object_problem", "virtual_sources_problem"]

MAX_HOPS = 32
"""More hops than this is taken for a cycle (HDF5's own limit on soft links is 16)."""

Problem = OutsideRootError | DanglingLinkError


def beside(filename: str, here: str) -> Path:
    """Where HDF5 finds a linked file: an absolute name as it is, a relative one beside ``here``."""
    return Path(filename) if Path(filename).is_absolute() else Path(here).parent / filename


def _other_file(filename: str, *, here: str, described: str, guard: RootGuard) -> Path | Problem:
    target = beside(filename, here)
    note_dependency(target)  # a summary of a dangling link changes when the file appears
    if not target.exists():
        return DanglingLinkError(f"{described} (file {target} does not exist)")
    try:
        return guard.resolve(target, link=f"{here}:{described}")
    except OutsideRootError as exc:
        return exc


def object_problem(
    handle: h5py.File, path: str, *, guard: RootGuard, described: str, hops: int = 0
) -> Problem | None:
    """``None`` if ``handle[path]`` reaches only files inside the root (every link on the way,
    and every virtual source of the dataset it ends at), else why not."""
    if hops > MAX_HOPS:
        return DanglingLinkError(f"{described} (a link cycle: more than {MAX_HOPS} hops)")
    group: h5py.Group = handle["/"]
    parts = [p for p in path.split("/") if p]
    for n, part in enumerate(parts):
        rest = "/".join(parts[n + 1 :])
        link = group.get(part, getlink=True)
        if link is None:
            where = f"{handle.filename}:{group.name}"
            return DanglingLinkError(f"{described} (no such object: no member {part!r} in {where})")
        if isinstance(link, h5py.SoftLink):
            base = link.path if link.path.startswith("/") else f"{group.name}/{link.path}"
            inner = f"{base}/{rest}" if rest else base
            return object_problem(handle, inner, guard=guard, described=described, hops=hops + 1)
        if isinstance(link, h5py.ExternalLink):
            target = _other_file(link.filename, here=handle.filename, described=described, guard=guard)  # fmt: skip
            if not isinstance(target, Path):
                return target
            if target.samefile(handle.filename):
                return DanglingLinkError(f"{described} (an external link back to the same file: a cycle)")  # fmt: skip
            inner = f"{link.path}/{rest}" if rest else link.path
            try:
                with h5py.File(target, "r") as other:
                    return object_problem(other, inner, guard=guard, described=described, hops=hops + 1)  # fmt: skip
            except OSError as exc:
                return DanglingLinkError(f"{described} (file {target} cannot be opened: {exc})")
        try:
            obj = group[part]  # a hard link: the object is in this file
        except (KeyError, OSError) as exc:
            return DanglingLinkError(f"{described} ({handle.filename}:{group.name}/{part}: {exc})")
        if isinstance(obj, h5py.Dataset):
            if rest:
                return DanglingLinkError(f"{described} ({obj.name} is a dataset, not a group)")
            return virtual_sources_problem(obj, guard=guard, hops=hops)
        group = obj
    return None


def virtual_sources_problem(
    dataset: h5py.Dataset, *, guard: RootGuard, hops: int = 0
) -> Problem | None:
    """For a virtual dataset: ``None`` if every source exists inside the root (each one followed
    through its own links, and itself checked if it is virtual), else why not. HDF5 would read a
    missing source as fill values (zeros); such a dataset is treated as dangling."""
    if not dataset.is_virtual:
        return None
    here = dataset.file.filename
    for source in dataset.virtual_sources():
        described = f"{dataset.name} (virtual dataset) -> {source.file_name}:{source.dset_name}"
        if "%" in source.file_name:
            return DanglingLinkError(f"{described} (printf-style source names are not followed)")
        if source.file_name == ".":
            problem = object_problem(dataset.file, source.dset_name, guard=guard, described=described, hops=hops + 1)  # fmt: skip
        else:
            target = _other_file(source.file_name, here=here, described=described, guard=guard)
            if not isinstance(target, Path):
                if isinstance(target, DanglingLinkError):
                    target = DanglingLinkError(f"{target} (HDF5 would read zeros)")
                return target
            try:
                with h5py.File(target, "r") as other:
                    problem = object_problem(other, source.dset_name, guard=guard, described=described, hops=hops + 1)  # fmt: skip
            except OSError as exc:
                return DanglingLinkError(f"{described} (file {target} cannot be opened: {exc})")
        if problem is not None:
            return problem
    return None
