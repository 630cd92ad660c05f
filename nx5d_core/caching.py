"""Declared caches and bounded memory.

Classes declare their cached attributes once (``_caches``: name -> what "empty" is), and
``refresh()`` and pickling are driven from that one declaration. Raw datasets are kept in a
process-wide least-recently-used set of a documented size, so that looping over a proposal's
scans does not keep every scan's data in memory.

``NX5D_RAW_CACHE`` (environment) or :func:`configure` sets how many raw datasets stay cached
(default 1; 0 turns raw caching off).
"""

from __future__ import annotations

import os
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, ClassVar

__all__ = ["DROP", "Caches", "RawCache", "configure", "raw_cache"]


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()
"""Marks a cache that is removed from the instance dict (e.g. a ``functools.cached_property``)."""


class Caches:
    """Mixin: the attributes in ``_caches`` are emptied by :meth:`_reset_caches` and are left
    out of pickles. Subclasses add their own; the declarations of all bases are merged."""

    _caches: ClassVar[dict[str, Callable[[], Any] | _Drop]] = {}

    @classmethod
    def _declared_caches(cls) -> dict[str, Callable[[], Any] | _Drop]:
        merged: dict[str, Callable[[], Any] | _Drop] = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("_caches", {}))
        return merged

    def _reset_caches(self) -> None:
        for name, empty in self._declared_caches().items():
            if isinstance(empty, _Drop):
                self.__dict__.pop(name, None)
            else:
                setattr(self, name, empty())

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name, empty in self._declared_caches().items():
            if isinstance(empty, _Drop):
                state.pop(name, None)
            else:
                state[name] = empty()
        return state


class RawCache:
    """The scans whose raw data stays cached: at most ``entries``, least recently used dropped."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._order: OrderedDict[int, weakref.ref[Any]] = OrderedDict()

    def remember(self, scan: Any) -> bool:
        """Note that ``scan`` holds raw data; drop the oldest beyond the limit. ``False``: do not cache."""
        if self.entries <= 0:
            return False
        key = id(scan)
        self._order.pop(key, None)
        self._order[key] = weakref.ref(scan)
        while len(self._order) > self.entries:
            _, ref = self._order.popitem(last=False)
            old = ref()
            if old is not None:
                old._raw = None
        return True

    def forget(self, scan: Any) -> None:
        """``scan`` no longer holds raw data."""
        self._order.pop(id(scan), None)


raw_cache = RawCache(int(os.environ.get("NX5D_RAW_CACHE", "1")))


def configure(*, raw_entries: int) -> None:
    """How many scans keep their raw data cached (0: none; each access reads again)."""
    raw_cache.entries = raw_entries
    while len(raw_cache._order) > max(raw_entries, 0):
        _, ref = raw_cache._order.popitem(last=False)
        old = ref()
        if old is not None:
            old._raw = None
