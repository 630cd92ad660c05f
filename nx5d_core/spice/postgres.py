"""Spice records on a PostgreSQL server, for a team working from several machines.

The same interface and guarantees as the SQLite store: every write is one transaction that reads
the chain's newest revision and inserts the next; the unique constraint on (proposal, handle,
anchor, revision) lets only one of two concurrent writers win, and the loser gets
:class:`~nx5d_core.spice.SpiceConflictError`. The schema is created on first use and versioned
(``nx5d_spice_meta``); later versions add migrations. The password of the URL never appears in
``repr``, errors, logs or provenance.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from .errors import SpiceStoreError
from .rows import _Duplicate
from .sql_records import SqlRecords

if TYPE_CHECKING:
    import psycopg

__all__ = ["SCHEMA_VERSION", "PostgresSpiceStore", "masked_url"]
logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_LOCK_KEY = 0x6E783564  # advisory lock taken while the schema is created or migrated
_MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE nx5d_spice_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        (
            "CREATE TABLE nx5d_spice_records ("
            " seq BIGSERIAL PRIMARY KEY,"
            " proposal TEXT NOT NULL, handle TEXT NOT NULL, anchor TEXT NOT NULL,"
            " revision INTEGER NOT NULL, uuid TEXT NOT NULL UNIQUE, parent TEXT,"
            " type TEXT NOT NULL, author TEXT NOT NULL, timestamp TEXT NOT NULL,"
            " data TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,"
            " UNIQUE (proposal, handle, anchor, revision))"
        ),
        "INSERT INTO nx5d_spice_meta VALUES ('schema', '1')",
    ],
}
"""Schema version -> statements that bring the previous version to it."""


def masked_url(url: str) -> str:
    """``url`` with the password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresSpiceStore(SqlRecords):
    """Spice records in a PostgreSQL database (``postgresql://user:password@host:port/db``).

    Needs the ``postgres`` extra (psycopg 3). Connects on first use.
    """

    def __init__(self, url: str) -> None:
        self.path = url
        self.read_only = False
        self._conn: Any = None
        self._lock = threading.RLock()
        self._password = urlsplit(url).password or ""

    @property
    def display(self) -> str:
        """The URL with the password masked."""
        return masked_url(self.path)

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def _clean(self, message: object) -> str:
        text = str(message)
        return text.replace(self._password, "***") if self._password else text

    # -- connection --------------------------------------------------------------------
    def _connect(self) -> Any:
        if self._conn is None or self._conn.closed:
            try:
                import psycopg
            except ImportError:
                msg = (
                    f"spice store {self.display!r} needs psycopg: pip install 'nx5d-core[postgres]'"
                )
                raise SpiceStoreError(msg) from None
            try:
                conn = psycopg.connect(self.path, autocommit=True, connect_timeout=30)
            except psycopg.Error as exc:
                msg = f"spice store {self.display!r} cannot be reached: {self._clean(exc)}"
                raise SpiceStoreError(msg) from None
            try:
                self._prepare(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            weakref.finalize(self, conn.close)  # a store dropped unclosed closes its connection
        return self._conn

    def _version(self, conn: psycopg.Connection[Any]) -> int | None:
        if conn.execute("SELECT to_regclass('nx5d_spice_meta')").fetchone() == (None,):
            if conn.execute("SELECT to_regclass('nx5d_spice_records')").fetchone() != (None,):
                msg = (
                    f"{self.display}: a table nx5d_spice_records exists without nx5d_spice_meta; "
                    "not an nx5d spice store, refused and left untouched"
                )
                raise SpiceStoreError(msg)
            return None
        row = conn.execute("SELECT value FROM nx5d_spice_meta WHERE key = 'schema'").fetchone()
        return None if row is None else int(row[0])

    def _prepare(self, conn: psycopg.Connection[Any]) -> None:
        """Create or migrate the schema (under an advisory lock, in one transaction)."""
        import psycopg

        try:
            version = self._version(conn)
        except SpiceStoreError:  # two catalog reads may straddle another process's creation:
            version = 0  # look again under the lock, where that creation has committed
        if version == SCHEMA_VERSION:
            self._check_writable(conn)
            return
        if version is not None and version > SCHEMA_VERSION:
            msg = (
                f"{self.display}: spice schema version {version} is newer than this nx5d_core "
                f"knows ({SCHEMA_VERSION}); update nx5d-core"
            )
            raise SpiceStoreError(msg)
        try:
            # a session lock taken before the transaction: its catalog reads then see what a
            # process that held the lock before us created
            conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
            try:
                with conn.transaction():
                    current = self._version(conn) or 0
                    for step in range(current + 1, SCHEMA_VERSION + 1):
                        for statement in _MIGRATIONS[step]:
                            conn.execute(statement)
                        conn.execute(
                            "UPDATE nx5d_spice_meta SET value = %s WHERE key = 'schema'",
                            (str(step),),
                        )
                        logger.info("spice store %s: schema at version %d", self.display, step)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
        except psycopg.errors.InsufficientPrivilege as exc:
            msg = (
                f"spice store {self.display!r} has no nx5d schema (version {version or 0}, need "
                f"{SCHEMA_VERSION}) and this role may not create it: {self._clean(exc)}"
            )
            raise SpiceStoreError(msg) from None
        except (psycopg.errors.DuplicateTable, psycopg.errors.UniqueViolation) as exc:
            # another process created it between our look and our lock (a stale catalog
            # cache can hide it): what counts is that the schema is now complete
            if self._version(conn) != SCHEMA_VERSION:
                msg = (
                    f"spice store {self.display!r}: creating the schema failed: {self._clean(exc)}"
                )
                raise SpiceStoreError(msg) from None
            logger.info("spice store %s: schema created by another process", self.display)
        self._check_writable(conn)

    def _check_writable(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute("SELECT has_table_privilege('nx5d_spice_records', 'INSERT')").fetchone()
        self.read_only = not (row and row[0])

    def _require_writable(self) -> None:
        with self._lock:
            self._connect()
        if self.read_only:
            msg = (
                f"spice store {self.display!r}: this database role may read but not write the "
                "spice records (no INSERT privilege); nothing written"
            )
            raise SpiceStoreError(msg)

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Any]:
        import psycopg

        with self._lock:
            conn = self._connect()
            try:
                with conn.transaction():
                    yield conn
            except psycopg.errors.UniqueViolation as exc:
                raise _Duplicate(self._clean(exc)) from None
            except psycopg.errors.InsufficientPrivilege as exc:
                msg = f"spice store {self.display!r}: permission denied, nothing written: {self._clean(exc)}"
                raise SpiceStoreError(msg) from None
            except psycopg.OperationalError as exc:
                self._conn = None  # a broken connection: reconnect on next use
                msg = f"spice store {self.display!r} failed: {self._clean(exc)}"
                raise SpiceStoreError(msg) from None
            except psycopg.Error as exc:
                msg = f"spice store {self.display!r} failed: {self._clean(exc)}"
                raise SpiceStoreError(msg) from None

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
