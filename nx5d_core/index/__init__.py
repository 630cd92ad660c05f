"""The persistent summary index (SQLite) and the translation of queries into SQL.

``repo.summaries()`` and searches go through it when it is on (the default): a second process
lists thousands of scans without reading them, and only scans whose files changed are read
again. ``NX5D_INDEX`` names the file (``off`` turns it off); ``index=False`` on
:func:`~nx5d_core.open_repository` or ``--no-index`` on the command line opt out.
"""

from __future__ import annotations

from .store import INDEX_ENV, IndexUnavailableError, SummaryIndex, default_index_path
from .sync import SyncCounts, index_of, sync_proposal

__all__ = [
    "INDEX_ENV",
    "IndexUnavailableError",
    "SummaryIndex",
    "SyncCounts",
    "default_index_path",
    "index_of",
    "sync_proposal",
]
