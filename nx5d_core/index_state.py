"""What a proposal knows of its last sync with the summary index: whether it is up to date in
this process, the counts of that sync, and the scans whose summaries the index cannot hold.
:func:`nx5d_core.index.sync.sync_proposal` reports through :meth:`IndexState.synced_with`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index.sync import SyncCounts

__all__ = ["IndexState"]


@dataclass
class IndexState:
    """A proposal's index state (see the module docstring)."""

    synced: bool = False
    counts: SyncCounts | None = None
    unindexed: list[str] = field(default_factory=list)

    def synced_with(self, *, counts: SyncCounts, unindexed: list[str]) -> None:
        """Record a sync: its counts, and the scans kept out of the index."""
        self.counts, self.unindexed = counts, unindexed
