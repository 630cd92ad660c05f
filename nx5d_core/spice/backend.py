"""The contract every spice backend keeps (SQLite, PostgreSQL, one a site registers).

A backend stores :class:`~nx5d_core.spice.SpiceRecord` revisions and guarantees one thing the
layers above rely on: :meth:`SpiceBackend.write` appends a revision only if the writer's ``base``
is still the chain's newest, atomically, and raises
:class:`~nx5d_core.spice.SpiceConflictError` otherwise. Everything else (views, anchors, history,
import and export) is built on these methods by :class:`~nx5d_core.spice.proposal_spice.ProposalSpice`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Protocol, TypeAlias, runtime_checkable

from .records import SpiceRecord

__all__ = ["SpiceBackend", "SpiceSpec"]


@runtime_checkable
class SpiceBackend(Protocol):
    """What a spice store is to the rest of nx5d_core."""

    read_only: bool
    """Whether writes are refused (the reason is in the error a write raises)."""

    @property
    def display(self) -> str:
        """Where the store is, fit to show: no credentials."""
        ...

    def records(
        self, *, proposal: str | None = None, handle: str | None = None, anchor: str | None = None
    ) -> list[SpiceRecord]:
        """Every stored revision matching the filters, oldest first."""
        ...

    def heads(self, *, proposal: str) -> list[SpiceRecord]:
        """The newest revision of every (handle, anchor) chain of ``proposal``."""
        ...

    def proposals(self) -> list[str]:
        """Proposal keys that have records."""
        ...

    def write(
        self,
        *,
        proposal: str,
        handle: str,
        type: str,
        anchor: str,
        data: dict[str, Any],
        base: int | None,
        author: str | None = None,
        deleted: bool = False,
    ) -> SpiceRecord:
        """Append a revision if ``base`` is still the chain's newest; else raise
        :class:`~nx5d_core.spice.SpiceConflictError` and write nothing."""
        ...

    def insert(self, records: Iterable[SpiceRecord]) -> int:
        """Insert whole records (import), all or nothing; records whose uuid exists are skipped."""
        ...

    def close(self) -> None:
        """Let go of connections (a later call reopens them)."""
        ...


SpiceSpec: TypeAlias = SpiceBackend | str | os.PathLike[str] | None
"""What ``spice=`` takes: a store, a path or ``scheme://`` URL, or ``None`` (in memory)."""
