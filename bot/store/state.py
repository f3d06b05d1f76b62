"""Small bits of durable state: feed validators for conditional GET, and key/value markers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .db import Database

CHROME_SCHEMA = """
CREATE TABLE IF NOT EXISTS chrome_lines (
    source TEXT NOT NULL,
    key    INTEGER NOT NULL,                 -- 64-bit hash of a normalised line (or widget head/tail)
    n      INTEGER NOT NULL,                 -- distinct articles of this source it occurs in
    PRIMARY KEY (source, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chrome_lines_n ON chrome_lines(n);
CREATE TABLE IF NOT EXISTS chrome_counted (
    uid TEXT PRIMARY KEY                     -- articles whose lines are in chrome_lines (counted once)
) WITHOUT ROWID;
"""


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
        with db.lock:
            db.conn.executescript(CHROME_SCHEMA)

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
                 state.checked_at or datetime.now(UTC).isoformat(timespec="seconds"), state.last_error),
            )  # fmt: skip

    def get(self, key: str, default: str | None = None) -> str | None:
        """A named marker."""
        rows = self.db.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set(self, key: str, value: str) -> None:
        """Set a named marker."""
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- learned site chrome (see bot.ingest.chrome) ---------------------------------------------------

    def chrome_counted_uids(self) -> set[str]:
        """Uids of the articles whose lines are already in the chrome counts."""
        return {row[0] for row in self.db.query("SELECT uid FROM chrome_counted")}

    def add_chrome_counts(self, rows: Iterable[tuple[str, int, int]], uids: Iterable[str]) -> None:
        """Add (source, key, articles) counts and mark ``uids`` counted, in one transaction.

        Both in one transaction so a crash can never count an article twice or half.
        """
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO chrome_lines (source, key, n) VALUES (?, ?, ?) "
                "ON CONFLICT(source, key) DO UPDATE SET n = n + excluded.n",
                rows,
            )
            conn.executemany("INSERT OR IGNORE INTO chrome_counted (uid) VALUES (?)", ((u,) for u in uids))

    def chrome_keys(self, min_articles: int) -> dict[str, set[int]]:
        """Per source, the keys seen in at least ``min_articles`` distinct articles."""
        found: dict[str, set[int]] = {}
        for row in self.db.query("SELECT source, key FROM chrome_lines WHERE n >= ?", (min_articles,)):
            found.setdefault(row[0], set()).add(row[1])
        return found
