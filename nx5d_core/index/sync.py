"""Keeping the index true: each listing compares every scan's cheap fingerprint with the one its
stored summary was computed from and recomputes only new or changed scans."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..fingerprint import Fingerprint, fingerprint_files
from ..gcpause import collector_paused
from ..paths import recording_reads
from ..summary import ScanSummary, SummaryEntry
from ..summary_record import Adoption, read_summary
from ..summary_record import restore as restore_summary
from .store import (
    IndexRow,
    IndexUnavailableError,
    SummaryIndex,
    default_index_path,
    dumps,
    shared_index,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..proposal import Proposal
    from ..repository import Repository
    from ..scan import Scan

__all__ = [
    "IndexUnavailableError",
    "SyncCounts",
    "index_of",
    "repository_identity",
    "sync_proposal",
]
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
    assert repository.pattern is not None
    parts = {
        "adapter": f"{type(repository).__module__}.{type(repository).__qualname__}",
        "name": repository.name,
        "version": repository.version,
        "url": repository.url,
        "root": os.path.realpath(repository.pattern.boundary),
        "options": repository.options.model_dump(),
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
    """The summary of ``scan`` stored as ``text``, or ``None`` (see :func:`nx5d_core.summary_record.restore`)."""
    return restore_summary(type(scan).summary_model, text, key=scan.key)


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


def _declared(scan: Scan) -> Fingerprint | None:
    """The fingerprint the adapter declares for the summary, or ``None`` (not indexable)."""
    try:
        return scan._summary_fingerprint()
    except Exception as exc:  # noqa: BLE001 - the summary read reports the real error
        logger.debug("fingerprint of %s failed: %s", scan._where(), exc)
        return None


def _digest(declared: Fingerprint, sources: str) -> str:
    """The digest of the declared files and the other files the summary read (``sources``)."""
    if not sources:
        return declared.digest()
    extra = fingerprint_files(json.loads(sources))
    return Fingerprint(declared.files + extra.files).digest()


def _compute(
    scan: Scan, declared: Fingerprint | None, counts: SyncCounts
) -> tuple[ScanSummary | None, Exception | None]:
    """Read the summary from the files, recording every file the root guard resolved on the
    way (external link targets, VDS sources): they become part of the stored fingerprint.

    The declared files' fingerprint was taken before the read; the other files are examined
    right after it (a change in between is caught at the next change of any of them).
    """
    scan.summary_record.forget()
    try:
        with recording_reads() as seen:  # the declared files' fingerprint: taken just before
            summary = read_summary(scan, seen=declared)  # taken anew when it could not be
    except Exception as exc:  # noqa: BLE001 - shown in the listing, re-raised on access
        logger.warning("summary of scan %r in %s failed: %s", scan.key, scan.proposal._where(), exc)
        counts.failed += 1
        return None, exc
    if declared is not None:
        names = {path for path, _ in declared.files}
        extra = sorted({path for path in seen if path not in names})
        sources = json.dumps(extra) if extra else ""
        scan.summary_record.made_from(digest=_digest(declared, sources), sources=sources)
    return summary, None


def _listed_fingerprints(
    proposal: Proposal, keys: list[str], stored: dict[str, IndexRow]
) -> Mapping[str, Fingerprint | None] | None:
    """The adapter's fingerprints of the stored scans not made yet, or ``None`` (it gives none,
    or every scan has to be made anyway)."""
    unmade = [k for k in keys if k in stored and not proposal.made(k)]
    if not unmade or proposal.scan_class is None:
        return None
    try:
        return proposal._listed_fingerprints(unmade)
    except Exception as exc:  # noqa: BLE001 - each scan is then asked itself, and reports it
        logger.debug("listed fingerprints of %s failed: %s", proposal._where(), exc)
        return None


def _reuse_listed(
    proposal: Proposal,
    keys: list[str],
    stored: dict[str, IndexRow],
    listed: Mapping[str, Fingerprint | None],
    handles: dict[str, str],
    *,
    entries: bool,
) -> dict[str, SummaryEntry | None]:
    """The entries of the scans not made yet whose stored summary the proposal keeps for them
    (their files are those of the row; the summary parsed now when ``entries`` are asked for,
    else on first use); the other scans are made and asked. One loop over the listing: a warm
    listing of 20,000 scans is this loop."""
    assert proposal.scan_class is not None
    model = proposal.scan_class.summary_model
    hand_over = proposal.index_state.hand_over
    out: dict[str, SummaryEntry | None] = {}
    for key in keys:
        row = stored.get(key)
        declared = listed.get(key)
        if row is None or declared is None:
            continue
        if row.fingerprint != _digest(declared, row.sources):
            continue
        if entries:
            summary = restore_summary(model, row.summary, key=key)
            if summary is None:
                continue
            hand_over(key, Adoption(model, summary, None, row.fingerprint, row.sources, declared))
            out[key] = SummaryEntry(key, handles[key], summary, None)
        else:
            hand_over(
                key, Adoption(model, None, row.summary, row.fingerprint, row.sources, declared)
            )
            out[key] = None
    return out


def sync_proposal(
    proposal: Proposal, index: SummaryIndex, *, entries: bool = True
) -> list[SummaryEntry]:
    """Bring the index up to date for ``proposal`` and return its summaries (unless ``entries``
    is false). Scans whose fingerprint matches are not read; the others are.

    Raises
    ------
    IndexUnavailableError
        The index cannot be used; the caller computes the summaries itself.
    """
    repo = _repo_id(index, proposal.repository)
    with collector_paused():  # a warm listing: many small objects that stay, and no cycles
        keys = proposal.keys()
        handles = {k: h for h, k in proposal.handles().items()}
        stored = index.rows(repo=repo, proposal=proposal.key)
        listed = _listed_fingerprints(proposal, keys, stored)
        reused = {} if listed is None else _reuse_listed(proposal, keys, stored, listed, handles, entries=entries)  # fmt: skip
    present = set(keys)
    remove = {k for k in stored if k not in present}
    counts = SyncCounts(removed=len(remove))
    out: list[SummaryEntry] = []
    unindexed: list[str] = []
    store: list[tuple[str, str, Any, str, str]] = []
    counts.reused = len(reused)
    for key in keys:
        if key in reused:
            entry = reused[key]
            if entry is not None:
                out.append(entry)
            continue
        row = stored.get(key)
        scan = proposal._child(key)
        record = scan.summary_record
        summary: ScanSummary | None = None
        error: Exception | None = None
        declared = _declared(scan)
        if (
            declared is not None
            and row is not None
            and row.fingerprint == _digest(declared, row.sources)
        ):
            if record.summary is not None and record.digest == row.fingerprint:
                summary = record.summary
            elif not entries:  # restored from the row when asked for
                record.adopt(
                    text=row.summary, digest=row.fingerprint, sources=row.sources, seen=declared
                )
                counts.reused += 1
                continue
            else:
                summary = restore(scan, row.summary)
                if summary is not None:
                    record.adopt(
                        summary=summary, digest=row.fingerprint, sources=row.sources, seen=declared
                    )
        elif (
            declared is not None
            and record.summary is not None
            and record.digest == _digest(declared, record.sources)
        ):  # computed in this process from the same files, not (or no longer) in the index
            summary = record.summary
            text = _as_json(scan, summary)
            if text is None:
                unindexed.append(key)
            else:
                store.append((key, record.digest, summary, text, record.sources))
        if summary is not None:
            counts.reused += 1
        else:
            summary, error = _compute(scan, declared, counts)
            text = None if summary is None or declared is None else _as_json(scan, summary)
            if summary is not None and text is not None and record.digest is not None:
                store.append((key, record.digest, summary, text, record.sources))
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
    proposal.index_state.synced_with(counts=counts, unindexed=unindexed)
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
