"""Search results: a proposal's matching scans as a Proposal view, and the matching scans of a
whole repository in time order. Queries come from :mod:`nx5d_core.queries` (or a predicate over
the summary); a scan whose summary fails never matches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, overload

from .proposal import Proposal

if TYPE_CHECKING:
    import pandas as pd

    from .queries import Query
    from .repository import Repository
    from .scan import Scan
    from .spice.proposal_spice import ProposalSpice
    from .summary import ScanSummary

__all__ = ["ProposalView", "ScanSelection", "as_test"]

Test = Callable[[str, "ScanSummary"], bool]


def as_test(query: Query | Callable[[ScanSummary], bool]) -> Test:
    """A ``(key, summary) -> bool`` test from a query object or a predicate over the summary."""
    from .queries import Query

    if isinstance(query, Query):
        q = query
        return lambda key, summary: q.matches({**summary.model_dump(), "key": key})
    if callable(query):
        predicate = query
        return lambda key, summary: bool(predicate(summary))
    msg = f"search takes a query (nx5d_core.queries) or a predicate over the summary, got {query!r}"
    raise TypeError(msg)


class ProposalView(Proposal):
    """The scans of a proposal that match a query; a Proposal itself (``keys()``, ``[key]``,
    ``[-1]``, ``search()`` again, ``table()``, HTML). Scan objects are the proposal's own."""

    def __init__(self, *, parent: Proposal, test: Test, label: str) -> None:
        super().__init__(repository=parent.repository, key=parent.key)
        self._parent, self._test, self.label = parent, test, label

    def _list_scans(self) -> list[str]:
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


def _time_order(scan: Scan) -> tuple[int, float]:
    when = scan.summary.time
    return (0, when.timestamp()) if isinstance(when, datetime) else (1, 0.0)


class ScanSelection(Sequence["Scan"]):
    """Matching scans across a repository's proposals, oldest first (scans without a time
    last): ``[-1]`` is the newest; ``keys()`` are ``proposal/scan``; ``search()`` narrows."""

    def __init__(self, scans: list[Scan], *, label: str) -> None:
        self._scans = sorted(scans, key=_time_order)
        self.label = label

    @classmethod
    def of(cls, repository: Repository, test: Test, *, label: str) -> ScanSelection:
        """The scans of every proposal of ``repository`` whose summary passes ``test``."""
        scans = []
        for proposal in repository.values():
            for entry in proposal.summaries():
                if entry.summary is not None and test(entry.key, entry.summary):
                    scans.append(proposal[entry.key])
        return cls(scans, label=label)

    def __len__(self) -> int:
        return len(self._scans)

    @overload
    def __getitem__(self, index: int) -> Scan: ...
    @overload
    def __getitem__(self, index: slice) -> list[Scan]: ...
    def __getitem__(self, index: int | slice) -> Scan | list[Scan]:
        if isinstance(index, int) and not -len(self._scans) <= index < len(self._scans):
            msg = f"index {index} out of range: {len(self._scans)} scans match {self.label}"
            raise IndexError(msg)
        return self._scans[index]

    def __iter__(self) -> Iterator[Scan]:
        return iter(self._scans)

    def keys(self) -> list[str]:
        """``proposal/scan`` of each matching scan, oldest first."""
        return [f"{s.proposal.key}/{s.key}" for s in self._scans]

    def search(self, query: Query | Callable[[ScanSummary], bool]) -> ScanSelection:
        """The scans of this selection that also match ``query``."""
        test = as_test(query)
        kept = [s for s in self._scans if test(s.key, s.summary)]
        return ScanSelection(kept, label=f"{self.label} and {query!r}")

    def table(self) -> pd.DataFrame:
        """One row per scan: proposal, key and the summary fields."""
        import pandas as pd

        rows = [{"proposal": s.proposal.key, **s.summary.model_dump()} for s in self._scans]
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        from .html import selection_html

        return selection_html(self)

    def __repr__(self) -> str:
        return f"<ScanSelection: {len(self)} scans where {self.label}>"
