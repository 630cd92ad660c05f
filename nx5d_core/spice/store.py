"""SQLite storage of spice records: one file, WAL, safe for several processes.

Every write is one ``BEGIN IMMEDIATE`` transaction that checks the writer's base revision and
inserts the next one; a unique index on (proposal, handle, anchor, revision) makes two "current"
revisions impossible. Reads run in fresh transactions, so other processes' writes show at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SpiceStoreError
from .rows import SCHEMA, _Duplicate
from .sql_records import SqlRecords

if TYPE_CHECKING:
    from .backend import SpiceBackend

__all__ = ["SpiceStore", "SqliteSpiceStore", "open_store"]


logger = logging.getLogger(__name__)


class SqliteSpiceStore(SqlRecords):
    """Spice records in one SQLite database (the default backend; also :data:`SpiceStore`).

    Parameters
    ----------
    path
        A file path or ``sqlite:///path`` URL; ``None`` or ``":memory:"`` for a private
        in-memory store (tests, quick looks). Other URL schemes (``postgresql://``, ``s3://``)
        are refused: no store here serves them.

    A file that is an SQLite database of something else is refused and left untouched; a file
    (or folder) that cannot be written opens read-only, and only writes fail.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        text = os.fspath(path) if path is not None else ":memory:"
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute.db
        text = text.removeprefix("sqlite:///").removeprefix("file://")
        scheme = text.split("://", 1)[0] if "://" in text else ""
        if scheme:
            msg = (
                f"spice store URL scheme {scheme + '://'!r} is not supported: use a file path, "
                "sqlite:///path or (through open_store or a repository's spice=) "
                "postgresql://user@host/db (nothing was created)"
            )
            raise SpiceStoreError(msg)
        self.path = text
        self.read_only = False
        self._network: tuple[str, str] | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        if self.path == ":memory:":
            msg = "an in-memory spice store cannot be pickled; use a file-backed store"
            raise TypeError(msg)
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    # -- connection --------------------------------------------------------------------
    def _writable(self) -> bool:
        folder = Path(self.path).parent
        if Path(self.path).exists():
            return os.access(self.path, os.W_OK) and os.access(folder, os.W_OK)
        return True

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                conn = self._open()
            except sqlite3.DatabaseError as exc:
                msg = f"spice store {self.path!r} cannot be opened: {exc} (is it an nx5d spice SQLite file?)"
                raise SpiceStoreError(msg) from exc
            self._conn = conn
        return self._conn

    def _open(self) -> sqlite3.Connection:
        memory = self.path == ":memory:"
        self._network = None if memory else self._network_fs()
        if self._network is not None and not Path(self.path).exists():
            self.read_only = True  # nothing to read yet, and nothing may be written there
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.executescript(SCHEMA)
            return conn
        if not memory and (self._network is not None or not self._writable()):
            self.read_only = True
            uri = Path(self.path).resolve().as_uri()
            conn = sqlite3.connect(
                f"{uri}?mode=ro",
                uri=True,
                timeout=60,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                self._check_schema(conn, new_ok=False)
                conn.execute("SELECT COUNT(*) FROM nx5d_spice_records").fetchone()
            except sqlite3.OperationalError:
                # a WAL database in a read-only folder cannot make its -shm file: read it as immutable
                conn.close()
                conn = sqlite3.connect(
                    f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False
                )
                self._check_schema(conn, new_ok=False)
            return conn
        if not memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            fresh = self._check_schema(conn, new_ok=True)
            if not memory:
                conn.execute("PRAGMA journal_mode = WAL")
            if fresh:
                conn.executescript(SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    def _network_fs(self) -> tuple[str, str] | None:
        from .network_fs import store_network

        return store_network(Path(self.path))

    def _read_only_reason(self) -> str:
        from .network_fs import read_only_reason

        return read_only_reason(self.path, self._network)

    def _require_writable(self) -> None:
        with self._lock:
            self._connect()
        if self.read_only:
            raise SpiceStoreError(self._read_only_reason())

    def _check_schema(self, conn: sqlite3.Connection, *, new_ok: bool) -> bool:
        """Whether the database is empty (a new store); refuse one that holds something else."""
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and new_ok:
            return True
        marker = None
        if "nx5d_spice_meta" in tables:
            row = conn.execute("SELECT value FROM nx5d_spice_meta WHERE key = 'schema'").fetchone()
            marker = row[0] if row else None
        if marker is None or "nx5d_spice_records" not in tables:
            conn.close()
            shown = ", ".join(sorted(tables)[:5]) or "no tables"
            msg = (
                f"{self.path} is an SQLite database but not an nx5d spice store (tables: {shown}); "
                "refused and left untouched"
            )
            raise SpiceStoreError(msg)
        return False

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                raise _Duplicate(str(exc)) from exc
            except sqlite3.DatabaseError as exc:
                if write and self.read_only:
                    raise SpiceStoreError(self._read_only_reason()) from exc
                msg = f"spice store {self.path!r} failed: {exc}"
                raise SpiceStoreError(msg) from exc

    def close(self) -> None:
        """Close the database connection (it reopens on next use, except in memory)."""
        with self._lock:
            if self._conn is not None and self.path != ":memory:":
                self._conn.close()
                self._conn = None


SpiceStore = SqliteSpiceStore
"""The SQLite store, the name most code uses (``SpiceStore("lab.sqlite")``)."""


def open_store(spec: SpiceBackend | str | os.PathLike[str] | None) -> SpiceBackend:
    """See :func:`nx5d_core.spice.backends.open_store`."""
    from .backends import open_store as open_backend

    return open_backend(spec)
