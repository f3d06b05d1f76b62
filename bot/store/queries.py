"""Stored queries behind the "More"/"Older" paging buttons: a question or /latest listing, kept by a short key.

A button's callback data carries only the key (Telegram allows 64 bytes), so paging survives a restart
and a key pages only in the chat it was made for. Old keys are purged daily; their buttons then say the
results expired.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .db import Database
from .errors import IntegrityError


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class StoredQuery:
    """A question or /latest listing remembered so its paging buttons survive a restart."""

    key: str
    chat_id: int | None
    kind: str
    text: str
    as_of: str | None
    size: int
    created_at: str


class QueryRepo:
    """Reads and writes of the stored paging queries."""

    def __init__(self, db: Database) -> None:
        self.db = db  # the table is in bot/store/schema.py (an older SQLite file gets its chat_id column there)

    def save(self, kind: str, text: str, *, chat_id: int, as_of: str | None = None, size: int = 0) -> str:
        """Remember a query asked in ``chat_id``; its short key (8 URL-safe characters, fits in callback
        data) pages it in that chat only."""
        while True:
            key = secrets.token_urlsafe(6)
            try:
                with self.db.transaction() as conn:
                    conn.execute(
                        "INSERT INTO queries (key, chat_id, kind, text, as_of, size, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (key, chat_id, kind, text, as_of, size, _now()),
                    )
                return key
            except IntegrityError:  # a 48-bit collision: draw again
                continue

    def get(self, key: str, *, chat_id: int | None) -> StoredQuery | None:
        """The query behind ``key`` if it was asked in ``chat_id``; None when it expired, never existed, or
        belongs to another chat (a forged or forwarded key must not show one chat's question in another)."""
        rows = self.db.query(
            "SELECT key, chat_id, kind, text, as_of, size, created_at FROM queries "
            "WHERE key = ? AND chat_id = ?",
            (key, chat_id),
        )
        return StoredQuery(*tuple(rows[0])) if rows else None

    def purge(self, older_than: timedelta) -> int:
        """Forget queries older than ``older_than``: their buttons then say the results expired."""
        cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="seconds")
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM queries WHERE created_at < ?", (cutoff,)).rowcount
