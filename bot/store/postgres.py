"""The store on PostgreSQL (psycopg 3 and its connection pool), behind the same :class:`Database` interface.

What this module adds to the dialect-neutral SQL of the repositories, and nothing more:

* placeholders: ``?`` becomes ``%s`` (and a literal ``%`` becomes ``%%``), once per statement text;
* rows readable by position and by name, as ``sqlite3.Row`` is;
* one writer at a time: every transaction first takes ``pg_advisory_xact_lock`` on the store's write
  key, as SQLite's ``BEGIN IMMEDIATE`` does. The article change counter (``seq``) is read and bumped
  inside the transaction, so it must grow in commit order or an index catching up with ``seq > n``
  would skip a row committed late; the planner's and the grouper's markers rely on the same order;
* process locks (ingest, bot) as session advisory locks on a connection of their own, released when it
  closes or its process dies, like the ``flock`` of the SQLite store;
* migrations: :func:`bot.store.migrations.migrate_postgres` under an advisory lock at start-up;
* errors: the driver's become :mod:`bot.store.errors`; a lost connection is :class:`StoreUnavailable`
  (a read is retried once on a fresh connection first: a PostgreSQL restart costs one reconnect).

The advisory-lock keys are derived from the schema name, so two stores in one database (tests use a
schema each) never share a lock. Design and measurements: ``docs/postgres.md``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, ClassVar

import psycopg
import psycopg_pool
from psycopg import errors as pgerrors

from bot.config import redact_url

from .db import Connection, Cursor, Database, Row
from .errors import DataError, IntegrityError, StoreError, StoreFullError, StoreUnavailable
from .locks import LockBusy
from .migrations import migrate_postgres
from .schema import POSTGRES_MIGRATIONS

log = logging.getLogger(__name__)

#: Seconds libpq waits for a new connection to be established.
CONNECT_TIMEOUT = 5
#: Seconds a read or write waits for a connection from the pool before it is :class:`StoreUnavailable`...
POOL_TIMEOUT = 2.0
#: ...and while the server is known to be out of reach (the last wait failed, none succeeded since): the
#: bot's event loop calls the store too, and must not stall for seconds on every call of an outage. The
#: pool keeps reconnecting in the background; the first call after it succeeded gets a connection at once.
DOWN_TIMEOUT = 0.05
#: How long the pool keeps retrying one connection (backing off from 1 s) before it gives up on it; the
#: next request then starts afresh, so a server back after an outage is used within seconds.
RECONNECT_TIMEOUT = 10
POOL_SIZE = 8  # per process: the bot's threads; answer workers open their own small pools

_STRING = re.compile(r"'(?:[^']|'')*'")


@lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` (a literal ``%`` doubled); string literals left alone."""
    parts: list[str] = []
    last = 0
    for m in _STRING.finditer(sql):
        parts.append(sql[last : m.start()].replace("%", "%%").replace("?", "%s"))
        parts.append(m.group(0).replace("%", "%%"))
        last = m.end()
    parts.append(sql[last:].replace("%", "%%").replace("?", "%s"))
    return "".join(parts)


class _Row(tuple):
    """A row by position or by column name; ``dict(row)`` works through :meth:`keys`."""

    __slots__ = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """Column names, in order."""
        return list(self._index)


@lru_cache(maxsize=512)
def _row_class(names: tuple[str, ...]) -> type[_Row]:
    return type("Row", (_Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)}})


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    if cursor.description is None:
        return tuple
    cls = _row_class(tuple(c.name for c in cursor.description))
    return cls


def _lock_key(schema: str, name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name`` in this store (database and schema)."""
    digest = hashlib.blake2b(f"newsbot:{schema}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _connection_lost(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.OperationalError) and not isinstance(exc, pgerrors.QueryCanceled)


class _Conn:
    """A pooled connection in a transaction, taking the repositories' ``?`` SQL."""

    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self._conn.execute(to_pyformat(sql), params or None)  # type: ignore[return-value]

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Cursor:
        rows = list(params)
        cur = self._conn.cursor()
        if rows:
            cur.executemany(to_pyformat(sql), rows)
            return cur  # type: ignore[return-value]
        return _NoRows()


class _NoRows:
    """What ``executemany`` of no rows returns: nothing changed."""

    rowcount = 0

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list[Row]:
        return []


class PostgresDatabase(Database):
    """A store in a PostgreSQL database (or one schema of it, chosen by the URL's ``search_path``)."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = redact_url(url)
        self._local = threading.local()
        self._kwargs: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": f"newsbot pid {os.getpid()}",
        }
        try:
            with psycopg.connect(url, **self._kwargs) as conn:
                schema = conn.execute("SELECT current_schema()").fetchone()[0]  # type: ignore[index]
                if schema is None:
                    raise StoreError(f"{self.label}: the schema its search_path names does not exist")
                self.schema = str(schema)
                migrate_postgres(conn, POSTGRES_MIGRATIONS, _lock_key(self.schema, "migrate"))
        except psycopg.Error as exc:
            raise self._translate(exc) from None
        self._write_key = _lock_key(self.schema, "write")
        self._down = False  # the last wait for a connection failed
        self.pool = psycopg_pool.ConnectionPool(
            url, min_size=1, max_size=POOL_SIZE, timeout=POOL_TIMEOUT, max_idle=60,
            reconnect_timeout=RECONNECT_TIMEOUT,
            kwargs={**self._kwargs, "row_factory": _row_factory}, name="newsbot", open=True,
        )  # fmt: skip

    # -- the interface -----------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query and fetch all rows (inside this thread's transaction, if one is open).

        A connection found dead (PostgreSQL restarted since it was opened) is dropped and the read
        tried again on the next one; only when no connection can be had is it :class:`StoreUnavailable`.
        """
        current = getattr(self._local, "conn", None)
        if current is not None:
            return current.execute(sql, params).fetchall()
        pgsql = to_pyformat(sql)
        for attempt in range(POOL_SIZE + 1):
            conn = self._getconn()
            try:
                return conn.execute(pgsql, params or None).fetchall()
            except psycopg.Error as exc:
                if not (_connection_lost(exc) and conn.broken and attempt < POOL_SIZE):
                    raise self._translate(exc) from None
                log.info("store: a connection to PostgreSQL was lost; reading on another one")
            finally:
                self.pool.putconn(conn)  # a broken one is discarded and replaced by the pool
        raise AssertionError("unreachable")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction; it first takes the store's write lock (one writer at a time).

        A connection that dies before the transaction started is replaced, as for reads; one that dies
        during it rolls it back (PostgreSQL's doing) and raises :class:`StoreUnavailable`. A commit cut
        off on the wire is the one case whose outcome is unknown; it is reported the same way.
        """
        if getattr(self._local, "conn", None) is not None:
            raise StoreError("a store transaction is already open in this thread")
        conn = self._begin()
        try:
            self._local.conn = _Conn(conn)
            yield self._local.conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if not conn.broken:
                try:
                    conn.execute("ROLLBACK")
                except psycopg.Error:
                    pass
            if isinstance(exc, psycopg.Error):
                raise self._translate(exc) from None
            raise
        finally:
            self._local.conn = None
            self.pool.putconn(conn)

    def _getconn(self) -> psycopg.Connection[Any]:
        try:
            conn = self.pool.getconn(timeout=DOWN_TIMEOUT if self._down else POOL_TIMEOUT)
        except psycopg.Error as exc:  # PoolTimeout: the server is out of reach (or every connection busy)
            if not self._down:
                log.warning("store: no connection to PostgreSQL at %s; answering 'busy' until it is back",
                            self.label)  # fmt: skip
            self._down = True
            raise self._translate(exc) from None
        if self._down:
            log.warning("store: connected to PostgreSQL at %s again", self.label)
            self._down = False
        return conn

    def _begin(self) -> psycopg.Connection[Any]:
        """A pooled connection with a transaction begun and the write lock taken."""
        for attempt in range(POOL_SIZE + 1):
            conn = self._getconn()
            try:
                conn.execute("BEGIN")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._write_key,))
                return conn
            except psycopg.Error as exc:
                if not conn.broken:
                    try:
                        conn.execute("ROLLBACK")
                    except psycopg.Error:
                        pass
                self.pool.putconn(conn)
                if not (_connection_lost(exc) and conn.broken and attempt < POOL_SIZE):
                    raise self._translate(exc) from None
            except BaseException:
                self.pool.putconn(conn)
                raise
        raise AssertionError("unreachable")

    @contextmanager
    def process_lock(
        self, name: str, *, wait: bool = True, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """A session advisory lock on a connection of its own, held for the block."""
        key = _lock_key(self.schema, name)
        try:
            conn = psycopg.connect(self.url, **self._kwargs)
        except psycopg.Error as exc:
            raise self._translate(exc) from None
        try:
            if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:  # type: ignore[index]
                holder = self._holder(conn, key)
                if not wait:
                    raise LockBusy(f"{self.label} ({name} lock)", holder)  # type: ignore[arg-type]
                if on_wait is not None:
                    on_wait(holder)
                conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            yield
        except psycopg.Error as exc:
            raise self._translate(exc) from None
        finally:
            conn.close()  # ends the session: the lock goes with it

    def close(self) -> None:
        """Close the pool (idempotent)."""
        self.pool.close()

    # -- helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _holder(conn: psycopg.Connection[Any], key: int) -> str:
        """Who holds an advisory lock, as its ``application_name`` says ("newsbot pid 123")."""
        unsigned = key & 0xFFFFFFFFFFFFFFFF
        row = conn.execute(
            "SELECT a.application_name, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 1",
            (unsigned >> 32, unsigned & 0xFFFFFFFF),
        ).fetchone()
        if row is None:
            return "another process"
        name = str(row[0] or "")
        return name.removeprefix("newsbot ") if name.startswith("newsbot pid ") else f"backend {row[1]}"

    def _scrub(self, text: str) -> str:
        """``text`` without the URL's password, should a driver message ever quote it."""
        password = psycopg.conninfo.conninfo_to_dict(self.url).get("password")
        return text.replace(str(password), "***") if password else text

    def _translate(self, exc: psycopg.Error) -> StoreError | StoreFullError:
        message = self._scrub(str(exc)).strip() or type(exc).__name__
        if isinstance(exc, pgerrors.DiskFull):
            return StoreFullError(self.label)
        if isinstance(exc, psycopg.IntegrityError):
            return IntegrityError(message)
        if isinstance(exc, psycopg.DataError):
            return DataError(message)
        if isinstance(exc, psycopg.OperationalError):
            first = message.splitlines()[0]
            return StoreUnavailable(f"PostgreSQL at {self.label} is unavailable: {first}")
        return StoreError(f"{type(exc).__name__}: {message}")
