"""Leases in the store: who holds a named role (the replicas' leader) and until when (the SQL; the thread
that holds the leader's lease is :class:`bot.leader.Leadership`).

A lease is a row ``(name, holder, expires_at)``. Its holder renews it well before it expires; anyone may
take it once it has expired. A holder killed with ``kill -9`` stops renewing, so another process takes
over within one lease time plus one renewal interval. The table is in the store's schema. One statement (an upsert whose ``DO UPDATE`` only
applies when the row is the caller's own or has expired) decides, inside one write transaction: on SQLite
the single writer makes it atomic, on PostgreSQL the row lock of ``ON CONFLICT DO UPDATE`` does.
"""

from __future__ import annotations

import time

from .db import Database

LEADER = "leader"


class LeaseRepo:
    """Reads and writes of the ``leases`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def acquire(self, name: str, holder: str, ttl: float, now: float | None = None) -> bool:
        """Take or renew ``name`` for ``ttl`` seconds; True when ``holder`` holds it afterwards."""
        now = time.time() if now is None else now
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, "
                "acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at "
                "ELSE excluded.acquired_at END "
                "WHERE leases.holder = excluded.holder OR leases.expires_at < excluded.acquired_at",
                (name, holder, now + ttl, now),
            )
            row = conn.execute("SELECT holder FROM leases WHERE name = ?", (name,)).fetchone()
        return row is not None and row[0] == holder

    def release(self, name: str, holder: str) -> bool:
        """Give ``name`` up at once (a clean stop), if ``holder`` holds it."""
        with self.db.transaction() as conn:
            return (
                conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)).rowcount > 0
            )

    def holder(self, name: str, now: float | None = None) -> str | None:
        """Who holds ``name`` now (None when nobody, or the lease expired)."""
        now = time.time() if now is None else now
        rows = self.db.query("SELECT holder, expires_at FROM leases WHERE name = ?", (name,))
        return rows[0][0] if rows and rows[0][1] >= now else None
