"""Guessing a folder of files of one format, light enough for an adapter's ``about`` module
(nothing but ``os`` and ``pathlib``): see :mod:`nx5d_core.folders`."""

from __future__ import annotations

import fnmatch
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

__all__ = [
    "SAMPLE",
    "folder_entries",
    "guess_declared",
    "guess_folder",
    "guess_layout",
    "member_names",
    "shared_listings",
]

SAMPLE = 50
"""Folder entries looked at to decide whether a folder holds members."""


_SHARED: ContextVar[dict[str, tuple[list[str], list[str]]] | None] = ContextVar(
    "nx5d_folder_listings", default=None
)


@contextmanager
def shared_listings() -> Iterator[None]:
    """Each folder listed once for all the guesses made inside the block (opening a
    repository asks every adapter in turn, and several look into the same folders)."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def folder_entries(folder: Path) -> tuple[list[str], list[str]]:
    """Sorted names of the files and of the folders in ``folder``, hidden ones left out
    (symlinks followed). Raises ``OSError``."""
    shared = _SHARED.get()
    name = os.fspath(folder)
    if shared is not None and name in shared:
        return shared[name]
    files, folders = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_file():
                files.append(entry.name)
            elif entry.is_dir():
                folders.append(entry.name)
    found = (sorted(files), sorted(folders))
    if shared is not None:
        shared[name] = found
    return found


def member_names(folder: Path, is_member: Callable[[Path], bool], *, limit: int | None = None) -> list[str]:  # fmt: skip
    """Names of the member files in ``folder`` (hidden files left out), at most ``limit`` looked at."""
    try:
        names = folder_entries(folder)[0]
    except OSError:
        return []
    return [n for n in names[:limit] if is_member(folder / n)]


def guess_folder(url: str, is_member: Callable[[Path], bool]) -> bool:
    """A member file, a folder of them, or a folder of such folders (local paths only)."""
    if "{" in url or "://" in url.removeprefix("file://"):
        return False
    path = Path(url.removeprefix("file://"))
    if path.is_file():
        return is_member(path)
    if not path.is_dir():
        return False
    if member_names(path, is_member, limit=SAMPLE):
        return True
    try:
        folders = folder_entries(path)[1]
    except OSError:
        return False
    return any(member_names(path / f, is_member, limit=SAMPLE) for f in folders[:SAMPLE])


def guess_layout(url: str, layout: str) -> bool:
    """A local root folder laid out as ``layout`` (``"/{proposal}/{scan}/counters.csv"``): one
    of its first proposal folders holds a scan so (a file per scan, ``"/{proposal}/{scan}.h5"``,
    works too)."""
    if "{" in url or "://" in url.removeprefix("file://") or not layout:
        return False
    root = Path(url.removeprefix("file://"))
    first, _, rest = layout.strip("/").partition("/")
    if first != "{proposal}" or not rest or not root.is_dir():
        return False
    below = rest.replace("{proposal}", "*").replace("{scan}", "*")
    try:
        folders = folder_entries(root)[1]
        return any(next(iter(itertools.islice((root / f).glob(below), 1)), None) for f in folders[:SAMPLE])  # fmt: skip
    except OSError:  # an unreadable folder: not recognisably ours
        return False


def guess_declared(url: str, *, url_patterns: Sequence[str], layout: str = "") -> bool:
    """What an adapter declares: one of its ``url_patterns`` matches ``url``, or ``url`` is a
    root folder laid out as its ``layout``. The guess of every adapter without its own."""
    if any(fnmatch.fnmatchcase(url, pattern) for pattern in url_patterns):
        return True
    return guess_layout(url, layout)
