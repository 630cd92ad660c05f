"""The Proposal base class: one experiment's scans, in the adapter's scan order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from .caching import _Drop
from .collection import KeyedCollection
from .errors import AdapterContractError
from .index_state import IndexState
from .keys import natural_key
from .summary import ScanSummary, SummaryEntry

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd
    import xarray as xr

    from .fingerprint import Fingerprint
    from .queries import Query
    from .repository import Repository
    from .scan import Scan
    from .spice.proposal_spice import ProposalSpice

__all__ = ["Proposal"]
logger = logging.getLogger(__name__)


class Proposal(KeyedCollection["Scan"]):
    """One proposal (experiment, visit): ``proposal.keys()``, ``proposal[-1]``, ``proposal[-5:]``.

    Adapters override :meth:`_list_scans`, :meth:`_scan` and optionally :meth:`scan_order`.
    """

    _kind = "scan"
    _handle_prefix = "s"
    scan_class: ClassVar[type[Scan] | None] = None
    """The adapter's Scan subclass (instead of overriding :meth:`_scan`)."""

    def __init__(self, *, repository: Repository, key: str) -> None:
        super().__init__()
        self.repository = repository
        self.key = key
        self.index_state = IndexState()
        """The last sync with the summary index (:mod:`nx5d_core.index_state`)."""

    _caches: ClassVar[dict[str, Callable[[], Any] | _Drop]] = {
        "index_state": IndexState,
    }

    def relist(self) -> None:
        """Forget the listing (see :meth:`KeyedCollection.relist`); the next search brings the
        index up to date with the new listing."""
        super().relist()
        self.index_state.synced = False

    def synced(self) -> bool:
        """Bring the summary index up to date for this proposal once (until :meth:`refresh`);
        ``False`` when there is no usable index."""
        from .gcpause import collector_relaxed
        from .index import IndexUnavailableError, index_of, sync_proposal

        index = index_of(self.repository)
        if index is None:
            return False
        if not self.index_state.synced:
            try:
                with collector_relaxed():  # tens of thousands of lasting objects
                    sync_proposal(self, index, entries=False)
            except IndexUnavailableError as exc:
                logger.warning("%s; searching without it", exc)
                return False
            self.index_state.synced = True
        return True

    listing_in_index: ClassVar[bool] = True
    """Whether the scan listing depends on nothing but the folder (or file) it is listed from,
    so that the summary index may keep it for the next process; a view of a query says no."""

    def _stored_listing(self) -> tuple[list[str], Any] | None:
        if not self.listing_in_index:
            return None
        from .index.listings import stored_listing

        return stored_listing(self)

    def _remember_listing(self, keys: list[str], token: Any) -> None:
        if not self.listing_in_index:
            return
        from .index.listings import remember_listing

        remember_listing(self, keys, token)

    def _listed_fingerprints(self, keys: list[str]) -> Mapping[str, Fingerprint | None] | None:
        """The summary fingerprints of ``keys``, equal to what each scan's
        ``_summary_fingerprint()`` gives, without making Scan objects (scans of ``scan_class``,
        whose ``summary_model`` the index restores); ``None`` (default): the
        index makes a Scan per listed key to ask it. An adapter that can tell them from the key
        alone (a folder per scan holding fixed files) saves a listing that per-scan work."""
        return None

    # -- adapter hooks -----------------------------------------------------------------
    def _list_scans(self) -> Iterable[str]:
        """Return the scan keys. Must raise (never return nothing) when the source is unreadable.

        Default: the keys the repository's pattern finds in the path, inside the root.
        """
        pattern = self.repository.pattern
        if pattern is None or not pattern.scan_in_path:
            raise NotImplementedError
        return pattern.list_scans(self.key, guard=self.repository.guard)

    def _scan(self, key: str) -> Scan:
        """Return the Scan for ``key`` (no I/O needed). Default: ``scan_class``."""
        if self.scan_class is None:
            raise NotImplementedError
        return self.scan_class(proposal=self, key=key)

    def scan_order(self, key: str) -> Any:
        """Sort key for scans, oldest first: natural order by default (``r2`` before ``r10``)."""
        return natural_key(key)

    # -- framework -----------------------------------------------------------------------
    def _list_keys(self) -> Iterable[str]:
        return self._list_scans()

    def _make_child(self, key: str) -> Scan:
        from .scan import Scan

        child = self._scan(key)
        if not isinstance(child, Scan):
            msg = (
                f"{type(self).__name__}._scan({key!r}) returned {type(child).__name__}, not a Scan"
            )
            raise AdapterContractError(msg)
        adopted = self.index_state.adopted.get(key)
        if adopted is not None and type(child).summary_model is adopted.model:
            child.summary_record.adopt(
                summary=adopted.summary,
                text=adopted.text,
                digest=adopted.digest,
                sources=adopted.sources,
                seen=adopted.seen,
            )
        return child

    def _order(self, key: str) -> Any:
        return self.scan_order(key)

    def _where(self) -> str:
        return f"proposal {self.key!r} of {self.repository._where()}"

    def follow(
        self, *, timeout: float | None = None, poll: float = 0.25, seen: Iterable[str] | None = None
    ) -> Iterator[str]:
        """Yield scan keys not in ``seen`` as scans appear, until ``timeout`` seconds (``None``:
        for ever). ``seen`` defaults to the keys listed at the call; pass the keys you already
        showed, so that a scan that appeared since is not missed.

        A wait ends on a change the OS reports for the scans' folder (``watchfiles``) or after
        ``poll`` seconds; see :mod:`nx5d_core.follow`.
        """
        from .follow import follow_proposal

        return follow_proposal(self, timeout=timeout, poll=poll, seen=seen)

    def _listing_pattern(self) -> tuple[Any, str | None] | None:
        pattern = self.repository.pattern
        return None if pattern is None else (pattern, self.key)

    @property
    def spice(self) -> ProposalSpice:
        """The spice parameters of this proposal: seed, update, anchor, history, views."""
        from .spice.proposal_spice import ProposalSpice

        return ProposalSpice(store=self.repository.spice_store, proposal=self)

    def summaries(self) -> list[SummaryEntry]:
        """Every scan's summary in order; a scan whose summary fails is listed with its error.

        With the summary index on (:mod:`nx5d_core.index`), scans whose files did not change
        since their summary was stored are not read.
        """
        from .gcpause import collector_relaxed

        with collector_relaxed():  # tens of thousands of lasting objects
            return self._summaries()

    def _summaries(self) -> list[SummaryEntry]:
        from .index import IndexUnavailableError, index_of, sync_proposal

        index = index_of(self.repository)
        if index is not None:
            try:
                entries = sync_proposal(self, index)
            except IndexUnavailableError as exc:
                logger.warning("%s; reading every summary of %s", exc, self._where())
            else:
                self.index_state.synced = True
                return entries
        handles = {k: h for h, k in self.handles().items()}
        entries = []
        for key in self.keys():
            summary: ScanSummary | None = None
            error: Exception | None = None
            try:
                summary = self._child(key).summary
            except Exception as exc:  # noqa: BLE001 - shown in the listing, re-raised on access
                logger.warning("summary of scan %r in %s failed: %s", key, self._where(), exc)
                error = exc
            entries.append(SummaryEntry(key=key, handle=handles[key], summary=summary, error=error))
        return entries

    def table(self) -> pd.DataFrame:
        """The summaries as a DataFrame indexed by key; failed scans have an ``error`` text."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        for entry in self.summaries():
            row: dict[str, Any] = {"key": entry.key, "handle": entry.handle}
            if entry.summary is not None:
                row.update(entry.summary.model_dump())
                row["key"] = entry.key
            row["error"] = (
                "" if entry.error is None else f"{type(entry.error).__name__}: {entry.error}"
            )
            rows.append(row)
        return (
            pd.DataFrame(rows).set_index("key")
            if rows
            else pd.DataFrame(columns=["key"]).set_index("key")
        )

    def search(self, query: Query | Callable[[ScanSummary], bool]) -> Proposal:
        """The scans matching ``query`` (:mod:`nx5d_core.queries`, or a predicate over the
        summary) as a Proposal view: list it, index it, ``[-1]``, search it again."""
        from .search import ProposalView

        return ProposalView(parent=self, query=query, label=repr(query))

    def cook_many(
        self,
        keys: Iterable[str] | None = None,
        *,
        client: Any = None,
        lazy: bool = False,
        recipe: str | None = None,
        progress: bool | None = None,
        workers: int | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """Cook many scans (all by default), one task each, on a process pool or a cluster;
        yields ``(key, Dataset or exception)`` as they finish. See :mod:`nx5d_core.many`."""
        from .many import cook_many

        chosen = self.keys() if keys is None else list(keys)
        return cook_many(
            [self[k] for k in chosen],
            client=client,
            lazy=lazy,
            recipe=recipe,
            progress=progress,
            workers=workers,
        )

    def cook(
        self,
        keys: Iterable[str],
        *,
        recipe: str | None = None,
        lazy: bool = False,
        **overrides: Any,
    ) -> xr.Dataset:
        """Cook several scans into one result (e.g. one reciprocal-space map from three omega
        scans); see :func:`nx5d_core.merging.cook_together`."""
        from .merging import cook_together

        return cook_together(self, list(keys), recipe=recipe, lazy=lazy, overrides=overrides)

    def _repr_html_(self) -> str:
        from .html import proposal_html

        return proposal_html(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r} of {self.repository.url!r}>"
