"""Searching runs on the tiled server: the nx5d queries whose answer tiled gives exactly (plan
name, scan id, uid, start time) become tiled queries on the start document; any other query is
answered in Python from the summaries, as for every adapter, so both ways give the same scans.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from nx5d_core import queries as q
from nx5d_core.search import ProposalView

if TYPE_CHECKING:
    from .adapter import BlueskyProposal

__all__ = ["BlueskyView", "to_tiled"]

_FIELDS: dict[str, tuple[str, type]] = {
    "type": ("start.plan_name", str),
    "plan_name": ("start.plan_name", str),
    "scan_id": ("start.scan_id", int),
    "uid": ("start.uid", str),
}
"""Summary field -> (start-document path, the value type for which tiled compares as we do)."""


def _field(key: str, values: list[Any]) -> str:
    path, kind = _FIELDS.get(key, ("", object))
    if not path or not all(type(v) is kind for v in values):  # bool is no int here, as for us
        msg = f"{key!r} with {values!r} is answered from the summaries"
        raise TypeError(msg)
    return path


def _instant(when: datetime | None) -> float | None:
    if when is None:
        return None
    if when.tzinfo is None:
        msg = "a time without a zone is answered from the summaries"
        raise TypeError(msg)
    return when.timestamp()


def to_tiled(query: Any) -> list[Any]:
    """The tiled queries (all must hold) that answer ``query`` exactly.

    Raises
    ------
    TypeError
        ``query`` (or a part of it) is not answered exactly by tiled: search in Python.
    """
    from tiled import queries as tq

    if isinstance(query, q.And):
        return [part for sub in query.parts for part in to_tiled(sub)]
    if isinstance(query, q.Comparison) and query.op != "ne":  # a run without the field: no match
        path = _field(query.key, [query.value])
        return [tq.Eq(path, query.value) if query.op == "eq" else tq.Comparison(query.op, path, query.value)]  # fmt: skip
    if isinstance(query, q.In):
        return [tq.In(_field(query.key, list(query.values)), list(query.values))]
    if isinstance(query, q.TimeRange):
        since, until = _instant(query.since), _instant(query.until)
        out = [] if since is None else [tq.Comparison("ge", "start.time", since)]
        return out + ([] if until is None else [tq.Comparison("lt", "start.time", until)])
    msg = f"{type(query).__name__} is answered from the summaries"
    raise TypeError(msg)


class BlueskyView(ProposalView):
    """The runs of a proposal that match a query tiled answered; keys are the proposal's own
    (``2.2`` stays ``2.2`` though the first scan 2 does not match)."""

    _parent: BlueskyProposal

    def __init__(self, *, parent: BlueskyProposal, query: q.Query, tiled: list[Any]) -> None:
        super().__init__(parent=parent, query=query, label=repr(query))
        self._tiled = tiled

    def _list_scans(self) -> list[str]:
        parent = self._parent
        found = set(parent.repository.search_runs(parent.key, extra=self._tiled))
        return [k for k in parent if parent.uid_of(k) in found]
