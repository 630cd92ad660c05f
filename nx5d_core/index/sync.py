"""Keeping the index true: each listing compares every scan's cheap fingerprint with the one its
stored summary was computed from and recomputes only new or changed scans."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..summary import ScanSummary, SummaryEntry
from .store import IndexUnavailable, SummaryIndex, default_index_path, dumps, shared_index

if TYPE_CHECKING:
    from ..proposal import Proposal
    from ..repository import Repository
    from ..scan import Scan

__all__ = ["IndexUnavailable", "SyncCounts", "index_of", "repository_identity", "sync_proposal"]
logger = logging.getLogger(__name__)


@dataclass
class SyncCounts:
    """What the last synchronisation of a proposal did (read by tests and ``nx5d index``)."""

    reused: int = 0
    recomputed: list[str] = field(default_factory=list)
    removed: int = 0
    failed: int = 0
    unindexed: int = 0


def index_of(repository: Repository) -> SummaryIndex | None:
    """The index ``repository`` uses, or ``None`` (turned off, or nothing on disk to index)."""
    spec = repository.index_spec
    if spec is False or repository.pattern is None:
        return None
    path = default_index_path() if spec is None or spec is True else spec
    return None if path is None else shared_index(path)


def repository_identity(repository: Repository) -> str:
    """What a stored summary depends on besides the scan's files: adapter, its version, the
    repository's root and URL, its options and the folders it may read outside the root."""
    from ..options import options_snapshot

    assert repository.pattern is not None
    parts = {
        "adapter": f"{type(repository).__module__}.{type(repository).__qualname__}",
        "name": repository.name,
        "version": repository.version,
        "url": repository.url,
        "root": os.path.realpath(repository.pattern.boundary),
        "options": dict(options_snapshot(repository).as_dict),
        "allow_outside": list(repository.allow_outside),
    }
    return hashlib.sha256(dumps(parts).encode()).hexdigest()


def _repo_id(index: SummaryIndex, repository: Repository) -> int:
    cached: tuple[SummaryIndex, int] | None = getattr(repository, "_index_repo", None)
    if cached is not None and cached[0] is index:
        return cached[1]
    repo = index.repository_id(
        identity=repository_identity(repository),
        url=repository.url,
        adapter=repository.name,
        version=repository.version,
    )
    repository._index_repo = (index, repo)
    return repo


def forget_repository(repository: Repository, index: SummaryIndex) -> None:
    """Remove every stored summary of ``repository``."""
    index.forget(repo=_repo_id(index, repository))


def restore(scan: Scan, text: str) -> ScanSummary | None:
    model = type(scan).summary_model
    try:
        summary = model.model_validate_json(text)
    except ValidationError:
        return None
    return summary if summary.key == scan.key else None


def _as_json(scan: Scan, summary: ScanSummary) -> str | None:
    """The JSON the index stores for ``summary``, or ``None`` when it would not come back equal
    (NaN, extra fields JSON cannot hold, another class than the scan's ``summary_model``)."""
    if type(summary) is not type(scan).summary_model:
        return None
    try:
        text = summary.model_dump_json()
        return text if restore(scan, text) == summary else None
    except (ValueError, TypeError):
        return None


def sync_proposal(
    proposal: Proposal, index: SummaryIndex, *, entries: bool = True
) -> list[SummaryEntry]:
    """Bring the index up to date for ``proposal`` and return its summaries (unless ``entries``
    is false). Scans whose fingerprint matches are not read; the others are.

    Raises
    ------
    IndexUnavailable
        The index cannot be used; the caller computes the summaries itself.
    """
    repo = _repo_id(index, proposal.repository)
    keys = proposal.keys()
    handles = {k: h for h, k in proposal.handles().items()}
    stored = index.rows(repo=repo, proposal=proposal.key)
    listed = set(keys)
    remove = {k for k in stored if k not in listed}
    counts = SyncCounts(removed=len(remove))
    out: list[SummaryEntry] = []
    unindexed: list[str] = []
    store: list[tuple[str, str, Any, str]] = []
    for key in keys:
        scan = proposal._child(key)
        summary: ScanSummary | None = None
        error: Exception | None = None
        try:
            fingerprint = scan._summary_fingerprint()
        except Exception as exc:  # noqa: BLE001 - the summary read below reports the real error
            logger.debug("fingerprint of %s failed: %s", scan._where(), exc)
            fingerprint = None
        digest = None if fingerprint is None else fingerprint.digest()
        row = stored.get(key)
        row_current = digest is not None and row is not None and row.fingerprint == digest
        if digest is not None and scan._summary is not None and scan._summary_digest == digest:
            summary = scan._summary
        elif row_current and not entries:  # restored from the row when asked for
            assert row is not None
            assert digest is not None
            scan._summary, scan._summary_digest, scan._summary_json = None, digest, row.summary
            counts.reused += 1
            continue
        elif row_current:
            assert row is not None
            summary = restore(scan, row.summary)
            if summary is not None:
                scan._summary, scan._summary_digest = summary, digest
        if summary is not None:
            counts.reused += 1
            text = None if digest is None or row_current else _as_json(scan, summary)
            if text is not None and digest is not None:  # known here, not in the file: store it
                store.append((key, digest, summary, text))
        else:
            if digest is not None:  # files changed (or never indexed): read again
                scan._summary, scan._summary_json = None, None
            try:
                summary = scan.summary
            except Exception as exc:  # noqa: BLE001 - shown in the listing, re-raised on access
                logger.warning("summary of scan %r in %s failed: %s", key, proposal._where(), exc)
                error = exc
                counts.failed += 1
            text = None if summary is None or digest is None else _as_json(scan, summary)
            if summary is not None and digest is not None and text is not None:
                scan._summary_digest = digest
                store.append((key, digest, summary, text))
                counts.recomputed.append(key)
            else:
                if summary is not None:
                    counts.unindexed += 1
                    unindexed.append(key)
                if row is not None:
                    remove.add(key)
        if entries:
            out.append(SummaryEntry(key=key, handle=handles[key], summary=summary, error=error))
    counts.removed = len(remove)
    index.write(repo=repo, proposal=proposal.key, store=store, remove=remove)
    proposal._index_counts = counts
    proposal._index_unindexed = unindexed
    if counts.recomputed or counts.removed:
        logger.info(
            "index %s, %s: %d summaries reused, %d recomputed, %d removed",
            index.path,
            proposal._where(),
            counts.reused,
            len(counts.recomputed),
            counts.removed,
        )
    return out
