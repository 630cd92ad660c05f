"""When a listing may have changed: the folders (or file) keys are listed from, as a token.

A proposal's scans are listed from one folder (``root/P/`` for ``root/{proposal}/{scan}.h5``
and ``root/{proposal}/{scan}/manifest.dat``) or one file (``root/{proposal}.spec#{scan}``). A
scan that appears changes that folder's (or file's) identity: size, mtime, ctime, inode, as
every other fingerprint here. Where a scan is a folder holding a fixed file (the manifest), a
folder without it yet is *pending*: its identity changes when the file arrives, so it is part
of the token too. Comparing tokens costs a few ``stat`` calls, never a walk.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .fingerprint import identity_now

if TYPE_CHECKING:
    from .paths import FileIdentity
    from .urls import KeyPattern

__all__ = ["ListingToken", "listing_start", "listing_token", "token_changed"]

ListingToken = tuple[tuple[str, "FileIdentity"], ...]
_GLOB = set("*?[")


def _folder_of(template: str, field: str) -> str | None:
    """The folder the entries named by ``field`` are listed from, or ``None`` if that part of
    the path is not fixed (a wildcard or another field before it)."""
    head = template.split("{" + field + "}", 1)[0]
    folder = head.rsplit("/", 1)[0] or "/"
    return None if "{" in folder or _GLOB & set(folder) else folder


def _where(pattern: KeyPattern, proposal: str | None) -> tuple[str, str, bool] | None:
    """(the folder or file listed, the path after the key field, keys inside a file?)."""
    if not pattern.is_local:
        return None
    path = pattern.path if proposal is None else pattern.path.replace("{proposal}", proposal)
    field = "{proposal}" if proposal is None else "{scan}"
    if field not in path:  # the keys are inside one file: its identity says it
        return None if "{" in path or _GLOB & set(path) else (path, "", True)
    folder = _folder_of(path, field.strip("{}"))
    return None if folder is None else (folder, path.split(field, 1)[1], False)


def listing_start(pattern: KeyPattern, *, proposal: str | None) -> ListingToken | None:
    """The identity of the listed folder (or file), taken *before* listing: a key that appears
    while the listing runs then still changes the token."""
    where = _where(pattern, proposal)
    return None if where is None else ((where[0], identity_now(where[0])),)


def listing_token(
    pattern: KeyPattern, *, proposal: str | None, keys: list[str], start: ListingToken | None
) -> ListingToken | None:
    """The token of the listing of ``proposal``'s scans (``None``: of the proposals) that gave
    ``keys``; ``None`` where it cannot be told cheaply (a remote store, a wildcard)."""
    where = _where(pattern, proposal)
    if where is None or start is None:
        return None
    folder, tail, _ = where
    token = list(start)
    if "/" in tail:  # keys are folders holding something: the ones without it are pending
        listed = set(keys)
        try:
            with os.scandir(folder) as entries:
                pending = sorted(e.path for e in entries if e.is_dir() and e.name not in listed)
        except OSError:
            pending = []
        token.extend((p, identity_now(p)) for p in pending)
    return tuple(token)


def token_changed(token: ListingToken) -> bool:
    """Whether any path of ``token`` changed since it was taken."""
    return any(identity_now(path) != identity for path, identity in token)
