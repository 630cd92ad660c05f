"""The persistent summary index: one SQLite file that several processes share (WAL).

Each row holds one scan's summary (JSON), the columns queries run on (``type``, ``num_frames``,
``time_unix``, ``description``, full-text words) and the digest of the cheap fingerprint the
summary was computed from. A file that is not an nx5d index of this schema (corrupt, foreign,
older) is moved aside, never trusted, and a new index is built in its place.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import Nx5dError
from .words import summary_words

__all__ = ["INDEX_ENV", "IndexRow", "IndexUnavailableError", "SummaryIndex", "default_index_path"]
logger = logging.getLogger(__name__)

INDEX_ENV = "NX5D_INDEX"
"""Path of the index file, or ``off`` to read every summary each time."""
APPLICATION_ID = 0x6E783564  # "nx5d"
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS repositories (
    id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    adapter TEXT NOT NULL,
    version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    repo INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    proposal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sources TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL,
    type TEXT,
    num_frames INTEGER,
    time_unix REAL,
    description TEXT,
    UNIQUE (repo, proposal, key)
);
CREATE INDEX IF NOT EXISTS scans_time ON scans (repo, time_unix);
CREATE INDEX IF NOT EXISTS scans_type ON scans (repo, type);
CREATE VIRTUAL TABLE IF NOT EXISTS scan_words USING fts5 (words, tokenize = "ascii tokenchars '_'");
"""
_LISTINGS = """
CREATE TABLE IF NOT EXISTS listings (
    repo INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    proposal TEXT NOT NULL,
    token TEXT NOT NULL,
    keys TEXT NOT NULL,
    PRIMARY KEY (repo, proposal)
);
"""
"""A proposal's scan keys with the listing token they were listed under (added to files of
schema 2 as they are opened: an older nx5d ignores the table)."""


class IndexUnavailableError(Nx5dError):
    """The index cannot be used now (locked for too long, unwritable); summaries are computed."""


class IndexRow(NamedTuple):
    """What the index holds for one scan (a named tuple: a listing makes one per stored scan)."""

    key: str
    fingerprint: str
    summary: str
    sources: str
    """Files read for the summary besides the declared ones (external links), JSON, or ''."""


def default_index_path() -> Path | None:
    """``$NX5D_INDEX`` (``off``: no index), else ``index.sqlite`` in the user cache folder."""
    env = os.environ.get(INDEX_ENV)
    if env is not None:
        return None if env.strip().lower() in {"", "0", "off", "no", "false"} else Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("nx5d")) / "index.sqlite"


def _regexp(pattern: str, flags: int, value: Any) -> bool:
    return value is not None and re.search(pattern, str(value), flags) is not None


class SummaryIndex:
    """One index file. Thread-safe (one connection, one lock); processes share it through WAL."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

    # -- opening -----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.create_function("casefold", 1, lambda v: None if v is None else str(v).casefold())
        conn.create_function("nx5d_regexp", 3, _regexp)
        return conn

    def _usable(self, conn: sqlite3.Connection) -> bool:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app == APPLICATION_ID and version == SCHEMA_VERSION:
            return True
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app == 0 and tables == 0:  # a new, empty file
            conn.executescript(  # one transaction: another process creating it too waits
                "BEGIN IMMEDIATE;"
                f"PRAGMA application_id = {APPLICATION_ID};"
                f"PRAGMA user_version = {SCHEMA_VERSION};" + _SCHEMA + "COMMIT;"
            )
            return True
        return False

    def _move_aside(self, reason: str) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        aside = self.path.with_name(f"{self.path.name}.unusable-{time.strftime('%Y%m%d%H%M%S')}")
        logger.warning(
            "summary index %s is %s: moved to %s and rebuilt", self.path, reason, aside.name
        )
        self.path.replace(aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def connection(self) -> sqlite3.Connection:
        """The open, checked connection (created, or rebuilt from an unusable file, on first use).

        Raises
        ------
        IndexUnavailableError
            The file cannot be created or opened (read-only folder, locked).
        """
        if self._conn is not None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            try:
                usable = self._usable(conn)
            except sqlite3.OperationalError:
                conn.close()
                raise
            except sqlite3.DatabaseError:
                conn.close()
                usable = None
            if usable is False:
                conn.close()
                self._move_aside("not an nx5d index of this version")
            elif usable is None:
                self._move_aside("corrupt")
            if not usable:
                conn = self._connect()
                if not self._usable(conn):
                    msg = f"{self.path}: could not create a summary index"
                    raise IndexUnavailableError(msg)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(_LISTINGS)
        except (OSError, sqlite3.OperationalError) as exc:
            msg = f"summary index {self.path} cannot be used: {exc}"
            raise IndexUnavailableError(msg) from exc
        self._conn = conn
        return conn

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """The connection under the lock; a corrupt file found on the way is moved aside (the
        caller computes what it needed and the next use starts a new index).

        Raises
        ------
        IndexUnavailableError
            Locked beyond the timeout, unwritable or corrupt.
        """
        with self._lock:
            try:
                yield self.connection()
            except sqlite3.OperationalError as exc:
                msg = f"summary index {self.path} cannot be used now: {exc}"
                raise IndexUnavailableError(msg) from exc
            except sqlite3.DatabaseError as exc:
                self._move_aside(f"corrupt ({exc})")
                msg = f"summary index {self.path} was corrupt and is rebuilt: {exc}"
                raise IndexUnavailableError(msg) from exc

    # -- rows ----------------------------------------------------------------------------
    def repository_id(self, *, identity: str, url: str, adapter: str, version: str) -> int:
        """The id of the repository with this identity (URL, adapter, version, options)."""
        with self.session() as conn:
            row = conn.execute(
                "SELECT id FROM repositories WHERE identity = ?", (identity,)
            ).fetchone()
            if row is not None:
                return int(row[0])
            with self._transaction(conn):
                conn.execute(
                    "INSERT OR IGNORE INTO repositories (identity, url, adapter, version) "
                    "VALUES (?, ?, ?, ?)",
                    (identity, url, adapter, version),
                )
            row = conn.execute(
                "SELECT id FROM repositories WHERE identity = ?", (identity,)
            ).fetchone()
            return int(row[0])

    def rows(self, *, repo: int, proposal: str) -> dict[str, IndexRow]:
        """The stored rows of one proposal by scan key."""
        with self.session() as conn:
            cursor = conn.execute(
                "SELECT key, fingerprint, summary, sources FROM scans WHERE repo = ? AND proposal = ?",
                (repo, proposal),
            )
            make = IndexRow._make
            return {row[0]: make(row) for row in cursor}

    def write(
        self,
        *,
        repo: int,
        proposal: str,
        store: list[tuple[str, str, Any, str, str]],
        remove: Iterable[str],
    ) -> None:
        """Store ``(key, fingerprint digest, summary, its JSON, sources JSON)`` rows and remove ``remove``, in one
        transaction."""
        removed = list(remove)
        if not store and not removed:
            return
        rows = []
        words = []
        for key, digest, summary, text, sources in store:
            when = summary.time
            timestamp = None if when is None else when.timestamp()
            rows.append((repo, proposal, key, digest, sources, text, summary.type, summary.num_frames, timestamp, summary.description))  # fmt: skip
            words.append((key, summary_words(summary)))
        gone = [(repo, proposal, key) for key in removed]
        with self.session() as conn, self._transaction(conn):  # a statement per kind, not per row
            conn.executemany(
                "DELETE FROM scan_words WHERE rowid IN (SELECT id FROM scans "
                "WHERE repo = ? AND proposal = ? AND key = ?)",
                gone,
            )
            conn.executemany("DELETE FROM scans WHERE repo = ? AND proposal = ? AND key = ?", gone)
            conn.executemany(
                "INSERT INTO scans (repo, proposal, key, fingerprint, sources, summary, type, "
                "num_frames, time_unix, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (repo, proposal, key) DO UPDATE SET fingerprint = excluded."
                "fingerprint, sources = excluded.sources, summary = excluded.summary, "
                "type = excluded.type, num_frames = excluded.num_frames, time_unix = "
                "excluded.time_unix, description = excluded.description",
                rows,
            )
            if words:  # the full-text row of a scan has the scan row's id
                ids = dict(
                    conn.execute(
                        "SELECT key, id FROM scans WHERE repo = ? AND proposal = ?",
                        (repo, proposal),
                    ).fetchall()
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO scan_words (rowid, words) VALUES (?, ?)",
                    [(ids[key], text) for key, text in words],
                )

    def listing(self, *, repo: int, proposal: str) -> tuple[str, str] | None:
        """``(token JSON, keys JSON)`` stored for one proposal's listing, or ``None``."""
        with self.session() as conn:
            row = conn.execute(
                "SELECT token, keys FROM listings WHERE repo = ? AND proposal = ?", (repo, proposal)
            ).fetchone()
            return None if row is None else (str(row[0]), str(row[1]))

    def write_listing(self, *, repo: int, proposal: str, token: str, keys: str) -> None:
        """Store one proposal's listing (``keys`` JSON) under its ``token`` (JSON)."""
        with self.session() as conn, self._transaction(conn):
            conn.execute(
                "INSERT INTO listings (repo, proposal, token, keys) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (repo, proposal) DO UPDATE SET token = excluded.token, "
                "keys = excluded.keys",
                (repo, proposal, token, keys),
            )

    def forget(self, *, repo: int) -> None:
        """Remove every row of one repository (``nx5d index`` rebuilds it)."""
        with self.session() as conn, self._transaction(conn):
            conn.execute(
                "DELETE FROM scan_words WHERE rowid IN (SELECT id FROM scans WHERE repo = ?)",
                (repo,),
            )
            conn.execute("DELETE FROM scans WHERE repo = ?", (repo,))
            conn.execute("DELETE FROM listings WHERE repo = ?", (repo,))

    def select(
        self, *, repo: int, proposal: str | None, where: str, params: list[Any]
    ) -> list[tuple[str, str, float | None, str]]:
        """``(proposal, key, time_unix, summary)`` of the rows matching ``where``."""
        sql = "SELECT proposal, key, time_unix, summary FROM scans WHERE repo = ?"
        args: list[Any] = [repo]
        if proposal is not None:
            sql += " AND proposal = ?"
            args.append(proposal)
        with self.session() as conn:
            return conn.execute(f"{sql} AND ({where})", [*args, *params]).fetchall()

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __repr__(self) -> str:
        return f"<SummaryIndex {str(self.path)!r}>"


_open: dict[str, SummaryIndex] = {}
_open_lock = threading.Lock()


def shared_index(path: str | os.PathLike[str]) -> SummaryIndex:
    """The one :class:`SummaryIndex` of this process for ``path``."""
    key = os.path.abspath(path)  # noqa: PTH100 - a dictionary key, links kept
    with _open_lock:
        index = _open.get(key)
        if index is None:
            index = _open[key] = SummaryIndex(key)
        return index


def dumps(value: Any) -> str:
    """JSON text for identities (sorted keys; anything else as ``str``)."""
    return json.dumps(value, sort_keys=True, default=str)
