"""The SQLite connection and schema. WAL so the bot can read while `python -m bot ingest` writes."""

from __future__ import annotations

import errno
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .migrations import upgrade

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id          INTEGER PRIMARY KEY,          -- compact key the search index refers to
    uid         TEXT NOT NULL UNIQUE,         -- sha1(normalized url)[:16]
    url         TEXT NOT NULL,
    title       TEXT NOT NULL,
    text        TEXT NOT NULL,                -- cleaned body, paragraphs separated by blank lines
    published   TEXT NOT NULL,                -- YYYY-MM-DD
    source      TEXT NOT NULL DEFAULT '',
    authors     TEXT NOT NULL DEFAULT '[]',   -- JSON list
    credit      TEXT NOT NULL DEFAULT '',
    body_hash   TEXT NOT NULL,
    flagged     TEXT,                         -- why the page has no real body; flagged pages are not indexed
    summary     INTEGER NOT NULL DEFAULT 0,   -- 1: a feed's own summary, until the page can be fetched
    deleted     INTEGER NOT NULL DEFAULT 0,
    seq         INTEGER NOT NULL,             -- change counter, bumped by every insert/update/delete
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_seq ON articles(seq);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published, id);
CREATE INDEX IF NOT EXISTS articles_body_hash ON articles(body_hash);

CREATE TABLE IF NOT EXISTS duplicates (
    uid        TEXT PRIMARY KEY,              -- the duplicate's own uid
    url        TEXT NOT NULL,
    article_id INTEGER NOT NULL,              -- the article it duplicates
    seen_at    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS feeds (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    checked_at    TEXT,
    last_error    TEXT
);

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS chats (
    chat_id       INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL DEFAULT 'private',  -- private, group, supergroup, channel
    title         TEXT NOT NULL DEFAULT '',
    paused        INTEGER NOT NULL DEFAULT 0,
    paused_reason TEXT,
    timezone      TEXT NOT NULL DEFAULT 'UTC',      -- IANA name (/timezone), for digest times
    updated_at    TEXT NOT NULL
);

-- Forum topics the bot delivers into; a topic is paused on its own when it was closed or deleted.
CREATE TABLE IF NOT EXISTS topics (
    chat_id       INTEGER NOT NULL,
    thread_id     INTEGER NOT NULL,             -- message_thread_id of the topic
    name          TEXT NOT NULL DEFAULT '',
    paused        INTEGER NOT NULL DEFAULT 0,
    paused_reason TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (chat_id, thread_id)
);

CREATE TABLE IF NOT EXISTS subscriptions (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL,
    thread_id  INTEGER NOT NULL DEFAULT 0,     -- forum topic it delivers into; 0 = the chat itself (General)
    topic      TEXT NOT NULL DEFAULT '',       -- '' = every new article
    created_by INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (chat_id, thread_id, topic)
);

-- Scheduled digests: one per chat and forum topic.
CREATE TABLE IF NOT EXISTS digests (
    chat_id    INTEGER NOT NULL,
    thread_id  INTEGER NOT NULL DEFAULT 0,
    topic      TEXT NOT NULL DEFAULT '',       -- '' = every new article
    every      TEXT NOT NULL,                  -- 'daily' or 'weekly'
    weekday    INTEGER,                        -- 0 = Monday (weekly digests)
    at         TEXT NOT NULL,                  -- local time HH:MM in the chat's timezone
    created_by INTEGER,
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, thread_id)
);

CREATE TABLE IF NOT EXISTS deliveries (
    chat_id    INTEGER NOT NULL,
    thread_id  INTEGER NOT NULL DEFAULT 0,      -- forum topic; 0 = the chat itself
    article_id INTEGER NOT NULL,                -- 0 for a digest
    period     TEXT NOT NULL DEFAULT '',        -- a digest's period ('daily:2026-03-29'); '' for a push
    status     TEXT NOT NULL DEFAULT 'pending', -- pending, sending, sent, unconfirmed, dropped
    queued_at  TEXT NOT NULL,
    sent_at    TEXT,
    message_id INTEGER,
    claimed_by  TEXT,                           -- the replica sending it (bot.leader.holder_id)
    lease_until REAL,                           -- Unix time its claim ends; then anyone may take it over
    attempts    INTEGER NOT NULL DEFAULT 0,     -- requests that carried it (more than 1: sent again)
    PRIMARY KEY (chat_id, thread_id, article_id, period)
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(status, chat_id);

-- Who holds a named role (the replicas' leader) and until when: bot/store/leases.py, bot/leader.py.
CREATE TABLE IF NOT EXISTS leases (
    name        TEXT PRIMARY KEY,              -- the role, e.g. 'leader'
    holder      TEXT NOT NULL,                 -- host:pid:random of the process holding it
    expires_at  REAL NOT NULL,                 -- Unix time; anyone may take the lease after it
    acquired_at REAL NOT NULL                  -- when this holder took it (renewals keep it)
);
"""


class StoreFullError(OSError):
    """The disk holding the database is full: the transaction in flight was rolled back, earlier ones stay.

    An ``OSError`` with ``errno.ENOSPC``, so one ``except OSError`` that checks the errno handles a full
    disk wherever it shows up (the database, the index files, a lock file).
    """

    def __init__(self, path: Path) -> None:
        super().__init__(errno.ENOSPC, "the disk holding the database is full", str(path))


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLite's "database or disk is full" and for an OSError with ENOSPC (or EDQUOT)."""
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class Database:
    """One SQLite connection shared by the repositories, guarded by a lock for use from threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.in_memory = str(path) == ":memory:"
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        upgrade(self.conn, SCHEMA)  # a file from an older version: rebuilt tables first
        self.conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed whole or not at all (a crash leaves no half article).

        A full disk raises :class:`StoreFullError` with the transaction rolled back (SQLite may already
        have rolled it back itself, so the rollback is skipped when none is active).
        """
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if is_disk_full(exc):
                    raise StoreFullError(self.path) from exc
                raise

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Run a read query and fetch all rows."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock:
            try:
                self.conn.close()
            except sqlite3.ProgrammingError:
                pass
