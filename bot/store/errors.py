"""The store's own exceptions: what callers catch, whichever database (SQLite or PostgreSQL) is behind it.

Each dialect turns its driver's errors into these in one place (``Database.query`` and
``Database.transaction``), so code above the store never imports ``sqlite3`` or ``psycopg``.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from bot.errors import Unavailable


class StoreError(Exception):
    """Something the store could not do; the message is safe to log (never a password)."""


class IntegrityError(StoreError):
    """A write broke a key or a constraint (a duplicate key, say); nothing of the transaction stayed."""


class DataError(StoreError, ValueError):
    """A value the database cannot hold (text with a NUL byte on PostgreSQL, an integer too large)."""


class StoreUnavailable(StoreError, Unavailable):
    """The database cannot be reached right now (PostgreSQL restarting, the network down, the pool busy).

    The operation did not happen, or for a write whose commit was cut off, may not have happened: the
    caller says "busy, try again" to a person, and a push waits for the next round. Nothing was half
    written: every write is one transaction.
    """


class StoreFullError(OSError):
    """The disk holding the database is full: the transaction in flight was rolled back, earlier ones stay.

    An ``OSError`` with ``errno.ENOSPC``, so one ``except OSError`` that checks the errno handles a full
    disk wherever it shows up (the database, the index files, a lock file).
    """

    def __init__(self, where: Path | str) -> None:
        super().__init__(errno.ENOSPC, "the disk holding the database is full", str(where))


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLite's "database or disk is full" and for an OSError with ENOSPC (or EDQUOT)."""
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
