"""Search results: a proposal's matching scans as a Proposal view, and the matching scans of a
whole repository in time order. Queries come from :mod:`nx5d_core.queries` (or a predicate over
the summary); a scan whose summary fails never matches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from .proposal import Proposal
from .queries import as_test

if TYPE_CHECKING:
    import pandas as pd

    from .queries import Query
    from .repository import Repository
    from .scan import Scan
    from .spice.proposal_spice import ProposalSpice
    from .summary import ScanSummary

__all__ = ["ProposalView", "ScanSelection", "as_test"]

Match = tuple["Proposal", str, float | None]
"""A matching scan: its proposal, key and start time (seconds since the epoch, or ``None``)."""


class ProposalView(Proposal):
    """The scans of a proposal that match a query; a Proposal itself (``keys()``, ``[key]``,
    ``[-1]``, ``search()`` again, ``table()``, HTML). Scan objects are the proposal's own."""

    listing_in_index = False  # the keys depend on the query, not only on the folder

    def __init__(
        self,
        *,
        parent: Proposal,
        query: Query | Callable[[ScanSummary], bool],
        label: str,
    ) -> None:
        super().__init__(repository=parent.repository, key=parent.key)
        self._parent, self._query, self.label = parent, query, label
        self._test = as_test(query)

    def _list_scans(self) -> list[str]:
        from .queries import Query

        if isinstance(self._query, Query):
            from .index.lookup import indexed_matches

            found = indexed_matches(self.repository, self._query, [self._parent])
            if found is not None:
                return [key for _, key, _ in found]
        return [
            e.key
            for e in self._parent.summaries()
            if e.summary is not None and self._test(e.key, e.summary)
        ]

    def _scan(self, key: str) -> Scan:
        return self._parent[key]

    def scan_order(self, key: str) -> Any:
        """The proposal's own scan order."""
        return self._parent.scan_order(key)

    @property
    def spice(self) -> ProposalSpice:
        """The proposal's spice (anchors resolve in the whole proposal's order)."""
        return self._parent.spice

    def _where(self) -> str:
        return f"{self._parent._where()} where {self.label}"

    def __repr__(self) -> str:
        return f"<Proposal {self.key!r} of {self.repository.url!r} where {self.label}>"


class ScanSelection(Sequence["Scan"]):
    """Matching scans across a repository's proposals, oldest first (scans without a time
    last, in repository order): ``[-1]`` is the newest; ``keys()`` are ``proposal/scan``;
    ``search()`` narrows."""

    def __init__(self, matches: list[Match], *, label: str) -> None:
        position = {p.key: n for n, p in enumerate(dict.fromkeys(m[0] for m in matches))}

        def order(match: Match) -> tuple[Any, ...]:
            proposal, key, when = match
            place = (position[proposal.key], proposal._order(key))
            return (0, when, *place) if when is not None else (1, 0.0, *place)

        self._matches = sorted(matches, key=order)
        self.label = label

    @property
    def _scans(self) -> list[Scan]:
        return [p._child(k) for p, k, _ in self._matches]

    @classmethod
    def of(
        cls, repository: Repository, query: Query | Callable[[ScanSummary], bool], *, label: str
    ) -> ScanSelection:
        """The scans of every proposal of ``repository`` matching ``query`` (through the summary
        index where there is one)."""
        from .queries import Query

        proposals = repository.values()
        if isinstance(query, Query) and proposals:
            from .index.lookup import indexed_matches

            found = indexed_matches(repository, query, proposals)
            if found is not None:
                return cls(found, label=label)
        test = as_test(query)
        matches: list[Match] = []
        for proposal in proposals:
            for entry in proposal.summaries():
                if entry.summary is not None and test(entry.key, entry.summary):
                    when = entry.summary.time
                    matches.append(
                        (proposal, entry.key, None if when is None else when.timestamp())
                    )
        return cls(matches, label=label)

    def __len__(self) -> int:
        return len(self._matches)

    @overload
    def __getitem__(self, index: int) -> Scan: ...
    @overload
    def __getitem__(self, index: slice) -> list[Scan]: ...
    def __getitem__(self, index: int | slice) -> Scan | list[Scan]:
        if isinstance(index, slice):
            return [p._child(k) for p, k, _ in self._matches[index]]
        if not -len(self._matches) <= index < len(self._matches):
            msg = f"index {index} out of range: {len(self._matches)} scans match {self.label}"
            raise IndexError(msg)
        proposal, key, _ = self._matches[index]
        return proposal._child(key)

    def __iter__(self) -> Iterator[Scan]:
        return (p._child(k) for p, k, _ in self._matches)

    def keys(self) -> list[str]:
        """``proposal/scan`` of each matching scan, oldest first."""
        return [f"{p.key}/{k}" for p, k, _ in self._matches]

    def search(self, query: Query | Callable[[ScanSummary], bool]) -> ScanSelection:
        """The scans of this selection that also match ``query``."""
        test = as_test(query)
        kept = [m for m in self._matches if test(m[1], m[0]._child(m[1]).summary)]
        return ScanSelection(kept, label=f"{self.label} and {query!r}")

    def table(self) -> pd.DataFrame:
        """One row per scan: proposal, key and the summary fields."""
        import pandas as pd

        rows = [{"proposal": s.proposal.key, **s.summary.model_dump()} for s in self._scans]
        return pd.DataFrame(rows)

    def cook_many(
        self,
        *,
        client: Any = None,
        lazy: bool = False,
        recipe: str | None = None,
        progress: bool | None = None,
        workers: int | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """Cook every scan of the selection, one task each (keys ``proposal/scan``); see
        :mod:`nx5d_core.many`."""
        from .many import cook_many

        return cook_many(
            list(self),
            client=client,
            lazy=lazy,
            recipe=recipe,
            progress=progress,
            workers=workers,
        )

    def _repr_html_(self) -> str:
        from .html import selection_html

        return selection_html(self)

    def __repr__(self) -> str:
        return f"<ScanSelection: {len(self)} scans where {self.label}>"
