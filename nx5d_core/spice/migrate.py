"""Copying every spice record from one store to another (SQLite to PostgreSQL), verified.

Records keep their uuids, revisions, parents, authors and times. Records already in the target
(same uuid) are skipped, so a second run copies nothing and verifies again. The check compares
the count and a checksum of every copied record as the target holds it with the source's.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from .backend import SpiceBackend
from .errors import SpiceStoreError
from .records import SpiceRecord

__all__ = ["MigrationReport", "checksum", "migrate"]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MigrationReport:
    """What a migration did and found."""

    source_records: int
    copied: int
    verified: int
    checksum: str


def checksum(records: list[SpiceRecord]) -> str:
    """SHA-256 of the records (every field), in (proposal, handle, anchor, revision) order."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: (r.proposal, r.handle, r.anchor, r.revision)):
        digest.update(record.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()


def migrate(*, source: SpiceBackend, target: SpiceBackend) -> MigrationReport:
    """Copy every record of ``source`` into ``target`` (all or nothing) and verify the copy.

    Raises
    ------
    SpiceConflictError
        The target holds a different record at a revision the source has; nothing is copied.
    SpiceStoreError
        The copy does not match the source (count or checksum); the message says which.
    """
    records = source.records()
    copied = target.insert(records)
    wanted = {r.uuid for r in records}
    found = [r for r in target.records() if r.uuid in wanted]
    mine, theirs = checksum(records), checksum(found)
    if len(found) != len(records) or mine != theirs:
        msg = (
            f"migration from {source.display} to {target.display} does not verify: the source "
            f"has {len(records)} records (checksum {mine[:16]}), the target holds {len(found)} "
            f"of them (checksum {theirs[:16]})"
        )
        raise SpiceStoreError(msg)
    logger.info(
        "spice migration %s -> %s: %d records, %d copied, checksum %s",
        source.display,
        target.display,
        len(records),
        copied,
        mine[:16],
    )
    return MigrationReport(len(records), copied, len(found), mine)
