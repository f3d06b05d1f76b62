"""Waiting for article changes made by other processes (what wakes every replica's index follower).

On PostgreSQL the articles table notifies channel :data:`CHANNEL` from a statement trigger, with the
store's schema as payload (migration 2 in :mod:`bot.store.schema`): the notification leaves when the
ingesting transaction commits, never before, so a woken reader always finds the change. A waiter holds a
connection of its own that ``LISTEN``s; when that connection is lost (a restart) it falls back to the
timeout and reconnects at the next wait. On SQLite there is nothing to listen to: a wait lasts its
timeout and the caller looks at ``articles.max_seq()``, one index lookup.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "newsbot_articles"


class Changes:
    """Waits out the timeout (SQLite: the caller polls the change counter)."""

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True when woken by a change notification."""
        time.sleep(timeout)
        return False

    def close(self) -> None:
        """Nothing to release."""


class PostgresChanges(Changes):
    """``LISTEN`` on a connection of its own; woken by the articles table's notifications."""

    def __init__(self, url: str, schema: str, connect_kwargs: dict[str, Any]) -> None:
        self.url = url
        self.schema = schema
        self.kwargs = {k: v for k, v in connect_kwargs.items() if k != "row_factory"}
        self._conn: Any = None
        self._failing = False

    def _listen(self) -> Any:
        if self._conn is None or self._conn.closed or self._conn.broken:
            import psycopg

            self._conn = psycopg.connect(self.url, **{**self.kwargs, "autocommit": True})
            self._conn.execute(f"LISTEN {CHANNEL}")
        return self._conn

    def wait(self, timeout: float) -> bool:
        import psycopg

        try:
            conn = self._listen()
            for note in conn.notifies(timeout=timeout, stop_after=1):
                if note.payload in ("", self.schema):
                    if self._failing:
                        log.info("index follower: listening to the store's changes again")
                    self._failing = False
                    return True
            return False
        except psycopg.Error as exc:
            if not self._failing:
                log.warning("index follower: lost the store's change notifications (%s); polling until back", exc)
            self._failing = True
            self.close()
            time.sleep(timeout)
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a dead connection
                self._conn.close()
            self._conn = None


def changes_of(db: Any) -> Changes:
    """What to wait on for the database ``db``."""
    if getattr(db, "dialect", "sqlite") == "postgresql":
        return PostgresChanges(db.url, db.schema, getattr(db, "_kwargs", {}))
    return Changes()
