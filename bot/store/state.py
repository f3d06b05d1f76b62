"""Small bits of durable state: feed validators for conditional GET, and key/value markers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .db import Database

#: Set a named marker (``meta``), inserted or replaced.
UPSERT_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


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
                "INSERT INTO feeds (url, etag, last_modified, checked_at, last_error) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "checked_at = excluded.checked_at, last_error = excluded.last_error",
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
            conn.execute(UPSERT_META, (key, value))

    # -- learned site chrome (see bot.ingest.chrome) ---------------------------------------------------

    def chrome_counted_uids(self) -> set[str]:
        """Uids of the articles whose lines are already in the chrome counts."""
        return {row[0] for row in self.db.query("SELECT uid FROM chrome_counted")}

    def add_chrome_counts(
        self, uids: Iterable[str], rows_for: Callable[[set[str]], Iterable[tuple[str, int, int]]]
    ) -> int:
        """Count articles into the chrome statistics, each article once however often it is offered.

        In one transaction: mark ``uids`` counted, keep those not counted before (by another ingest
        since this one read :meth:`chrome_counted_uids`, say), and add ``rows_for(new)``, the
        (source, key, articles) counts of exactly those articles. A crash counts an article whole or not
        at all, and two ingests that counted the same article add it once. Returns how many were new.
        """
        claim = "INSERT INTO chrome_counted (uid) VALUES (?) ON CONFLICT DO NOTHING"
        with self.db.transaction() as conn:
            new = {uid for uid in uids if conn.execute(claim, (uid,)).rowcount}
            if new:
                conn.executemany(
                    "INSERT INTO chrome_lines (source, key, n) VALUES (?, ?, ?) "
                    "ON CONFLICT (source, key) DO UPDATE SET n = chrome_lines.n + excluded.n",
                    rows_for(new),
                )
            return len(new)

    def chrome_totals(self) -> tuple[int, int, int]:
        """(keys, sum of article counts, articles counted) of the chrome statistics: equal after one
        ingest and after several of the same input at once, since each article is counted once."""
        keys, total = self.db.query("SELECT COUNT(*), CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM chrome_lines")[0]
        counted = self.db.query("SELECT COUNT(*) FROM chrome_counted")[0][0]
        return keys, total, counted

    def chrome_keys(self, min_articles: int) -> dict[str, set[int]]:
        """Per source, the keys seen in at least ``min_articles`` distinct articles."""
        found: dict[str, set[int]] = {}
        for row in self.db.query("SELECT source, key FROM chrome_lines WHERE n >= ?", (min_articles,)):
            found.setdefault(row[0], set()).add(row[1])
        return found
