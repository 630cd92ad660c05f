"""Safe h5py access: opening with clear errors, links, filters, and a picklable lazy array."""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from h5py import h5d, h5g, h5l, h5o

from nx5d_core import buffers
from nx5d_core.errors import KeyNotFoundError, OutsideRootError
from nx5d_core.paths import RootGuard

from .chain import object_problem, virtual_sources_problem
from .errors import DanglingLinkError, Hdf5BusyError, Hdf5FormatError, MissingFilterError

__all__ = [
    "H5Array",
    "each_member",
    "inspect_link",
    "link_problem",
    "member",
    "open_file",
    "open_path",
    "read_dataset",
    "virtual_problem",
]
logger = logging.getLogger(__name__)

KNOWN_FILTERS = {
    32001: "Blosc",
    32004: "LZ4",
    32008: "bitshuffle",
    32015: "Zstandard",
    307: "bzip2",
    32013: "zfp",
    32017: "SZ",
    32026: "Blosc2",
    32024: "SZ3",
    32018: "FCIDECOMP",
}


def _plugins() -> None:
    """Register the hdf5plugin filters when that optional extra is installed."""
    if os.environ.get("NX5D_HDF5_NO_PLUGINS"):
        return
    with contextlib.suppress(ImportError):
        import hdf5plugin  # noqa: F401


@contextlib.contextmanager
def open_file(path: Path, *, guard: RootGuard) -> Iterator[h5py.File]:
    """Open ``path`` read-only after the root check; not-HDF5 and truncated files raise :class:`Hdf5FormatError`.

    A FIFO or device named like an HDF5 file is refused before HDF5 could block on it.
    """
    _plugins()
    if not path.exists() and not path.is_symlink():
        msg = f"HDF5 file not found: {path}"
        raise FileNotFoundError(msg)
    resolved = guard.file(path, what="an HDF5 file")
    try:
        handle = _open(resolved)
    except Hdf5BusyError as exc:
        exc.add_note(f"file {path}")
        raise
    except OSError as exc:
        size = resolved.stat().st_size
        kind = "truncated or damaged" if h5py.is_hdf5(resolved) else "not an HDF5 file"
        msg = f"{path}: {kind} ({size} bytes): {exc}"
        raise Hdf5FormatError(msg) from exc
    try:
        yield handle
    finally:
        handle.close()


def _open(path: Path) -> h5py.File:
    """Read-only; a file a writer holds in SWMR mode (a scan being acquired) is read as a SWMR
    reader, seeing what the writer has flushed. A file a writer holds without SWMR cannot be
    read consistently while it writes: :class:`Hdf5BusyError`, not "damaged"."""
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        text = str(exc)
        if "already open for write" in text:  # the writer's SWMR flag is set
            try:
                return h5py.File(path, "r", swmr=True)
            except OSError as again:
                busy = f"{path} is open for writing by another process and cannot be read as a SWMR reader: {again}"  # fmt: skip
                raise Hdf5BusyError(busy) from again
        if "unable to lock file" in text or "lock" in text.lower() and "errno = 11" in text:
            busy = f"{path} is open for writing by another process (not in SWMR mode): it can be read once the writer closes it"  # fmt: skip
            raise Hdf5BusyError(busy) from exc
        raise


def inspect_link(group: h5py.Group, name: str, *, guard: RootGuard) -> str | None:
    """``None`` if ``group[name]`` may be read, else why not (dangling, outside the root, a cycle)."""
    problem = link_problem(group, name, guard=guard)
    return None if problem is None else str(problem)


def member(
    group: h5py.Group, name: str, *, guard: RootGuard
) -> tuple[Any, OutsideRootError | DanglingLinkError | None]:
    """``(group[name], None)`` where it may be read, else ``(None, why not)``: one lookup of a
    hard link (the common case), every hop checked for soft and external ones."""
    encoded = name if isinstance(name, bytes) else name.encode("utf-8")
    kind = group.id.links.get_info(encoded).type
    return _checked(group, name, encoded, kind, guard=guard, readonly=_read_only(group))


def each_member(
    group: h5py.Group, *, guard: RootGuard
) -> list[tuple[str, Any, OutsideRootError | DanglingLinkError | None]]:
    """``(name, object or None, why not or None)`` for every member of ``group``, in h5py's
    order, from one pass over its links (see :func:`member`)."""
    found: list[tuple[bytes, int]] = []
    order = h5py.h5.INDEX_CRT_ORDER if _tracks_order(group) else h5py.h5.INDEX_NAME
    group.id.links.iterate(lambda n, info: found.append((n, info.type)), idx_type=order, info=True)
    readonly = _read_only(group)
    return [
        (_name(n), *_checked(group, _name(n), n, kind, guard=guard, readonly=readonly))
        for n, kind in found
    ]


def _read_only(group: h5py.Group) -> bool:
    """Whether ``group``'s file is open read-only (h5py then caches a dataset's shape)."""
    return bool(h5py.h5i.get_file_id(group.id).get_intent() == h5py.h5f.ACC_RDONLY)


def _tracks_order(group: h5py.Group) -> bool:
    """Whether ``group`` keeps its links' creation order (h5py then lists them in it)."""
    gid = h5g.open(group.id, b".") if isinstance(group.id, h5py.h5f.FileID) else group.id
    return bool(gid.get_create_plist().get_link_creation_order() & h5py.h5p.CRT_ORDER_TRACKED)


def _name(encoded: bytes) -> Any:
    """A member name as h5py gives it: text where it is UTF-8, else the bytes."""
    try:
        return encoded.decode("utf-8")
    except UnicodeDecodeError:
        return encoded


def _checked(
    group: h5py.Group, name: Any, encoded: bytes, kind: int, *, guard: RootGuard, readonly: bool
) -> tuple[Any, OutsideRootError | DanglingLinkError | None]:
    if kind == h5l.TYPE_HARD:
        oid = h5o.open(group.id, encoded)
        obj = _high_level(oid, readonly=readonly)
        virtual = isinstance(oid, h5d.DatasetID) and oid.get_create_plist().get_layout() == h5d.VIRTUAL  # fmt: skip
        problem = virtual_problem(obj, guard=guard) if virtual else None
    else:
        problem = link_problem(group, name, guard=guard)
        obj = group[name] if problem is None else None
    return (None, problem) if problem is not None else (obj, None)


def _high_level(oid: Any, *, readonly: bool) -> Any:
    """The h5py object of an opened low-level id (what ``group[name]`` gives, without its
    second lookup of the name)."""
    if isinstance(oid, h5g.GroupID):
        return h5py.Group(oid)
    if isinstance(oid, h5d.DatasetID):
        return h5py.Dataset(oid, readonly=readonly)
    return h5py.Datatype(oid)


def link_problem(
    group: h5py.Group, name: str, *, guard: RootGuard
) -> OutsideRootError | DanglingLinkError | None:
    """The error reading ``group[name]`` would be, or ``None``; nothing outside the root is
    opened. Soft and external links are followed hop by hop (:mod:`nx5d_hdf5.chain`), so a
    chain that leaves the root on a later hop is refused too; a dataset's virtual sources are
    checked the same way."""
    link = group.get(name, getlink=True)
    where = f"{group.name.rstrip('/')}/{name}"
    if isinstance(link, h5py.ExternalLink):
        described = f"{where} -> {link.filename}:{link.path}"
        return object_problem(group.file, where, guard=guard, described=described)
    if isinstance(link, h5py.SoftLink):
        return object_problem(group.file, where, guard=guard, described=f"{where} -> {link.path}")
    obj = group.get(name)
    return virtual_problem(obj, guard=guard) if isinstance(obj, h5py.Dataset) else None


def walk_to(start: h5py.Group, path: str, *, guard: RootGuard) -> Any:
    """``start[path]`` walked member by member, so no link on the way escapes the checks.

    Raises :class:`~nx5d_core.errors.KeyNotFoundError` (a ``KeyError``) naming the closest
    members for a missing one, and the link's error (:class:`DanglingLinkError`,
    :class:`~nx5d_core.errors.OutsideRootError`) for a link that may not be followed.
    """
    obj: Any = start
    for part in [p for p in path.strip("/").split("/") if p]:
        if not isinstance(obj, h5py.Group) or obj.get(part, getlink=True) is None:
            members = sorted(obj) if isinstance(obj, h5py.Group) else []
            where = f"{start.file.filename}:{obj.name} (looking for {path!r})"
            raise KeyNotFoundError(part, kind="member", where=where, candidates=members)
        problem = link_problem(obj, part, guard=guard)
        if problem is not None:
            problem.add_note(f"while reading {path!r} of {start.file.filename}")
            raise problem
        obj = obj[part]
    return obj


def open_path(handle: h5py.File, path: str, *, guard: RootGuard) -> h5py.Group:
    """The group at ``path`` (see :func:`walk_to`)."""
    obj = walk_to(handle, path, guard=guard)
    if not isinstance(obj, h5py.Group):
        msg = f"{handle.filename}:{path} is a dataset, not a group"
        raise Hdf5FormatError(msg)
    return obj


def virtual_problem(
    dataset: h5py.Dataset, *, guard: RootGuard
) -> OutsideRootError | DanglingLinkError | None:
    """For a virtual dataset (VDS): ``None`` if every source exists inside the root, on every
    hop (:func:`nx5d_hdf5.chain.virtual_sources_problem`), else why not.

    HDF5 reads a missing source as fill values (zeros); such a dataset is treated as dangling.
    """
    return virtual_sources_problem(dataset, guard=guard)


def filter_names(dataset: h5py.Dataset) -> list[str]:
    """Names of the filters in ``dataset``'s pipeline."""
    plist = dataset.id.get_create_plist()
    names = []
    for i in range(plist.get_nfilters()):
        code, _, _, name = plist.get_filter(i)
        label = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
        names.append(f"{code} ({KNOWN_FILTERS.get(code, label) or 'unknown'})")
    return names


def _selected_shape(shape: tuple[int, ...] | None, selection: Any) -> tuple[int, ...] | None:
    """The shape ``selection`` (``()`` or contiguous slices) takes from ``shape``; ``None``
    for any other selection (points, steps, integers), which h5py shapes itself."""
    if shape is None:
        return None
    parts = selection if isinstance(selection, tuple) else (selection,)
    if len(parts) > len(shape) or not all(
        isinstance(p, slice) and p.step in (None, 1) for p in parts
    ):
        return None
    full = (*parts, *(slice(None),) * (len(shape) - len(parts)))
    return tuple(len(range(n)[p]) for n, p in zip(shape, full, strict=True))


def _read(dataset: h5py.Dataset, selection: Any) -> np.ndarray:
    """A large numeric read goes straight into a huge-page output (its first touch is cheap,
    see :mod:`nx5d_core.buffers`); anything else is h5py's own read."""
    shape = _selected_shape(dataset.shape, selection)
    dtype = dataset.dtype
    if shape is None or dtype.kind not in "biufc" or math.prod(shape) * dtype.itemsize < buffers.HUGE_PAGE_MIN:  # fmt: skip
        return np.asarray(dataset[selection])
    out = buffers.empty(shape, dtype)
    dataset.read_direct(out, source_sel=selection if selection != () else None)
    return out


def read_dataset(dataset: h5py.Dataset, selection: Any = ()) -> np.ndarray:
    """``dataset[selection]`` with a clear error when a compression filter is missing."""
    try:
        return _read(dataset, selection)
    except OSError as exc:
        missing = [f for f in filter_names(dataset) if not h5py.h5z.filter_avail(int(f.split()[0]))]
        if missing:
            msg = (
                f"{dataset.file.filename}:{dataset.name}: compressed with HDF5 filter {', '.join(missing)}, "
                "which is not available here; install it with `pip install 'nx5d-hdf5[compression]'` (hdf5plugin)"
            )
            raise MissingFilterError(msg) from exc
        msg = f"{dataset.file.filename}:{dataset.name}: cannot be read: {exc}"
        raise Hdf5FormatError(msg) from exc


@contextlib.contextmanager
def open_remote(fs: Any, path: str) -> Iterator[h5py.File]:
    """Open an HDF5 file on an fsspec file system (S3, HTTP) read-only, through a file object:
    HDF5 asks for byte ranges and fsspec fetches them. External links and VDS sources in such a
    file name local paths and are not followed (they are reported as links out of the root)."""
    _plugins()
    try:
        stream = fs.open(path, "rb", block_size=4 * 2**20, cache_type="readahead")
    except FileNotFoundError:
        msg = f"HDF5 file not found: {fs.unstrip_protocol(path)}"
        raise FileNotFoundError(msg) from None
    try:
        try:
            handle = h5py.File(stream, "r")
        except OSError as exc:
            msg = f"{fs.unstrip_protocol(path)}: not a readable HDF5 file: {exc}"
            raise Hdf5FormatError(msg) from exc
        try:
            yield handle
        finally:
            handle.close()
    finally:
        stream.close()


class H5Array:
    """Array-like over one HDF5 dataset for ``dask.array.from_array``; opens the file per read.

    Holds only the file path, the object path and the root guard, so it pickles; h5py's lock
    makes the reads thread-safe, and every read closes its file.
    """

    def __init__(
        self,
        path: Path,
        name: str,
        *,
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
        guard: RootGuard,
    ) -> None:
        self.path, self.name, self.guard = Path(path), name, guard
        self.shape, self.dtype, self.ndim = shape, dtype, len(shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        with open_file(self.path, guard=self.guard) as handle:
            try:
                dataset = handle[self.name]
            except KeyError as exc:
                msg = f"{self.path}:{self.name}: cannot be opened: {exc}"
                raise DanglingLinkError(msg) from exc
            return read_dataset(dataset, key)

    def __repr__(self) -> str:
        return f"H5Array({str(self.path)!r}, {self.name!r}, shape={self.shape}, dtype={self.dtype})"
