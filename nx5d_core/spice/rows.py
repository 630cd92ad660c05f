"""The SQL tables of a spice store and the conversion of their rows to records (shared by the
SQLite and PostgreSQL stores)."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from typing import Any

from .records import SpiceRecord

__all__ = ["COLUMNS", "SCHEMA", "default_author", "record_of"]


class _Duplicate(Exception):
    """A unique constraint refused a row: another writer took that revision first."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS nx5d_spice_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nx5d_spice_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal TEXT NOT NULL, handle TEXT NOT NULL, anchor TEXT NOT NULL,
    revision INTEGER NOT NULL, uuid TEXT NOT NULL UNIQUE, parent TEXT,
    type TEXT NOT NULL, author TEXT NOT NULL, timestamp TEXT NOT NULL,
    data TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    UNIQUE (proposal, handle, anchor, revision)
);
INSERT OR IGNORE INTO nx5d_spice_meta VALUES ('schema', '1');
"""
COLUMNS = "proposal, handle, anchor, revision, uuid, parent, type, author, timestamp, data, deleted"


def default_author() -> str:
    """The login name, or ``"unknown"``."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record_of(row: tuple[Any, ...]) -> SpiceRecord:
    proposal, handle, anchor, revision, uid, parent, type_, author, ts, data, deleted = row
    return SpiceRecord(
        proposal=proposal,
        handle=handle,
        anchor=anchor,
        revision=revision,
        uuid=uid,
        parent=parent,
        type=type_,
        author=author,
        timestamp=datetime.fromisoformat(ts),
        data=json.loads(data),
        deleted=bool(deleted),
    )
