"""The store's tables, once per dialect.

SQLite: :data:`SQLITE_SCHEMA` is the one truth for a file; :func:`bot.store.migrations.upgrade` brings an
older file up to it (columns added, or a table rebuilt) before it is applied with ``IF NOT EXISTS``.

PostgreSQL: :data:`POSTGRES_MIGRATIONS` are numbered steps, applied in order at start-up under an
advisory lock and recorded in ``schema_migrations`` (:func:`bot.store.migrations.migrate_postgres`). A
change to the schema is a new step at the end of the list (never an edit of a step that shipped), and the
same change goes into :data:`SQLITE_SCHEMA`. Types differ only where they must: ``BIGINT`` for Telegram
ids and the 64-bit chrome hashes (SQLite's ``INTEGER`` is 64-bit already), identity columns for the
autoincrement ids, no ``WITHOUT ROWID``. Dates stay ISO text in both, so comparisons and ``ORDER BY``
are the same.
"""

from __future__ import annotations

from dataclasses import dataclass

SQLITE_SCHEMA = """
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

-- Learned site chrome (see bot.ingest.chrome).
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

-- Stories: which articles report the same event (see bot.store.stories).
CREATE TABLE IF NOT EXISTS stories (
    article_id INTEGER PRIMARY KEY,            -- the grouped article
    story_id   INTEGER NOT NULL,               -- id of the article that started its story
    score      REAL,                           -- similarity to the story when it joined (NULL: started it)
    grouped_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stories_story ON stories(story_id);

-- Stored queries behind "More"/"Older" buttons.
CREATE TABLE IF NOT EXISTS queries (
    key        TEXT PRIMARY KEY,               -- short random key carried in callback data
    chat_id    INTEGER,                        -- the chat whose buttons carry the key (only it may page)
    kind       TEXT NOT NULL,                  -- 'ask' or 'latest'
    text       TEXT NOT NULL,                  -- the question, or the /latest topic
    as_of      TEXT,                           -- ISO date the question was asked (stable paging)
    size       INTEGER NOT NULL DEFAULT 0,     -- page size
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS queries_created ON queries(created_at);
"""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered step of the PostgreSQL schema."""

    version: int
    name: str
    sql: str


_POSTGRES_INITIAL = """
CREATE TABLE articles (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    uid         TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    title       TEXT NOT NULL,
    text        TEXT NOT NULL,
    published   TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    authors     TEXT NOT NULL DEFAULT '[]',
    credit      TEXT NOT NULL DEFAULT '',
    body_hash   TEXT NOT NULL,
    flagged     TEXT,
    summary     INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    seq         BIGINT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX articles_seq ON articles(seq);
CREATE INDEX articles_published ON articles(published, id);
CREATE INDEX articles_body_hash ON articles(body_hash);

CREATE TABLE duplicates (
    uid        TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    article_id BIGINT NOT NULL,
    seen_at    TEXT NOT NULL
);

CREATE TABLE feeds (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    checked_at    TEXT,
    last_error    TEXT
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE chats (
    chat_id       BIGINT PRIMARY KEY,
    kind          TEXT NOT NULL DEFAULT 'private',
    title         TEXT NOT NULL DEFAULT '',
    paused        INTEGER NOT NULL DEFAULT 0,
    paused_reason TEXT,
    timezone      TEXT NOT NULL DEFAULT 'UTC',
    updated_at    TEXT NOT NULL
);

CREATE TABLE topics (
    chat_id       BIGINT NOT NULL,
    thread_id     BIGINT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    paused        INTEGER NOT NULL DEFAULT 0,
    paused_reason TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (chat_id, thread_id)
);

CREATE TABLE subscriptions (
    id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    chat_id    BIGINT NOT NULL,
    thread_id  BIGINT NOT NULL DEFAULT 0,
    topic      TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at TEXT NOT NULL,
    UNIQUE (chat_id, thread_id, topic)
);

CREATE TABLE digests (
    chat_id    BIGINT NOT NULL,
    thread_id  BIGINT NOT NULL DEFAULT 0,
    topic      TEXT NOT NULL DEFAULT '',
    every      TEXT NOT NULL,
    weekday    INTEGER,
    at         TEXT NOT NULL,
    created_by BIGINT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, thread_id)
);

CREATE TABLE deliveries (
    chat_id    BIGINT NOT NULL,
    thread_id  BIGINT NOT NULL DEFAULT 0,
    article_id BIGINT NOT NULL,
    period     TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'pending',
    queued_at  TEXT NOT NULL,
    sent_at    TEXT,
    message_id BIGINT,
    PRIMARY KEY (chat_id, thread_id, article_id, period)
);
CREATE INDEX deliveries_pending ON deliveries(status, chat_id);

CREATE TABLE chrome_lines (
    source TEXT NOT NULL,
    key    BIGINT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE INDEX chrome_lines_n ON chrome_lines(n);
CREATE TABLE chrome_counted (
    uid TEXT PRIMARY KEY
);

CREATE TABLE stories (
    article_id BIGINT PRIMARY KEY,
    story_id   BIGINT NOT NULL,
    score      DOUBLE PRECISION,
    grouped_at TEXT NOT NULL
);
CREATE INDEX stories_story ON stories(story_id);

CREATE TABLE queries (
    key        TEXT PRIMARY KEY,
    chat_id    BIGINT,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL,
    as_of      TEXT,
    size       INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX queries_created ON queries(created_at);
"""

#: Replicas (#14 items 2, 3, 5): delivery claims under a lease, the leader lease, and a notification on
#: channel ``newsbot_articles`` (payload: the store's schema) from every statement that changes articles,
#: sent when its transaction commits (:mod:`bot.store.changes`).
_POSTGRES_REPLICAS = """
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN lease_until DOUBLE PRECISION;
ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL,
    acquired_at DOUBLE PRECISION NOT NULL
);
CREATE FUNCTION newsbot_articles_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('newsbot_articles', current_schema());
    RETURN NULL;
END $$;
CREATE TRIGGER articles_changed AFTER INSERT OR UPDATE OR DELETE ON articles
    FOR EACH STATEMENT EXECUTE FUNCTION newsbot_articles_changed();
"""

#: Article bodies (a few KB each, so stored compressed out of line) compressed with lz4 instead of pglz: the
#: answer path reads ~12 of them per question, and lz4 decompresses them faster (best case of 22 real
#: articles: 0.63 ms instead of 0.95 ms, docs/postgres.md). A server built without lz4 keeps pglz.
_POSTGRES_LZ4 = """
DO $$ BEGIN
    ALTER TABLE articles ALTER COLUMN text SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server: article bodies stay compressed with pglz';
END $$;
"""

#: The PostgreSQL schema's steps, oldest first (columns are described in :data:`SQLITE_SCHEMA`).
POSTGRES_MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _POSTGRES_INITIAL),
    Migration(2, "replicas: delivery claims, leases, article change notifications", _POSTGRES_REPLICAS),
    Migration(3, "article bodies compressed with lz4", _POSTGRES_LZ4),
)
