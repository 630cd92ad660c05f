"""Safe h5py access: opening with clear errors, links, filters, and a picklable lazy array."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .errors import DanglingLinkError, Hdf5FormatError, MissingFilterError

__all__ = ["H5Array", "inspect_link", "open_file", "read_dataset"]
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
def open_file(path: Path) -> Iterator[h5py.File]:
    """Open ``path`` read-only; not-HDF5 and truncated files raise :class:`Hdf5FormatError`."""
    _plugins()
    if not path.exists():
        msg = f"HDF5 file not found: {path}"
        raise FileNotFoundError(msg)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        size = path.stat().st_size
        kind = "truncated or damaged" if h5py.is_hdf5(path) else "not an HDF5 file"
        msg = f"{path}: {kind} ({size} bytes): {exc}"
        raise Hdf5FormatError(msg) from exc
    try:
        yield handle
    finally:
        handle.close()


def inspect_link(group: h5py.Group, name: str) -> str | None:
    """``None`` if ``group[name]`` resolves, else a description of the dangling link."""
    link = group.get(name, getlink=True)
    if isinstance(link, h5py.ExternalLink):
        target = Path(group.file.filename).parent / link.filename
        if not target.exists():
            return (
                f"{group.name}/{name} -> {link.filename}:{link.path} (file {target} does not exist)"
            )
        try:
            group[name]
        except KeyError:
            return (
                f"{group.name}/{name} -> {link.filename}:{link.path} (no such object in {target})"
            )
        return None
    if isinstance(link, h5py.SoftLink) and link.path not in group:
        return f"{group.name}/{name} -> {link.path} (soft link to a missing object)"
    return None


def filter_names(dataset: h5py.Dataset) -> list[str]:
    """Names of the filters in ``dataset``'s pipeline."""
    plist = dataset.id.get_create_plist()
    names = []
    for i in range(plist.get_nfilters()):
        code, _, _, name = plist.get_filter(i)
        label = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
        names.append(f"{code} ({KNOWN_FILTERS.get(code, label) or 'unknown'})")
    return names


def read_dataset(dataset: h5py.Dataset, selection: Any = ()) -> np.ndarray:
    """``dataset[selection]`` with a clear error when a compression filter is missing."""
    try:
        return np.asarray(dataset[selection])
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


class H5Array:
    """Array-like over one HDF5 dataset for ``dask.array.from_array``; opens the file per read.

    Holds only the file path and the object path, so it pickles; h5py's lock makes the reads
    thread-safe, and every read closes its file.
    """

    def __init__(
        self, path: Path, name: str, *, shape: tuple[int, ...], dtype: np.dtype[Any]
    ) -> None:
        self.path, self.name = Path(path), name
        self.shape, self.dtype, self.ndim = shape, dtype, len(shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        with open_file(self.path) as handle:
            try:
                dataset = handle[self.name]
            except KeyError as exc:
                msg = f"{self.path}:{self.name}: cannot be opened: {exc}"
                raise DanglingLinkError(msg) from exc
            return read_dataset(dataset, key)

    def __repr__(self) -> str:
        return f"H5Array({str(self.path)!r}, {self.name!r}, shape={self.shape}, dtype={self.dtype})"
