"""Cheap fingerprints of the files a scan was read from: inode, size and mtime of each.

A cached ``raw``, ``lazy()`` or ``cooked`` result remembers the fingerprint it was made from; a
later access that finds another fingerprint reads again instead of returning stale data, and a
fingerprint that changes *during* a read raises :class:`~nx5d_core.errors.FilesChangedError`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from .paths import FileIdentity, file_identity

__all__ = [
    "MISSING",
    "Fingerprint",
    "fingerprint_files",
    "fingerprint_folder",
    "fingerprint_names",
    "fingerprint_remote",
    "identity_now",
    "remote_identity",
]

MISSING: FileIdentity = (0, -1, 0, 0)
"""The identity recorded for a file that does not exist (or cannot be examined)."""


@dataclass(frozen=True)
class Fingerprint:
    """``(path, identity)`` pairs in a fixed order; equal when no file changed."""

    files: tuple[tuple[str, FileIdentity], ...]

    def identities(self) -> dict[str, FileIdentity]:
        """Path -> identity."""
        return dict(self.files)

    def digest(self) -> str:
        """A short hash of the fingerprint (part of cache keys)."""
        try:  # the text of f"{path}\t{identity}", three times faster for the usual four ints
            text = "\n".join("%s\t(%d, %d, %d, %d)" % (p, *i) for p, i in self.files)  # noqa: UP031
        except TypeError:
            text = "\n".join(f"{p}\t{i}" for p, i in self.files)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def changed(self, other: Fingerprint) -> list[str]:
        """Paths whose identity differs between the two (added and removed ones included)."""
        mine, theirs = self.identities(), other.identities()
        return sorted(p for p in mine.keys() | theirs.keys() if mine.get(p) != theirs.get(p))


def identity_now(path: str | os.PathLike[str]) -> FileIdentity:
    """The identity of ``path`` now (symlinks followed), :data:`MISSING` when it is not there."""
    try:
        return file_identity(os.stat(path))
    except OSError:
        return MISSING


def fingerprint_files(paths: Iterable[str | os.PathLike[str]]) -> Fingerprint:
    """The fingerprint of ``paths`` (symlinks followed; missing files recorded as missing).

    One ``stat`` per path and nothing else: a listing takes it for every scan.
    """
    out: list[tuple[str, FileIdentity]] = []
    for path in paths:
        name = os.fspath(path)
        try:
            st = os.stat(name)
        except OSError:
            out.append((name, MISSING))
            continue
        out.append((name, file_identity(st)))
    return Fingerprint(tuple(out))


def fingerprint_names(folder: str | os.PathLike[str], names: Iterable[str]) -> Fingerprint:
    """The fingerprint of the files ``names`` in ``folder``, in the order given (``stat`` each).

    The cheapest full fingerprint: one ``stat`` per file relative to the open folder.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        out = []
        for name in names:
            try:
                identity = file_identity(os.stat(name, dir_fd=fd))
            except OSError:
                identity = MISSING
            out.append((name, identity))
    finally:
        os.close(fd)
    return Fingerprint(tuple(out))


def fingerprint_folder(folder: str | os.PathLike[str]) -> Fingerprint:
    """The fingerprint of every entry of ``folder`` (one ``scandir``, one ``stat`` per entry)."""
    out = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                identity = file_identity(entry.stat())
            except OSError:
                identity = MISSING
            out.append((entry.name, identity))
    out.sort()
    return Fingerprint(tuple(out))


def _mtime_ns(info: dict[str, Any]) -> int:
    for key in ("mtime", "LastModified", "last_modified", "Last-Modified", "created"):
        value = info.get(key)
        if isinstance(value, int | float):
            return int(value * 1e9)
        if isinstance(value, datetime):
            return int(value.timestamp() * 1e9)
        if isinstance(value, str):
            try:
                when = (
                    parsedate_to_datetime(value) if "," in value else datetime.fromisoformat(value)
                )
            except (ValueError, TypeError):
                continue
            return int(when.timestamp() * 1e9)
    return 0


def remote_identity(info: dict[str, Any]) -> FileIdentity:
    """The identity of an object in an fsspec file system from its listing or ``info()`` entry:
    (a number from its ETag or 0, size or -1, modification time in ns or 0, a number from its
    version id or 0)."""
    tag = info.get("ETag") or info.get("etag") or ""
    version = info.get("VersionId") or info.get("version_id") or info.get("generation") or ""
    size = info.get("size")
    return (_number(tag), -1 if size is None else int(size), _mtime_ns(info), _number(version))


def _number(text: object) -> int:
    return int(hashlib.sha256(str(text).encode()).hexdigest()[:15], 16) if text else 0


def fingerprint_remote(fs: Any, paths: Iterable[str]) -> Fingerprint:
    """The fingerprint of objects on an fsspec file system (one ``info`` each; missing ones
    recorded as missing)."""
    out = []
    for path in paths:
        try:
            fs.invalidate_cache(path)
            identity = remote_identity(fs.info(path))
        except (FileNotFoundError, OSError):
            identity = MISSING
        out.append((path, identity))
    return Fingerprint(tuple(out))
