"""Searching runs on the tiled server: the nx5d queries whose answer tiled gives exactly (plan
name, scan id, uid, start time) become tiled queries on the start document. ``FullText`` goes
to the server too where its catalog is SQLite (FTS5: every word as a prefix, over all the run's
metadata, a superset of ours), and the server's runs are then checked against the summaries,
so the answer is ours exactly. Any other query is answered in Python from the summaries, as for
every adapter, so every way gives the same scans.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from nx5d_core import queries as q
from nx5d_core.queries import as_test
from nx5d_core.search import ProposalView, ScanSelection

from .runs import number

if TYPE_CHECKING:
    from .adapter import BlueskyProposal, BlueskyRepository

__all__ = ["BlueskyView", "repository_search", "to_tiled"]

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


def fts5(text: str) -> str:
    """SQLite FTS5 text finding every run with a word starting with each word of ``text``."""
    words = q._WORD.findall(text)
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def to_tiled(query: Any) -> list[Any]:
    """The tiled queries (all must hold) that answer ``query``; a ``FullText`` among them
    finds more runs than ours and needs the check against the summaries.

    Raises
    ------
    TypeError
        ``query`` (or a part of it) is not answered by tiled: search in Python.
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
    if isinstance(query, q.FullText):
        return [tq.FullText(fts5(query.text))]
    msg = f"{type(query).__name__} is answered from the summaries"
    raise TypeError(msg)


def server_part(repository: BlueskyRepository, tiled: list[Any]) -> tuple[list[Any], bool]:
    """The queries to send (``FullText`` left out where the server's catalog is not SQLite),
    and whether the server's answer is exact (else it is checked against the summaries)."""
    from tiled.queries import FullText

    texts = [t for t in tiled if isinstance(t, FullText)]
    if not texts:
        return tiled, True
    sent = tiled if repository.full_text_on_server() else [t for t in tiled if t not in texts]
    return sent, False


class BlueskyView(ProposalView):
    """The runs of a proposal that match a query tiled answered; keys are the proposal's own
    (``2.2`` stays ``2.2`` though the first scan 2 does not match)."""

    _parent: BlueskyProposal

    def __init__(self, *, parent: BlueskyProposal, query: q.Query, tiled: list[Any]) -> None:
        super().__init__(parent=parent, query=query, label=repr(query))
        self._tiled = tiled

    def _list_scans(self) -> list[str]:
        parent = self._parent
        sent, exact = server_part(parent.repository, self._tiled)
        found = set(parent.repository.search_runs(parent.key, extra=sent))
        keys = [k for k in parent if parent.uid_of(k) in found]
        if exact:
            return keys
        return [k for k in keys if self._test(k, parent._child(k).summary)]


def repository_search(repository: BlueskyRepository, query: Any) -> ScanSelection | None:
    """The runs of every proposal matching ``query`` found by one search on the server, or
    ``None`` where tiled does not answer ``query``."""
    try:
        tiled = to_tiled(query)
    except TypeError:
        return None
    sent, exact = server_part(repository, tiled)
    hits: dict[str, list[str]] = {}
    for uid, meta in repository.search_runs(None, extra=sent).items():
        hits.setdefault(repository.proposal_of(meta.get("start", {})), []).append(uid)
    test = None if exact else as_test(query)
    matches: list[tuple[Any, str, float | None]] = []
    for key in repository:  # repository order; an odd (invalid) proposal is left out
        proposal = cast("BlueskyProposal", repository._child(key))
        uids = hits.get(key, [])
        if not set(uids) <= set(proposal.uids()):  # runs newer than its listing
            proposal.relist()
        for uid in uids:
            scan = proposal.key_of(uid)
            if test is None or test(scan, proposal._child(scan).summary):
                when = proposal.listed_metadata(scan).get("start", {}).get("time")
                matches.append((proposal, scan, number(when)))
    return ScanSelection(matches, label=repr(query))
