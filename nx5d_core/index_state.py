"""What a proposal knows of its last sync with the summary index: whether it is up to date in
this process, the counts of that sync, the scans whose summaries the index cannot hold, and the
stored summaries handed over for scans not made yet (each adopted when its scan is made).
:func:`nx5d_core.index.sync.sync_proposal` reports through :meth:`IndexState.synced_with` and
:meth:`IndexState.hand_over`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index.sync import SyncCounts
    from .summary_record import Adoption

__all__ = ["IndexState"]


@dataclass
class IndexState:
    """A proposal's index state (see the module docstring)."""

    synced: bool = False
    counts: SyncCounts | None = None
    unindexed: list[str] = field(default_factory=list)
    adopted: dict[str, Adoption] = field(default_factory=dict)

    def synced_with(self, *, counts: SyncCounts, unindexed: list[str]) -> None:
        """Record a sync: its counts, and the scans kept out of the index."""
        self.counts, self.unindexed = counts, unindexed

    def hand_over(self, key: str, adoption: Adoption) -> None:
        """Keep ``adoption`` for the scan ``key`` until it is made (see :class:`Adoption`)."""
        self.adopted[key] = adoption
