"""Spice store backends by URL scheme, registered by dotted path (as fsspec registers its file
systems): ``sqlite`` (and plain paths, and ``None`` for memory) is
:class:`~.store.SqliteSpiceStore`, ``postgresql`` :class:`~.postgres.PostgresSpiceStore`, siblings
that keep the :class:`~.backend.SpiceBackend` contract; :func:`register_backend` adds another
without importing it until a store of its scheme is opened."""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from .errors import SpiceStoreError

if TYPE_CHECKING:
    from .backend import SpiceBackend

__all__ = ["BACKENDS", "open_store", "register_backend"]

BACKENDS: dict[str, str] = {
    "sqlite": "nx5d_core.spice.store:SqliteSpiceStore",
    "postgresql": "nx5d_core.spice.postgres:PostgresSpiceStore",
    "postgres": "nx5d_core.spice.postgres:PostgresSpiceStore",
}
"""URL scheme -> ``"module:Class"`` of the store that opens it (the class takes the URL)."""


def register_backend(scheme: str, target: str, *, overwrite: bool = False) -> None:
    """Open ``scheme://...`` stores with the class at ``target`` (``"package.module:Class"``)."""
    if ":" not in target:
        msg = f"register_backend({scheme!r}, {target!r}): the target is 'package.module:Class'"
        raise SpiceStoreError(msg)
    if scheme in BACKENDS and BACKENDS[scheme] != target and not overwrite:
        msg = f"spice backend {scheme!r} is already {BACKENDS[scheme]}; pass overwrite=True to replace it"  # fmt: skip
        raise SpiceStoreError(msg)
    BACKENDS[scheme] = target


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def open_store(spec: SpiceBackend | str | os.PathLike[str] | None) -> SpiceBackend:
    """A store from a store (anything that keeps the :class:`~.backend.SpiceBackend` contract),
    a path, a ``scheme://`` URL of a registered backend, or ``None`` (in memory)."""
    from .backend import SpiceBackend
    from .store import SqliteSpiceStore

    if isinstance(spec, SpiceBackend):
        return spec
    if isinstance(spec, str) and "://" in spec:
        scheme = spec.split("://", 1)[0]
        if scheme not in BACKENDS:
            msg = f"no spice backend for {scheme}:// (known: {', '.join(sorted(BACKENDS))}); register one with nx5d_core.spice.backends.register_backend"  # fmt: skip
            raise SpiceStoreError(msg)
        if scheme != "sqlite":
            store = _load(BACKENDS[scheme])(spec)
            if not isinstance(store, SpiceBackend):
                msg = f"spice backend {BACKENDS[scheme]} for {scheme}:// does not keep the SpiceBackend contract (nx5d_core.spice.backend)"  # fmt: skip
                raise SpiceStoreError(msg)
            return store
    if spec is not None and not isinstance(spec, str | os.PathLike):
        msg = f"spice= takes a store, a path or a URL, not {type(spec).__name__}"
        raise SpiceStoreError(msg)
    return SqliteSpiceStore(spec)
