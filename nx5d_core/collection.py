"""Mapping-like behaviour shared by repositories (of proposals) and proposals (of scans)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, Generic, TypeVar, overload

from .caching import Caches, _Drop
from .errors import AdapterContractError, InvalidKeyError, KeyNotFoundError, closest
from .keys import make_handles, natural_key, validate_key

__all__ = ["KeyedCollection"]

ChildT = TypeVar("ChildT")
logger = logging.getLogger(__name__)


class KeyedCollection(Caches, Generic[ChildT]):
    """Keys in an explicit order, ``[key]``, ``[-1]``, slices, handles and caches.

    Subclasses map :meth:`_list_keys` and :meth:`_make_child` to the adapter hooks.
    """

    _kind: ClassVar[str] = "item"
    _handle_prefix: ClassVar[str] = "k"
    _caches: ClassVar[dict[str, Callable[[], Any] | _Drop]] = {
        "_keys": lambda: None,
        "_key_set": frozenset,
        "_handle_map": lambda: None,
        "_children": OrderedDict,
        "_listing": lambda: None,
        "_reuse_listing": lambda: False,
    }
    max_children: ClassVar[int] = 10_000
    """Child objects kept (least recently used dropped beyond this); a child asked for again
    is made again, cheaply (no I/O), with empty caches."""

    def __init__(self) -> None:
        self._keys: list[str] | None = None
        self._key_set: frozenset[str] = frozenset()
        self._handle_map: dict[str, str] | None = None
        self._children: OrderedDict[str, ChildT] = OrderedDict()
        self._listing: tuple[tuple[str, Any], ...] | None = None
        self._reuse_listing = True  # a stored listing may stand in for the first one

    # -- filled in by Repository / Proposal ------------------------------------------------
    def _list_keys(self) -> Iterable[str]:
        raise NotImplementedError

    def _make_child(self, key: str) -> ChildT:
        raise NotImplementedError

    def _order(self, key: str) -> Any:
        return natural_key(key)

    def _where(self) -> str:
        return type(self).__name__

    # -- listing -------------------------------------------------------------------------
    def _listing_pattern(self) -> tuple[Any, str | None] | None:
        """``(KeyPattern, proposal key or None)`` the keys are listed by, where a change of the
        listed folder or file can be told (:mod:`nx5d_core.listing`); ``None``: never re-listed
        without :meth:`relist`."""
        return None

    def _listing_moved(self) -> bool:
        """The adapter's own cheap check that its keys changed since they were listed, for
        sources without a listing token (a server's count of runs); default no. Asked at each
        ``keys()`` once there is a listing: keep it to one small request, or throttle it."""
        return False

    def _stored_listing(self) -> tuple[list[str], Any] | None:
        """Keys (in order) listed by an earlier process, with their still-valid listing token,
        or ``None`` (default): asked only for the first listing of a new object."""
        return None

    def _remember_listing(self, keys: list[str], token: Any) -> None:
        """Keep ``keys`` (in order) and their listing token for a later process (default: no)."""

    def keys(self) -> list[str]:
        """The keys in order: oldest first, so ``[-1]`` is the newest. Cached, and listed again
        when the folder (or file) they are listed from changed (a few ``stat`` calls)."""
        from .listing import listing_start, listing_token, token_changed

        if self._keys is not None and self._listing is not None and token_changed(self._listing):
            logger.debug("%s: the listing changed on disk: listed again", self._where())
            self.relist()
        elif self._keys is not None and self._listing_moved():
            logger.debug("%s: the source has new or fewer keys: listed again", self._where())
            self.relist()
        if self._keys is None and self._reuse_listing:
            self._reuse_listing = False
            stored = self._stored_listing()
            if stored is not None:
                self._keys, self._listing = stored
                self._key_set = frozenset(self._keys)
        if self._keys is None:
            where = self._listing_pattern()
            start = None if where is None else listing_start(where[0], proposal=where[1])
            listed = self._list_keys()
            if isinstance(listed, str | bytes) or not isinstance(listed, Iterable):
                msg = f"{self._where()}: the {self._kind} listing must be an iterable of keys, got {listed!r}"
                raise AdapterContractError(msg)
            keys: list[str] = []
            for key in listed:
                try:
                    keys.append(validate_key(key, kind=self._kind))
                except InvalidKeyError as exc:
                    exc.add_note(f"listed by the adapter in {self._where()}")
                    raise
            if len(set(keys)) != len(keys):
                dupes = sorted({k for k in keys if keys.count(k) > 1})
                msg = f"{self._where()}: the adapter listed {self._kind} keys twice: {dupes}"
                raise AdapterContractError(msg)
            self._keys = sorted(keys, key=self._order)
            self._key_set = frozenset(keys)
            if where is not None:
                self._listing = listing_token(where[0], proposal=where[1], keys=keys, start=start)
                if self._listing is not None:
                    self._remember_listing(self._keys, self._listing)
            logger.debug("%s: listed %d %ss", self._where(), len(keys), self._kind)
        return list(self._keys)

    def __len__(self) -> int:
        return len(self.keys())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        self.keys()
        return key in self._key_set

    def values(self) -> list[ChildT]:
        """Every child object, in order."""
        return [self._child(k) for k in self.keys()]

    def items(self) -> list[tuple[str, ChildT]]:
        """``(key, child)`` pairs, in order."""
        return [(k, self._child(k)) for k in self.keys()]

    # -- access ------------------------------------------------------------------------
    @overload
    def __getitem__(self, key: str | int) -> ChildT: ...
    @overload
    def __getitem__(self, key: slice) -> list[ChildT]: ...
    def __getitem__(self, key: str | int | slice) -> ChildT | list[ChildT]:
        if isinstance(key, slice):
            return [self._child(k) for k in self.keys()[key]]
        if isinstance(key, int) and not isinstance(key, bool):
            keys = self.keys()
            try:
                found = keys[key]
            except IndexError:
                hint = (
                    f"; did you mean the key '{key}'? keys are strings" if str(key) in keys else ""
                )
                msg = f"{self._kind} index {key} out of range: {self._where()} has {len(keys)} {self._kind}s{hint}"
                raise IndexError(msg) from None
            return self._child(found)
        if isinstance(key, str):
            validate_key(key, kind=self._kind)
            if key not in self:
                raise KeyNotFoundError(
                    key, kind=self._kind, where=self._where(), candidates=self.keys()
                )
            return self._child(key)
        msg = f"{self._kind}s are looked up by key (str), position (int) or slice, not {type(key).__name__}"
        raise TypeError(msg)

    def made(self, key: str) -> bool:
        """Whether the object of ``key`` exists now (made, and not dropped since)."""
        return key in self._children

    def _child(self, key: str) -> ChildT:
        child = self._children.get(key)
        if child is None:
            child = self._make_child(key)
            self._children[key] = child
            while len(self._children) > self.max_children:
                self._children.popitem(last=False)
        else:
            self._children.move_to_end(key)
        return child

    # -- handles -----------------------------------------------------------------------
    def handles(self) -> dict[str, str]:
        """Handle -> key: Python identifiers for attribute access and tab completion."""
        if self._handle_map is None:
            reserved = {n for n in dir(type(self)) if not n.startswith("_")}
            self._handle_map = make_handles(
                self.keys(), prefix=self._handle_prefix, reserved=reserved
            )
        return dict(self._handle_map)

    def handle_of(self, key: str) -> str:
        """The handle of ``key``."""
        for handle, k in self.handles().items():
            if k == key:
                return handle
        raise KeyNotFoundError(key, kind=self._kind, where=self._where(), candidates=self.keys())

    def __getattr__(self, name: str) -> ChildT:
        if name.startswith("_"):
            raise AttributeError(name)
        handles = self.handles()
        if name in handles:
            return self._child(handles[name])
        near = closest(name, handles)
        shown = near or sorted(handles)[:10]
        more = (
            "" if near or len(handles) <= 10 else f" (and {len(handles) - 10} more; see .handles())"
        )
        msg = (
            f"{type(self).__name__} has no attribute or {self._kind} handle {name!r} "
            f"in {self._where()}; {'closest' if near else 'handles'}: {', '.join(shown) or 'none'}{more}"
        )
        raise AttributeError(msg)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.handles()))

    # -- caches ------------------------------------------------------------------------
    def relist(self) -> None:
        """Forget the listing of keys and what is derived from it (handles): the next
        ``keys()`` lists again; children and their caches stay (a server re-lists often
        without dropping open scans)."""
        self._keys = None
        self._key_set = frozenset()
        self._handle_map = None
        self._listing = None
        self._reuse_listing = False

    def refresh(self) -> None:
        """Drop cached listings and child objects (and the caches declared in ``_caches``)."""
        self._reset_caches()
