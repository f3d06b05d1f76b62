"""Stories: which articles report the same event, stored per article so every process agrees.

One row per grouped article: ``story_id`` is the id of the article that started the story (so a story
of one article has its own id). Rows are written together with the grouper's progress marker in one
transaction, and never rewritten: a story id, once given, is stable for pushes, digests and /latest.
An article without a row (flagged, or not grouped yet) is its own story.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .db import Database

MARK_SEQ = "stories.grouped_seq"
#: Delivery states of a push that reached (or may have reached) the chat: a story it showed is not
#: shown again by another card within the repeat window.
POSTED = "'sent', 'sending', 'unconfirmed'"


@dataclass(frozen=True, slots=True)
class Grouped:
    """A grouped article near a given day: a candidate for a new article to join."""

    article_id: int
    story_id: int
    published: date


class StoryRepo:
    """All reads and writes of story assignments."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def marker(self) -> int:
        """The article change counter up to which articles have been grouped."""
        rows = self.db.query("SELECT value FROM meta WHERE key = ?", (MARK_SEQ,))
        return int(rows[0][0]) if rows else 0

    def assign(self, rows: Sequence[tuple[int, int, float | None]], seq: int) -> int:
        """Store ``(article id, story id, score)`` rows and advance the marker to ``seq``, atomically.

        An article grouped already keeps its story (another process may have grouped it first).
        Returns rows newly written.
        """
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.db.transaction() as conn:
            written = conn.executemany(
                "INSERT INTO stories (article_id, story_id, score, grouped_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(a, s, score, now) for a, s, score in rows],
            ).rowcount if rows else 0
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value "
                "WHERE CAST(meta.value AS BIGINT) < CAST(excluded.value AS BIGINT)",
                (MARK_SEQ, str(seq)),
            )
            return written

    def merge(self, into: int, stories: Iterable[int]) -> int:
        """Make ``stories`` part of story ``into`` (one article turned out to report both); rows moved."""
        others = [int(s) for s in stories if int(s) != into]
        if not others:
            return 0
        marks = ",".join("?" * len(others))
        with self.db.transaction() as conn:
            return conn.execute(
                f"UPDATE stories SET story_id = ? WHERE story_id IN ({marks})", (into, *others)
            ).rowcount

    def near(self, first: date, last: date) -> list[Grouped]:
        """Grouped live articles published between ``first`` and ``last`` (inclusive)."""
        rows = self.db.query(
            "SELECT s.article_id, s.story_id, a.published FROM stories s "
            "JOIN articles a ON a.id = s.article_id "
            "WHERE a.published BETWEEN ? AND ? AND a.deleted = 0 AND a.flagged IS NULL ORDER BY a.id",
            (first.isoformat(), last.isoformat()),
        )
        return [Grouped(r[0], r[1], date.fromisoformat(r[2])) for r in rows]

    def story_of(self, article_ids: Iterable[int]) -> dict[int, int]:
        """Story id of each article (its own id when it was not grouped)."""
        wanted = list(dict.fromkeys(int(i) for i in article_ids))
        found = {i: i for i in wanted}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.db.query(
                f"SELECT article_id, story_id FROM stories WHERE article_id IN ({marks})", tuple(chunk)
            ):
                found[r[0]] = r[1]
        return found

    def members(self, story_ids: Iterable[int]) -> dict[int, list[int]]:
        """Live article ids of each story, oldest published first (a story's starter included)."""
        wanted = list(dict.fromkeys(int(i) for i in story_ids))
        found: dict[int, list[int]] = {s: [] for s in wanted}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                "SELECT a.id, COALESCE(s.story_id, a.id) FROM articles a "
                "LEFT JOIN stories s ON s.article_id = a.id "
                f"WHERE (s.story_id IN ({marks}) OR a.id IN ({marks})) "
                "AND a.deleted = 0 AND a.flagged IS NULL "
                "ORDER BY a.published, a.id",
                (*chunk, *chunk),
            )
            for article_id, story_id in rows:
                if story_id in found:
                    found[story_id].append(article_id)
        return found

    def sent_recently(
        self, chat_id: int, story_ids: Iterable[int], within: timedelta, *, thread_id: int = 0
    ) -> set[int]:
        """Stories of which the chat (forum topic) was pushed an article within ``within`` (delivery log)."""
        wanted = list(dict.fromkeys(int(i) for i in story_ids))
        if not wanted:
            return set()
        since = (datetime.now(UTC) - within).isoformat(timespec="seconds")
        found: set[int] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                "SELECT DISTINCT COALESCE(s.story_id, d.article_id) FROM deliveries d "
                "LEFT JOIN stories s ON s.article_id = d.article_id "
                "WHERE d.chat_id = ? AND d.thread_id = ? AND d.period = '' "
                f"AND d.status IN ({POSTED}) AND COALESCE(d.sent_at, d.queued_at) >= ? "
                f"AND COALESCE(s.story_id, d.article_id) IN ({marks})",
                (chat_id, thread_id, since, *chunk),
            )
            found.update(r[0] for r in rows)
        return found

    def live_ids_by_uid(self, uids: Iterable[str]) -> dict[str, int]:
        """Ids of the live, unflagged articles (those the bot shows and groups) with these uids."""
        wanted = list(dict.fromkeys(uids))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                f"SELECT uid, id FROM articles WHERE uid IN ({marks}) AND deleted = 0 AND flagged IS NULL",
                tuple(chunk),
            )
            found.update((r[0], r[1]) for r in rows)
        return found

    def counts(self) -> Mapping[str, int]:
        """Grouped articles and stories with more than one article (for logs and the bench)."""
        row = self.db.query(
            "SELECT COUNT(*), (SELECT COUNT(*) FROM (SELECT story_id FROM stories GROUP BY story_id "
            "HAVING COUNT(*) > 1) AS multi) FROM stories"
        )[0]
        return {"grouped": int(row[0]), "multi_article_stories": int(row[1])}
