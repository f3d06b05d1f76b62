"""Scheduled digests: each chat's (forum topic's) digest setting, each chat's time zone, and the digests
sent, recorded in the delivery log.

A digest occupies delivery-log rows keyed by its period (``deliveries.period``, e.g. ``daily:2026-03-29``):
one row with ``article_id = 0`` that claims the period, and one row per article it shows. The claim is
inserted as ``sending`` *before* the message is sent, and the primary key lets only one process insert
it, so a digest goes out at most once per (chat, topic, period), across restarts: a crash between the
claim and the send loses that one digest rather than doubling it. It then becomes ``sent``, ``dropped``
(refused, or nothing to send) or ``unconfirmed`` (the request may have posted: never repeated).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .db import Database

#: article_id of the row that claims a digest's period in the delivery log.
CLAIM = 0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class DigestSetting:
    """One chat's (forum topic's) digest: on which topic, daily or weekly, at what local time."""

    chat_id: int
    thread_id: int
    topic: str
    every: str
    weekday: int | None
    at: str  # HH:MM
    timezone: str = "UTC"
    created_at: str = ""  # ISO UTC: occurrences before it are not due (a new digest starts with the next)


class DigestRepo:
    """All reads and writes of digest settings, time zones and digest records."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- time zones ----------------------------------------------------------------------------------

    def set_timezone(self, chat_id: int, kind: str, title: str, timezone: str) -> None:
        """Set a chat's time zone (an IANA name already checked by the caller)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO chats (chat_id, kind, title, timezone, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(chat_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at",
                (chat_id, kind, title, timezone, _now()),
            )

    def timezone(self, chat_id: int) -> str:
        """A chat's time zone; UTC unless set."""
        rows = self.db.query("SELECT timezone FROM chats WHERE chat_id = ?", (chat_id,))
        return (rows[0][0] if rows else None) or "UTC"

    # -- settings ------------------------------------------------------------------------------------

    def set(self, setting: DigestSetting, created_by: int | None) -> None:
        """Create or replace the digest of a chat (forum topic); ``setting.created_at`` is kept as given."""
        s = setting
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO digests (chat_id, thread_id, topic, every, weekday, at, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, thread_id) DO UPDATE SET "
                "topic = excluded.topic, every = excluded.every, weekday = excluded.weekday, at = excluded.at, "
                "created_by = excluded.created_by, created_at = excluded.created_at",
                (s.chat_id, s.thread_id, s.topic, s.every, s.weekday, s.at, created_by, s.created_at or _now()),
            )

    def remove(self, chat_id: int, thread_id: int) -> bool:
        """Turn a chat's (forum topic's) digest off; True if there was one."""
        with self.db.transaction() as conn:
            cur = conn.execute("DELETE FROM digests WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id))
            return cur.rowcount > 0

    def get(self, chat_id: int, thread_id: int) -> DigestSetting | None:
        """A chat's (forum topic's) digest setting, with the chat's time zone."""
        found = self._select("WHERE d.chat_id = ? AND d.thread_id = ?", (chat_id, thread_id))
        return found[0] if found else None

    def active(self) -> list[DigestSetting]:
        """Every digest whose chat and forum topic are not paused: what the scheduler checks."""
        return self._select("WHERE COALESCE(c.paused, 0) = 0 AND COALESCE(t.paused, 0) = 0", ())

    def _select(self, where: str, args: tuple[int, ...]) -> list[DigestSetting]:
        rows = self.db.query(
            "SELECT d.chat_id, d.thread_id, d.topic, d.every, d.weekday, d.at, COALESCE(c.timezone, 'UTC'), "
            "d.created_at "
            "FROM digests d LEFT JOIN chats c ON c.chat_id = d.chat_id "
            "LEFT JOIN topics t ON t.chat_id = d.chat_id AND t.thread_id = d.thread_id "
            f"{where} ORDER BY d.chat_id, d.thread_id",
            args,
        )
        return [DigestSetting(*tuple(r)) for r in rows]

    # -- content -------------------------------------------------------------------------------------

    def shown_before(self, chat_id: int, thread_id: int) -> set[int]:
        """Articles a chat (forum topic) already got in a digest."""
        rows = self.db.query(
            "SELECT article_id FROM deliveries WHERE chat_id = ? AND thread_id = ? AND period != '' "
            "AND article_id != 0 AND status = 'sent'",
            (chat_id, thread_id),
        )
        return {r[0] for r in rows}

    # -- the delivery log ----------------------------------------------------------------------------

    def recorded(self, chat_id: int, thread_id: int, period: str) -> bool:
        """Whether this period's digest was already claimed (sent, being sent, or found empty)."""
        rows = self.db.query(
            "SELECT 1 FROM deliveries WHERE chat_id = ? AND thread_id = ? AND article_id = ? AND period = ?",
            (chat_id, thread_id, CLAIM, period),
        )
        return bool(rows)

    def claim(
        self, chat_id: int, thread_id: int, period: str, article_ids: Iterable[int], status: str = "sending"
    ) -> bool:
        """Claim a period for one digest, listing its articles; False if it was claimed before.

        ``status='dropped'`` records a period that had nothing to send, so it is not looked at again.
        """
        now = _now()
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO deliveries (chat_id, thread_id, article_id, period, status, queued_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (chat_id, thread_id, CLAIM, period, status, now),
            )
            if cur.rowcount == 0:
                return False
            conn.executemany(
                "INSERT INTO deliveries (chat_id, thread_id, article_id, period, status, queued_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(chat_id, thread_id, a, period, status, now) for a in article_ids if a != CLAIM],
            )
            return True

    def finish(self, chat_id: int, thread_id: int, period: str, status: str, message_id: int | None = None) -> None:
        """Record how a claimed digest ended: 'sent' (with its message id), 'dropped' or 'unconfirmed'."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET status = ?, sent_at = ?, message_id = ? "
                "WHERE chat_id = ? AND thread_id = ? AND period = ?",
                (status, _now() if status == "sent" else None, message_id, chat_id, thread_id, period),
            )

    def release(self, chat_id: int, thread_id: int, period: str) -> None:
        """Forget a claim whose message certainly did not go out (flood control), so it is tried again."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM deliveries WHERE chat_id = ? AND thread_id = ? AND period = ?",
                (chat_id, thread_id, period),
            )
