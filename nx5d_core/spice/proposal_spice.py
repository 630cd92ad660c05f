"""Spice operations for one proposal: seed, update, anchor, view, history, diff, revert, delete."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import KeyNotFoundError
from .backend import SpiceBackend
from .errors import InvalidAnchorError, UnknownSpiceHandleError
from .layers import layered
from .records import START, SpiceRecord
from .resolve import Resolver
from .types import SpiceTypeRegistry
from .view import SpiceView

if TYPE_CHECKING:
    from ..proposal import Proposal

__all__ = ["ProposalSpice"]


class ProposalSpice:
    """The spice records of one proposal, ordered by the proposal's scan order.

    Targets: ``anchor=`` names a chain directly (``""`` is the proposal start); ``scan=`` names
    the chain that governs that scan; with neither, the chain that governs the newest scan.
    """

    def __init__(
        self, *, store: SpiceBackend, proposal: Proposal, types: SpiceTypeRegistry | None = None
    ) -> None:
        self.store = store
        self.proposal = proposal
        if types is None:
            from .types import load_spice_types

            types = load_spice_types()
        self.types = types

    def __repr__(self) -> str:
        return f"<ProposalSpice {self.proposal.key!r} in {self.store.display!r}>"

    def _repr_html_(self) -> str:
        from ..html import proposal_spice_html

        return proposal_spice_html(self, self.store.heads(proposal=self.proposal.key))

    # -- helpers -----------------------------------------------------------------------
    def _resolver(self) -> Resolver:
        return Resolver(
            self.store.heads(proposal=self.proposal.key), order=self.proposal.scan_order
        )

    def _check_scan(self, key: str, *, what: str) -> str:
        if key not in self.proposal:
            raise InvalidAnchorError(
                key, kind=what, where=self.proposal._where(), candidates=self.proposal.keys()
            )
        return key

    def _unknown(self, handle: str) -> UnknownSpiceHandleError:
        return UnknownSpiceHandleError(
            handle,
            kind="spice handle",
            where=f"spice of proposal {self.proposal.key!r} ({self.store.display})",
            candidates=self.handles(),
        )

    def _target(self, handle: str, *, scan: str | None, anchor: str | None) -> SpiceRecord:
        """The head record of the chain an operation addresses."""
        if anchor is not None:
            if anchor != START:
                self._check_scan(anchor, what="anchor")
            heads = [
                r
                for r in self.store.heads(proposal=self.proposal.key)
                if r.handle == handle and r.anchor == anchor
            ]
            if not heads:
                if handle not in self.handles():
                    raise self._unknown(handle)
                anchors = sorted(
                    {
                        r.anchor or "(start)"
                        for r in self.store.records(proposal=self.proposal.key, handle=handle)
                    }
                )
                msg = f"spice {handle!r} has no chain at anchor {anchor or '(start)'!r}; its anchors: {', '.join(anchors)}"
                raise InvalidAnchorError(anchor, kind="anchor", where=msg, candidates=anchors)
            return heads[0]
        if scan is None:
            keys = self.proposal.keys()
            scan = keys[-1] if keys else None
        else:
            self._check_scan(scan, what="scan")
        resolver = self._resolver()
        record = resolver.governing(handle, scan) if scan is not None else None
        if record is None and scan is None:
            record = next(
                (
                    r
                    for r in self.store.heads(proposal=self.proposal.key)
                    if r.handle == handle and r.anchor == START
                ),
                None,
            )
        if record is None:
            raise self._unknown(handle)
        return record

    def _serialise(
        self, type_name: str, data: Mapping[str, Any] | BaseModel, *, handle: str
    ) -> dict[str, Any]:
        return self.types.serialise(type_name, data, handle=handle)

    # -- reading -----------------------------------------------------------------------
    def handles(self) -> list[str]:
        """Handles that have at least one record."""
        return sorted({r.handle for r in self.store.heads(proposal=self.proposal.key)})

    def view(self, scan: str) -> SpiceView:
        """The parameters that apply to ``scan``."""
        self._check_scan(scan, what="scan")
        return self._view(self._resolver(), scan)

    def views(self, scans: Iterable[str] | None = None) -> dict[str, SpiceView]:
        """Views of many scans at once (one database read); all scans by default."""
        keys = self.proposal.keys() if scans is None else list(scans)
        resolved = self._resolver().resolve_all(keys, in_order=scans is None)
        values: dict[str, BaseModel | dict[str, Any]] = {}  # validated once per record (uuid)
        views = {}
        for scan, records in zip(keys, resolved, strict=True):
            for h, r in records.items():
                if r.uuid not in values:
                    values[r.uuid] = self.types.validate(r.type, r.data, handle=h)
            view_values = {h: values[r.uuid] for h, r in records.items()}
            views[scan] = SpiceView(
                scan=scan, values=view_values, records=records, types=self.types
            )
        return views

    def _view(self, resolver: Resolver, scan: str) -> SpiceView:
        records = resolver.resolve(scan)
        values = {h: self.types.validate(r.type, r.data, handle=h) for h, r in records.items()}
        return SpiceView(scan=scan, values=values, records=records, types=self.types)

    def history(self, handle: str, *, anchor: str | None = None) -> SpiceHistory:
        """Every revision of ``handle`` (one chain if ``anchor`` is given), in scan order then revision."""
        records = self.store.records(proposal=self.proposal.key, handle=handle, anchor=anchor)
        if not records:
            raise self._unknown(handle)
        start = (0, self.proposal.scan_order(""))
        return SpiceHistory(
            sorted(
                records,
                key=lambda r: (
                    (1, self.proposal.scan_order(r.anchor)) if r.anchor else start,
                    r.revision,
                ),
            )
        )

    def diff(
        self, handle: str, old: int, new: int, *, anchor: str | None = None, scan: str | None = None
    ) -> dict[str, tuple[Any, Any]]:
        """Fields that differ between two revisions of one chain: ``field -> (old, new)``."""
        chain = self._target(handle, scan=scan, anchor=anchor)
        by_rev = {
            r.revision: r
            for r in self.store.records(
                proposal=self.proposal.key, handle=handle, anchor=chain.anchor
            )
        }
        for rev in (old, new):
            if rev not in by_rev:
                raise KeyNotFoundError(
                    str(rev),
                    kind="revision",
                    where=f"spice {handle!r} at anchor {chain.anchor or '(start)'!r}",
                    candidates=[str(r) for r in sorted(by_rev)],
                )
        a, b = by_rev[old].data, by_rev[new].data
        return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}

    # -- writing -----------------------------------------------------------------------
    def seed(
        self,
        handle: str,
        data: Mapping[str, Any] | BaseModel,
        *,
        type: str,
        author: str | None = None,
    ) -> SpiceRecord:
        """Create ``handle`` at the proposal start (revision 0). Fails if it is already seeded."""
        clean = self._serialise(type, data, handle=handle)
        return self.store.write(
            proposal=self.proposal.key,
            handle=handle,
            type=type,
            anchor=START,
            data=clean,
            base=None,
            author=author,
        )

    def update(
        self,
        handle: str,
        changes: Mapping[str, Any] | BaseModel,
        *,
        scan: str | None = None,
        anchor: str | None = None,
        base: int | None = None,
        replace: bool = False,
        author: str | None = None,
    ) -> SpiceRecord:
        """Write a new revision of the chain that governs ``scan`` (or of ``anchor``).

        ``changes`` are merged into the current data unless ``replace``. ``base`` is the revision
        the caller started from; if another writer got there first, :class:`SpiceConflictError`.
        """
        head = self._target(handle, scan=scan, anchor=anchor)
        if base is None:
            base = head.revision
        new = changes if replace or head.deleted else layered(head.data, _plain(changes), none_falls_through=False)  # fmt: skip
        clean = self._serialise(head.type, new, handle=handle)
        return self.store.write(
            proposal=self.proposal.key,
            handle=handle,
            type=head.type,
            anchor=head.anchor,
            data=clean,
            base=base,
            author=author,
        )

    def anchor(
        self,
        handle: str,
        scan: str,
        changes: Mapping[str, Any] | BaseModel | None = None,
        *,
        type: str | None = None,
        author: str | None = None,
    ) -> SpiceRecord:
        """Start a new chain of ``handle`` at ``scan``: it governs ``scan`` and later scans up to the next anchor.

        The data starts from what governed ``scan`` before, merged with ``changes``.
        """
        self._check_scan(scan, what="anchor")
        previous = self._resolver().governing(handle, scan)
        if previous is None and type is None:
            raise self._unknown(handle)
        type_name = type or (previous.type if previous else "")
        start = {} if previous is None or previous.deleted else dict(previous.data)
        merged = layered(start, _plain(changes or {}), none_falls_through=False)
        clean = self._serialise(type_name, merged, handle=handle)
        return self.store.write(
            proposal=self.proposal.key,
            handle=handle,
            type=type_name,
            anchor=scan,
            data=clean,
            base=None,
            author=author,
        )

    def revert(
        self,
        handle: str,
        revision: int,
        *,
        anchor: str | None = None,
        scan: str | None = None,
        author: str | None = None,
    ) -> SpiceRecord:
        """A new revision whose data is that of ``revision`` (history keeps everything)."""
        head = self._target(handle, scan=scan, anchor=anchor)
        old = next(
            (
                r
                for r in self.store.records(
                    proposal=self.proposal.key, handle=handle, anchor=head.anchor
                )
                if r.revision == revision
            ),
            None,
        )
        if old is None:
            raise KeyNotFoundError(
                str(revision),
                kind="revision",
                where=f"spice {handle!r} at anchor {head.anchor or '(start)'!r} (newest: r{head.revision})",
                candidates=[str(r) for r in range(head.revision + 1)],
            )
        return self.store.write(
            proposal=self.proposal.key,
            handle=handle,
            type=old.type,
            anchor=head.anchor,
            data=old.data,
            base=head.revision,
            author=author,
        )

    def delete(
        self,
        handle: str,
        *,
        anchor: str | None = None,
        scan: str | None = None,
        author: str | None = None,
    ) -> SpiceRecord:
        """A tombstone revision: the chain stops applying; nothing is destroyed."""
        head = self._target(handle, scan=scan, anchor=anchor)
        return self.store.write(
            proposal=self.proposal.key,
            handle=handle,
            type=head.type,
            anchor=head.anchor,
            data={},
            base=head.revision,
            author=author,
            deleted=True,
        )

    # -- import / export ---------------------------------------------------------------
    def export(self, path: str | os.PathLike[str]) -> Path:
        """Write every record of this proposal as JSON lines (atomically: temp file + rename)."""
        from .transfer import write_jsonl

        return write_jsonl(self.store.records(proposal=self.proposal.key), Path(path))

    def import_(self, path: str | os.PathLike[str]) -> int:
        """Insert records from :meth:`export` output; all or nothing; returns how many were new."""
        from .transfer import read_jsonl

        return self._insert(read_jsonl(Path(path), proposal=self.proposal.key))

    def export_nx5d(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write nx5d's JSON record folder (one ``<uuid>.json`` per record, version ``kmc3/1a``)."""
        from .transfer import write_nx5d

        return write_nx5d(self.store.records(proposal=self.proposal.key), Path(folder))

    def import_nx5d(self, folder: str | os.PathLike[str], *, author: str = "nx5d-import") -> int:
        """Read nx5d's JSON record folder into this proposal; all or nothing."""
        from .transfer import read_nx5d

        return self._insert(read_nx5d(Path(folder), proposal=self.proposal.key, author=author))

    def _insert(self, records: list[SpiceRecord]) -> int:
        for record in records:
            if record.anchor != START:
                self._check_scan(record.anchor, what="anchor")
            if not record.deleted:
                self.types.serialise(record.type, record.data, handle=record.handle)
        return self.store.insert(records)


class SpiceHistory(list[SpiceRecord]):
    """Revisions of a handle, oldest first: a list, shown as a table in Jupyter and as lines in text."""

    def __repr__(self) -> str:
        lines = [f"<SpiceHistory: {len(self)} revision(s)>"]
        for r in self:
            flag = " deleted" if r.deleted else ""
            data = json.dumps(r.data, sort_keys=True)
            lines.append(
                f"  {r.handle} @{r.anchor or '(start)'} r{r.revision} "
                f"{r.timestamp:%Y-%m-%d %H:%M:%S} {r.author}{flag}: {data}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ..html import history_html

        return history_html(self)


def _plain(data: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    """The fields a change sets: of a model, the ones its caller gave."""
    return data.model_dump(mode="json", exclude_unset=True) if isinstance(data, BaseModel) else dict(data)  # fmt: skip
