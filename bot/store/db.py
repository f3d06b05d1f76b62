"""The database behind the store: one interface, two dialects (SQLite by default, PostgreSQL by URL).

The repositories write their SQL once, in the subset both dialects accept: ``?`` placeholders,
``INSERT ... ON CONFLICT ... DO NOTHING / DO UPDATE``, ``RETURNING``, ``COALESCE``, no ``INSERT OR ...``.
:class:`Database` is what they hold: :meth:`Database.query` for reads, :meth:`Database.transaction` for
writes (one writer at a time, as SQLite has always had it), :meth:`Database.process_lock` for the
locks that span processes. :class:`SqliteDatabase` is here; the PostgreSQL one is in
:mod:`bot.store.postgres`. Why a thin layer and not SQLAlchemy: ``docs/postgres.md``.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from .errors import DataError, IntegrityError, StoreError, StoreFullError, StoreUnavailable, is_disk_full
from .locks import hold
from .migrations import upgrade
from .schema import SQLITE_SCHEMA

__all__ = ["Connection", "Cursor", "Database", "Row", "SqliteDatabase", "StoreFullError", "is_disk_full",
           "open_database"]  # fmt: skip

#: A result row: by position (``row[0]``), by column name (``row["id"]``), ``tuple(row)``, ``dict(row)``.
Row = Any


class Cursor(Protocol):
    """What a statement run inside a transaction returns (``sqlite3.Cursor`` and psycopg's agree)."""

    rowcount: int

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> list[Row]: ...


class Connection(Protocol):
    """The connection a transaction hands out: statements in the dialect-neutral SQL (``?`` marks)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Cursor: ...


class Database(ABC):
    """One store's database, shared by the repositories and safe to use from several threads."""

    #: ``"sqlite"`` or ``"postgresql"``: for the few statements that differ (see :mod:`bot.store.postgres`).
    dialect: str
    #: Where the data lives, safe to print: a file path, or a URL with its password replaced by ``***``.
    label: str
    #: The SQLite file (``None`` on PostgreSQL): files that sit beside the store are named after it.
    path: Path | None = None
    in_memory: bool = False

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query and fetch all rows."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction, committed whole or not at all; writers run one at a time.

        Raises :class:`StoreFullError`, :class:`StoreUnavailable`, :class:`IntegrityError` or
        :class:`DataError` (the driver's own errors never leave the store).
        """

    @abstractmethod
    def process_lock(
        self, name: str, *, wait: bool = True, on_wait: Callable[[str], None] | None = None
    ) -> AbstractContextManager[None]:
        """Hold the store-wide lock ``name`` ("ingest", "bot") against every other process on this store.

        Released when the block ends or the holder dies (``kill -9`` included). Without ``wait``,
        :class:`bot.store.locks.LockBusy` is raised when another process holds it.
        """

    @abstractmethod
    def close(self) -> None:
        """Close every connection (idempotent)."""


def open_database(target: Path | str) -> Database:
    """The database at ``target``: a ``postgresql://`` URL, or an SQLite file path (``:memory:`` too)."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresDatabase

        return PostgresDatabase(text)
    return SqliteDatabase(target)


def _translate_sqlite(exc: sqlite3.Error, path: Path) -> StoreError | StoreFullError:
    if is_disk_full(exc):
        return StoreFullError(path)
    if isinstance(exc, sqlite3.IntegrityError):
        return IntegrityError(str(exc))
    if isinstance(exc, sqlite3.DataError):
        return DataError(str(exc))
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return StoreUnavailable(f"the database {path} stayed locked by another process: {exc}")
    return StoreError(f"{type(exc).__name__}: {exc}")


class SqliteDatabase(Database):
    """One SQLite connection (WAL) shared by the repositories, guarded by a lock for use from threads."""

    dialect = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.in_memory = str(path) == ":memory:"
        self.label = str(path)
        if not self.in_memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self.conn.row_factory = sqlite3.Row
        # Processes opening one new file at once take turns: switching a fresh file to WAL does not wait
        # on SQLite's busy timeout ("database is locked"), and two upgrades must not rebuild one table.
        with self.process_lock("migrate"):
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            upgrade(self.conn, SQLITE_SCHEMA)  # a file from an older version: rebuilt tables first
            self.conn.executescript(SQLITE_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE``: SQLite's one writer): a crash leaves no half article.

        A full disk raises :class:`StoreFullError` with the transaction rolled back (SQLite may already
        have rolled it back itself, so the rollback is skipped when none is active).
        """
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise _translate_sqlite(exc, self.path) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query and fetch all rows."""
        with self.lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise _translate_sqlite(exc, self.path) from exc

    @contextmanager
    def process_lock(
        self, name: str, *, wait: bool = True, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """An ``flock`` on ``<database file>.<name>.lock`` (nothing to lock for ``:memory:``)."""
        if self.in_memory:
            yield
            return
        with hold(self.path.with_name(f"{self.path.name}.{name}.lock"), wait=wait, on_wait=on_wait):
            yield

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock:
            try:
                self.conn.close()
            except sqlite3.ProgrammingError:
                pass
