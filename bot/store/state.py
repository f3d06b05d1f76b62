"""Small bits of durable state: feed validators for conditional GET, and key/value markers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .db import Database


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the last fetch of a feed told us, for If-None-Match / If-Modified-Since."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    checked_at: str | None = None
    last_error: str | None = None


class StateRepo:
    """Feed validators and named markers (e.g. how far subscription matching has got)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def feed(self, url: str) -> FeedState:
        """The stored state of a feed, or an empty one."""
        rows = self.db.query("SELECT url, etag, last_modified, checked_at, last_error FROM feeds WHERE url = ?", (url,))
        return FeedState(**dict(rows[0])) if rows else FeedState(url=url)

    def save_feed(self, state: FeedState) -> None:
        """Remember validators and the outcome of the last fetch."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO feeds (url, etag, last_modified, checked_at, last_error) "
                "VALUES (?, ?, ?, ?, ?)",
                (state.url, state.etag, state.last_modified,
                 state.checked_at or datetime.now(timezone.utc).isoformat(timespec="seconds"), state.last_error),
            )  # fmt: skip

    def get(self, key: str, default: str | None = None) -> str | None:
        """A named marker."""
        rows = self.db.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set(self, key: str, value: str) -> None:
        """Set a named marker."""
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
