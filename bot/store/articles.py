"""Articles: upsert with URL and body deduplication, change feed for the index, listings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum

from bot.models import Article, body_fingerprint

from .db import Connection, Database, Row

_COLUMNS = "id, uid, url, title, text, published, source, authors, credit, flagged, summary, deleted, seq"


class Outcome(str, Enum):
    """What an upsert did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """The outcome of storing one article, and the id of the stored (or duplicated) article."""

    outcome: Outcome
    article_id: int


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """What the corpus covers, for `/sources` and the CLI."""

    articles: int
    flagged: int
    sources: list[tuple[str, int]]
    first: date | None
    last: date | None
    last_ingest: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def row_to_article(row: Row) -> Article:
    """Build an Article from a row selected with the standard columns."""
    return Article(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        text=row["text"],
        published=date.fromisoformat(row["published"]),
        source=row["source"],
        authors=tuple(json.loads(row["authors"] or "[]")),
        credit=row["credit"],
        flagged=row["flagged"],
        summary=bool(row["summary"]),
        deleted=bool(row["deleted"]),
        seq=row["seq"],
    )


class ArticleRepo:
    """All reads and writes of articles."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writing -------------------------------------------------------------------------------------

    def upsert_many(self, articles: Sequence[Article]) -> list[UpsertResult]:
        """Store a batch in one transaction: all of it survives a crash after return, none of it before."""
        with self.db.transaction() as conn:
            seq = self._max_seq(conn)
            results = []
            for article in articles:
                result, seq = self._upsert(conn, article, seq)
                results.append(result)
            return results

    def upsert(self, article: Article) -> UpsertResult:
        """Store one article (see :meth:`upsert_many`)."""
        return self.upsert_many([article])[0]

    def delete(self, article_id: int) -> bool:
        """Mark an article deleted so that it stops matching; True if it existed."""
        with self.db.transaction() as conn:
            seq = self._max_seq(conn) + 1
            cur = conn.execute(
                "UPDATE articles SET deleted = 1, seq = ? WHERE id = ? AND deleted = 0", (seq, article_id)
            )
            return cur.rowcount > 0

    @staticmethod
    def _max_seq(conn: Connection) -> int:
        return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0]

    def _upsert(self, conn: Connection, a: Article, seq: int) -> tuple[UpsertResult, int]:
        uid = a.uid
        fingerprint = body_fingerprint(a.text)
        values = (
            a.url, a.title, a.text, a.published.isoformat(), a.source,
            json.dumps(list(a.authors), ensure_ascii=False), a.credit, fingerprint, a.flagged, int(a.summary),
        )  # fmt: skip
        existing = conn.execute(
            "SELECT id, url, title, text, published, source, authors, credit, body_hash, flagged, summary, "
            "deleted FROM articles WHERE uid = ?",
            (uid,),
        ).fetchone()
        if existing is not None:
            if tuple(existing)[1:11] == values and not existing["deleted"]:
                return UpsertResult(Outcome.UNCHANGED, existing["id"]), seq
            seq += 1
            conn.execute(
                "UPDATE articles SET url=?, title=?, text=?, published=?, source=?, authors=?, credit=?, "
                "body_hash=?, flagged=?, summary=?, deleted=0, seq=?, ingested_at=? WHERE id=?",
                (*values, seq, _now(), existing["id"]),
            )
            return UpsertResult(Outcome.UPDATED, existing["id"]), seq
        if a.flagged is None:
            twin = conn.execute(
                "SELECT id FROM articles WHERE body_hash = ? AND deleted = 0 AND flagged IS NULL LIMIT 1",
                (fingerprint,),
            ).fetchone()
            if twin is not None:
                known = conn.execute("SELECT article_id FROM duplicates WHERE uid = ?", (uid,)).fetchone()
                if known is not None and known["article_id"] == twin["id"]:
                    # Seen before as this same duplicate: re-ingesting it changes nothing.
                    return UpsertResult(Outcome.UNCHANGED, twin["id"]), seq
                conn.execute(
                    "INSERT INTO duplicates (uid, url, article_id, seen_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (uid) DO UPDATE SET url = excluded.url, article_id = excluded.article_id, "
                    "seen_at = excluded.seen_at",
                    (uid, a.url, twin["id"], _now()),
                )
                return UpsertResult(Outcome.DUPLICATE, twin["id"]), seq
        seq += 1
        row = conn.execute(
            "INSERT INTO articles (uid, url, title, text, published, source, authors, credit, body_hash, "
            "flagged, summary, seq, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (uid, *values, seq, _now()),
        ).fetchone()
        return UpsertResult(Outcome.ADDED, int(row[0])), seq

    # -- reading -------------------------------------------------------------------------------------

    def max_seq(self) -> int:
        """The newest change counter: the index compares it with its own to know it is behind."""
        return self.db.query("SELECT COALESCE(MAX(seq), 0) FROM articles")[0][0]

    def count(self, include_flagged: bool = False) -> int:
        """Number of live articles."""
        sql = "SELECT COUNT(*) FROM articles WHERE deleted = 0"
        if not include_flagged:
            sql += " AND flagged IS NULL"
        return self.db.query(sql)[0][0]

    def get(self, article_id: int) -> Article | None:
        """One article by id (deleted ones too, marked as such)."""
        rows = self.db.query(f"SELECT {_COLUMNS} FROM articles WHERE id = ?", (article_id,))
        return row_to_article(rows[0]) if rows else None

    def get_many(self, ids: Iterable[int]) -> dict[int, Article]:
        """Articles by id, in one query per 500 ids."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: dict[int, Article] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"SELECT {_COLUMNS} FROM articles WHERE id IN ({marks})", tuple(chunk)):
                found[row["id"]] = row_to_article(row)
        return found

    def get_by_url(self, url: str) -> Article | None:
        """The article stored under this URL (after normalization)."""
        from bot.models import article_uid

        rows = self.db.query(f"SELECT {_COLUMNS} FROM articles WHERE uid = ?", (article_uid(url),))
        return row_to_article(rows[0]) if rows else None

    def changes_since(self, seq: int, batch: int = 2000) -> Iterator[Article]:
        """Every article written after ``seq`` (deleted and flagged ones included), in seq order.

        Streams in batches with a fresh query each, so a full build of 26k articles does not hold the
        whole corpus in memory and does not keep a read transaction open.
        """
        last = seq
        while True:
            rows = self.db.query(
                f"SELECT {_COLUMNS} FROM articles WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch)
            )
            if not rows:
                return
            for row in rows:
                yield row_to_article(row)
            last = rows[-1]["seq"]

    def latest(self, limit: int = 5, offset: int = 0, before: date | None = None) -> list[Article]:
        """Newest live, unflagged articles first (ties: newest ingested first)."""
        sql = f"SELECT {_COLUMNS} FROM articles WHERE deleted = 0 AND flagged IS NULL"
        params: list[object] = []
        if before is not None:
            sql += " AND published <= ?"
            params.append(before.isoformat())
        sql += " ORDER BY published DESC, id DESC LIMIT ? OFFSET ?"
        params += [limit, offset]
        return [row_to_article(r) for r in self.db.query(sql, tuple(params))]

    def published_between(self, start: date, end: date, limit: int | None = 500) -> list[Article]:
        """Live, unflagged articles published from ``start`` to ``end`` (inclusive), newest first
        (all of them with ``limit=None``: a digest's period)."""
        sql = (f"SELECT {_COLUMNS} FROM articles WHERE deleted = 0 AND flagged IS NULL AND published >= ? "
               "AND published <= ? ORDER BY published DESC, id DESC")  # fmt: skip
        params: tuple[object, ...] = (start.isoformat(), end.isoformat())
        if limit is not None:
            sql, params = sql + " LIMIT ?", (*params, limit)
        rows = self.db.query(sql, params)
        return [row_to_article(r) for r in rows]

    def nearest_days(self, start: date, end: date, until: date) -> tuple[date | None, date | None]:
        """The closest days with live articles before ``start`` and after ``end`` (but not after ``until``)."""
        live = "deleted = 0 AND flagged IS NULL"
        before = self.db.query(f"SELECT MAX(published) FROM articles WHERE {live} AND published < ?",
                               (start.isoformat(),))[0][0]  # fmt: skip
        after = self.db.query(f"SELECT MIN(published) FROM articles WHERE {live} AND published > ? AND published <= ?",
                              (end.isoformat(), until.isoformat()))[0][0]  # fmt: skip
        return (date.fromisoformat(before) if before else None, date.fromisoformat(after) if after else None)

    def stats(self) -> CorpusStats:
        """Counts, sources and date range of the live corpus."""
        live = "deleted = 0 AND flagged IS NULL"
        row = self.db.query(f"SELECT COUNT(*), MIN(published), MAX(published) FROM articles WHERE {live}")[0]
        flagged = self.db.query("SELECT COUNT(*) FROM articles WHERE deleted = 0 AND flagged IS NOT NULL")[0][0]
        sources = self.db.query(
            f"SELECT source, COUNT(*) AS n FROM articles WHERE {live} GROUP BY source ORDER BY n DESC, source"
        )
        last_ingest = self.db.query("SELECT MAX(ingested_at) FROM articles")[0][0]
        return CorpusStats(
            articles=row[0],
            flagged=flagged,
            sources=[(r["source"], r["n"]) for r in sources],
            first=date.fromisoformat(row[1]) if row[1] else None,
            last=date.fromisoformat(row[2]) if row[2] else None,
            last_ingest=last_ingest,
        )

    def digest(self) -> str:
        """A SHA-256 of the stored content: every article by uid (url, title, text, date, source, authors,
        credit, flag, deleted) and every duplicate with the uid it duplicates.

        Ids, change counters and timestamps are left out, so two stores that hold the same articles have
        the same digest however they got there (one ingest, several at once, a re-run after a kill).
        """
        digest = hashlib.sha256()
        rows = self.db.query(
            "SELECT uid, url, title, text, published, source, authors, credit, flagged, deleted "
            "FROM articles ORDER BY uid"
        )
        for row in rows:
            digest.update(json.dumps(list(row), ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n")
        for row in self.db.query(
            "SELECT d.uid, d.url, a.uid FROM duplicates d LEFT JOIN articles a ON a.id = d.article_id "
            "ORDER BY d.uid"
        ):
            digest.update(b"dup " + json.dumps(list(row)).encode("utf-8", "surrogatepass") + b"\n")
        return digest.hexdigest()

    def per_day(self) -> dict[date, int]:
        """Live, unflagged articles per publication day (how much of a period the store covers)."""
        rows = self.db.query(
            "SELECT published, COUNT(*) FROM articles WHERE deleted = 0 AND flagged IS NULL GROUP BY published"
        )
        return {date.fromisoformat(r[0]): r[1] for r in rows}

    def duplicate_count(self) -> int:
        """How many URLs were recognised as the same story as a stored article."""
        return self.db.query("SELECT COUNT(*) FROM duplicates")[0][0]
