"""Resolution: for each handle, the newest revision at the nearest anchor at or before a scan."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Any

from .records import START, SpiceRecord

__all__ = ["Resolver"]


class Resolver:
    """Pre-sorted anchors of one proposal's head records, queried per scan in O(handles log anchors).

    Anchors are compared with the proposal's scan order (``order``), never as plain strings.
    """

    def __init__(self, heads: Iterable[SpiceRecord], *, order: Callable[[str], Any]) -> None:
        self._start: dict[str, SpiceRecord] = {}
        chains: dict[str, list[tuple[Any, SpiceRecord]]] = {}
        for record in heads:
            if record.anchor == START:
                self._start[record.handle] = record
            else:
                chains.setdefault(record.handle, []).append((order(record.anchor), record))
        self._keys: dict[str, list[Any]] = {}
        self._records: dict[str, list[SpiceRecord]] = {}
        for handle, chain in chains.items():
            chain.sort(key=lambda item: item[0])
            self._keys[handle] = [k for k, _ in chain]
            self._records[handle] = [r for _, r in chain]
        self.handles = sorted(set(self._start) | set(chains))
        self._order = order

    def governing(self, handle: str, scan: str) -> SpiceRecord | None:
        """The head record that governs ``scan`` for ``handle`` (tombstones included), or None."""
        keys = self._keys.get(handle)
        if keys:
            i = bisect.bisect_right(keys, self._order(scan)) - 1
            if i >= 0:
                return self._records[handle][i]
        return self._start.get(handle)

    def resolve_all(
        self, scans: list[str], *, in_order: bool = False
    ) -> list[dict[str, SpiceRecord]]:
        """:meth:`resolve` for many scans in one sweep.

        ``in_order=True`` promises that ``scans`` are already in scan order (as ``proposal.keys()``
        are), which saves computing their sort keys.
        """
        if in_order:
            ordered = list(range(len(scans)))
            rank = {key: i for i, key in enumerate(scans)}
            positions: list[Any] | None = None
        else:
            orders = [self._order(s) for s in scans]
            ordered = sorted(range(len(scans)), key=orders.__getitem__)
            rank = {}
            positions = [orders[i] for i in ordered]

        def first_governed(anchor: str, key: Any) -> int:
            nonlocal positions
            if anchor in rank:
                return rank[anchor]
            if positions is None:
                positions = [self._order(s) for s in scans]
            return bisect.bisect_left(positions, key)

        out: list[dict[str, SpiceRecord]] = [{} for _ in scans]
        for handle in self.handles:
            chain = [(0, self._start[handle])] if handle in self._start else []
            for key, record in zip(
                self._keys.get(handle, []), self._records.get(handle, []), strict=True
            ):
                chain.append((first_governed(record.anchor, key), record))
            chain.sort(key=lambda item: item[0])
            for n, (first, record) in enumerate(chain):
                if record.deleted:
                    continue
                last = chain[n + 1][0] if n + 1 < len(chain) else len(ordered)
                for i in ordered[first:last]:
                    out[i][handle] = record
        return out

    def resolve(self, scan: str) -> dict[str, SpiceRecord]:
        """Handle -> governing record for ``scan``; deleted (tombstoned) handles are left out."""
        out = {}
        position = self._order(scan)
        for handle in self.handles:
            record: SpiceRecord | None = None
            keys = self._keys.get(handle)
            if keys:
                i = bisect.bisect_right(keys, position) - 1
                if i >= 0:
                    record = self._records[handle][i]
            if record is None:
                record = self._start.get(handle)
            if record is not None and not record.deleted:
                out[handle] = record
        return out
