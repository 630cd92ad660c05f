"""What the served tree shares: the repository, the path policy, freshness and the open scans."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from .keys import OUTSIDE, outside_paths, root_spellings

if TYPE_CHECKING:
    from ..proposal import Proposal
    from ..repository import Repository
    from ..summary import SummaryEntry
    from .tree import ScanNode

__all__ = ["Served"]


class Served:
    """What the tree shares: the repository, path policy, freshness and the open scans."""

    def __init__(
        self, *, repository: Repository, include_paths: bool = False, relist_seconds: float = 2.0
    ) -> None:
        self.repository = repository
        self.include_paths = include_paths
        self.relist_seconds = relist_seconds
        from ..errors import AdapterContractError
        from ..paths import REMOTE_ROOT

        try:
            root = repository.guard.root
        except AdapterContractError:  # an adapter that reads no files
            root = REMOTE_ROOT
        self._roots = [] if root == REMOTE_ROOT else root_spellings(root, repository.url)
        self._outside = outside_paths()
        self._lock = threading.RLock()
        self._listed: dict[str, float] = {}
        self._scans: OrderedDict[tuple[str, str], ScanNode] = OrderedDict()
        self._entries: dict[str, dict[str, SummaryEntry]] = {}

    def _due(self, what: str) -> bool:
        """Whether ``what`` was last refreshed more than ``relist_seconds`` ago (stamps it now)."""
        now = time.monotonic()
        if now - self._listed.get(what, -float("inf")) > self.relist_seconds:
            self._listed[what] = now
            return True
        return False

    def proposal_keys(self) -> list[str]:
        with self._lock:
            if self._due("proposals"):
                self.repository.relist()
            return self.repository.keys()

    def proposal(self, key: str) -> Proposal:
        with self._lock:
            proposal = self.repository[key]
            if self._due(f"scans of {key}"):
                proposal.relist()
            return proposal

    def scan_node(self, proposal: Proposal, key: str, *, entry: SummaryEntry | None = None) -> ScanNode:  # fmt: skip
        """The open scan (kept while its files are unchanged, re-checked every relist_seconds);
        ``entry`` is its summary from the proposal's listing, if at hand."""
        with self._lock:
            node = self._scans.get((proposal.key, key))
            if node is None or node.stale(self.relist_seconds):
                from .tree import ScanNode

                node = ScanNode(served=self, scan=proposal[key])
                self._scans[(proposal.key, key)] = node
            if entry is not None:
                node.entry = entry
            self._scans.move_to_end((proposal.key, key))
            while len(self._scans) > 256:
                self._scans.popitem(last=False)
            return node

    def entries(self, proposal: Proposal) -> dict[str, SummaryEntry]:
        """Every scan's summary entry, one sweep per ``relist_seconds``."""
        with self._lock:
            if self._due(f"summaries of {proposal.key}") or proposal.key not in self._entries:
                self._entries[proposal.key] = {e.key: e for e in proposal.summaries()}
            return self._entries[proposal.key]

    def clean(self, value: Any) -> Any:
        """``value`` with the server's own paths made relative to the root (unless allowed)."""
        if self.include_paths or not self._roots:
            return value
        if isinstance(value, str):
            for root in self._roots:  # longest first: a root inside another one goes first
                value = re.sub(
                    re.escape(root) + r"(/|(?![\w.\-]))",  # a whole component: not /data2
                    lambda m: "" if m.group(1) else ".",
                    value,
                )
            return self._outside.sub(OUTSIDE, value)  # what is left is not the client's business
        if isinstance(value, dict):
            return {k: self.clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.clean(v) for v in value]
        return value
