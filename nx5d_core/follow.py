"""Following a beamtime: keys as scans appear, a scan as it grows.

Each wait ends on a change the operating system reports for the listed folders (inotify and
its kind, through ``watchfiles`` where it is installed) or after ``poll`` seconds, whichever
comes first; then the listing is checked the cheap way every listing is
(:mod:`nx5d_core.listing`). Object stores and web servers, where nothing reports changes, are
polled (and re-listed) every ``poll`` seconds. Errors (a folder that vanished, a file that
cannot be read) are raised to the caller, never swallowed.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import KeyNotFoundError

if TYPE_CHECKING:
    from .collection import KeyedCollection
    from .proposal import Proposal
    from .repository import Repository
    from .scan import Scan

__all__ = ["follow_proposal", "follow_repository", "follow_scan"]
logger = logging.getLogger(__name__)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _left(deadline: float | None, poll: float) -> float | None:
    """Seconds to wait now (at most ``poll``), ``None`` once the deadline has passed."""
    if deadline is None:
        return poll
    left = deadline - time.monotonic()
    return None if left <= 0 else min(poll, left)


def _watched(collection: KeyedCollection[Any]) -> list[str]:
    """Local paths whose change may mean new keys (the listing token's)."""
    token = collection._listing
    return [] if token is None else [path for path, _ in token]


def _wait(paths: list[str], seconds: float) -> None:
    """Until the OS reports a change below ``paths`` (not recursively) or ``seconds`` pass."""
    if paths and importlib.util.find_spec("watchfiles") is not None:
        import watchfiles

        changes = watchfiles.watch(
            *paths,
            watch_filter=None,
            debounce=20,
            step=10,
            rust_timeout=max(1, int(seconds * 1000)),
            yield_on_timeout=True,
            recursive=False,
            raise_interrupt=True,
            ignore_permission_denied=True,
        )
        try:
            next(changes)
        except FileNotFoundError:  # a watched folder went away: the listing will say how
            time.sleep(min(seconds, 0.05))
        finally:
            changes.close()
        return
    time.sleep(seconds)


def _new_keys(collection: KeyedCollection[Any], known: set[str]) -> list[str]:
    if collection._listing is None:  # nothing tells a change: list again each time
        collection.relist()
    fresh = [k for k in collection if k not in known]
    known.update(fresh)
    return fresh


def _still_there(proposal: Proposal) -> None:
    """Raise the framework's not-found error if the folder (or file) ``proposal`` is listed
    from is gone: an empty listing would look like a quiet beamtime."""
    watched = _watched(proposal)
    if watched and not Path(watched[0]).exists():
        repository = proposal.repository
        repository.relist()
        where = f"{repository._where()} ({watched[0]} is gone)"
        raise KeyNotFoundError(proposal.key, kind="proposal", where=where, candidates=repository.keys())  # fmt: skip


def follow_proposal(
    proposal: Proposal, *, timeout: float | None, poll: float, seen: Iterable[str] | None
) -> Iterator[str]:
    """Scan keys of ``proposal`` not in ``seen`` as they appear, oldest first.

    ``seen=None`` means the keys listed now, at the call (not at the first ``next``: a scan
    that appears in between is yielded, not taken as known).
    """
    known = set(proposal.keys()) if seen is None else set(seen)
    return _follow_proposal(proposal, known=known, deadline=_deadline(timeout), poll=poll)


def _follow_proposal(
    proposal: Proposal, *, known: set[str], deadline: float | None, poll: float
) -> Iterator[str]:
    yield from _new_keys(proposal, known)  # what appeared since ``known`` was taken
    while (seconds := _left(deadline, poll)) is not None:
        _wait(_watched(proposal), seconds)
        _still_there(proposal)
        yield from _new_keys(proposal, known)


def follow_repository(
    repository: Repository, *, timeout: float | None, poll: float
) -> Iterator[tuple[str, str]]:
    """``(proposal, scan)`` keys as scans appear in any proposal, new proposals included;
    what is known is listed at the call, not at the first ``next``."""
    known = {p: set(repository[p].keys()) for p in repository}
    return _follow_repository(repository, known=known, deadline=_deadline(timeout), poll=poll)


def _follow_repository(
    repository: Repository, *, known: dict[str, set[str]], deadline: float | None, poll: float
) -> Iterator[tuple[str, str]]:
    while (seconds := _left(deadline, poll)) is not None:
        paths = _watched(repository) + [p for k in known for p in _watched(repository[k])]
        _wait(paths, seconds)
        for key in _new_keys(repository, set(known)):
            known[key] = set()
        for key, scans in known.items():
            for scan in _new_keys(repository[key], scans):
                yield key, scan


def follow_scan(scan: Scan, *, timeout: float | None, poll: float) -> Iterator[Scan]:
    """``scan`` each time its number of points grew (its summary re-read once its files
    changed), until ``timeout``."""
    last = scan.summary.num_frames
    deadline = _deadline(timeout)
    while (seconds := _left(deadline, poll)) is not None:
        time.sleep(seconds)
        now = scan.summary.num_frames
        if now != last:
            logger.debug("%s/%s: %s -> %s points", scan.proposal.key, scan.key, last, now)
            last = now
            yield scan
