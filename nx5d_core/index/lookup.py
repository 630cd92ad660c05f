"""Searching through the index: SQL for what it answers, Python for the residue and for the
scans the index cannot hold (no fingerprint, a summary that does not survive JSON)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .sql import translate
from .store import IndexUnavailableError
from .sync import _repo_id, index_of

if TYPE_CHECKING:
    from ..proposal import Proposal
    from ..queries import Query
    from ..repository import Repository

__all__ = ["Match", "indexed_matches"]
logger = logging.getLogger(__name__)

Match = tuple["Proposal", str, float | None]
"""A matching scan: its proposal, key and start time (seconds since the epoch, or ``None``)."""


def indexed_matches(
    repository: Repository, query: Query, proposals: list[Proposal]
) -> list[Match] | None:
    """The scans of ``proposals`` matching ``query``, found through the index (in no particular
    order); ``None`` when there is no usable index (the caller searches without it)."""
    from ..queries import as_test

    index = index_of(repository)
    if index is None or not all(p.synced() for p in proposals):
        return None
    translation = translate(query)
    residue = None if translation.residue is None else as_test(translation.residue)
    full = as_test(query)
    try:
        repo = _repo_id(index, repository)
        rows = index.select(
            repo=repo,
            proposal=proposals[0].key if len(proposals) == 1 else None,
            where=translation.where,
            params=translation.params,
        )
    except IndexUnavailableError as exc:
        logger.warning("%s; searching without it", exc)
        return None
    found: dict[str, dict[str, float | None]] = {}
    for proposal_key, key, when, _ in rows:
        found.setdefault(proposal_key, {})[key] = when
    out: list[Match] = []
    for proposal in proposals:
        listed = proposal._key_set  # the listing of this process decides what exists
        for key, when in found.get(proposal.key, {}).items():
            if key not in listed:
                continue
            if residue is not None and not residue(key, proposal._child(key).summary):
                continue
            out.append((proposal, key, when))
        for key in proposal.index_state.unindexed:
            summary = proposal._child(key).summary
            if full(key, summary):
                out.append((proposal, key, _unix(summary.time)))
    return out


def _unix(when: object) -> float | None:
    from datetime import datetime

    return when.timestamp() if isinstance(when, datetime) else None
