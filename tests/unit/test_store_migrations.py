"""A database file written before forum topics and digests opens with its subscriptions and delivery log
intact: the tables are rebuilt with the new columns, old rows mean "no forum topic"."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.store import Store

#: The tables as the previous release created them (before thread_id, period and timezone).
OLD_TABLES = """
CREATE TABLE chats (
    chat_id INTEGER PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'private', title TEXT NOT NULL DEFAULT '',
    paused INTEGER NOT NULL DEFAULT 0, paused_reason TEXT, updated_at TEXT NOT NULL
);
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, topic TEXT NOT NULL DEFAULT '', created_by INTEGER,
    created_at TEXT NOT NULL, UNIQUE (chat_id, topic)
);
CREATE TABLE deliveries (
    chat_id INTEGER NOT NULL, article_id INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
    queued_at TEXT NOT NULL, sent_at TEXT, message_id INTEGER, PRIMARY KEY (chat_id, article_id)
);
CREATE INDEX deliveries_pending ON deliveries(status, chat_id);
INSERT INTO chats VALUES (-100, 'supergroup', 'Club', 0, NULL, '2025-01-01');
INSERT INTO subscriptions VALUES (1, -100, 'nato', 7, '2025-01-01');
INSERT INTO deliveries VALUES (-100, 5, 'sent', '2025-01-01', '2025-01-01', 42);
INSERT INTO deliveries VALUES (-100, 6, 'pending', '2025-01-02', NULL, NULL);
"""


def test_old_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_TABLES)
    store = Store(path)
    try:
        subs = store.subscriptions
        [sub] = subs.list(-100)
        assert (sub.topic, sub.thread_id, sub.created_by) == ("nato", 0, 7)
        assert subs.pending(-100) == [6] and subs.pending_destinations() == [(-100, 0)]
        sent = [dict(r) for r in subs.deliveries(-100) if r["status"] == "sent"]
        assert sent[0]["message_id"] == 42 and sent[0]["thread_id"] == 0 and sent[0]["period"] == ""
        # The new keys work: the same topic in a forum topic, and the same article there too.
        assert subs.add(-100, "nato", 7, limit=5, thread_id=9).value == "added"
        assert subs.queue([(-100, 9, 6)], {}) == 1
        assert subs.pending_destinations() == [(-100, 0), (-100, 9)]
    finally:
        store.close()
    with sqlite3.connect(path) as conn:  # chats got its new column in place, deliveries was rebuilt
        assert conn.execute("SELECT timezone FROM chats WHERE chat_id = -100").fetchone() == ("UTC",)
    reopened = Store(path)  # a second open finds nothing left to do
    try:
        assert len(reopened.subscriptions.list(-100)) == 2
    finally:
        reopened.close()


def test_plain_columns_are_added_in_place(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_TABLES)
    with caplog.at_level(logging.INFO, logger="bot.store.migrations"):
        Store(path).close()
    lines = [r.getMessage() for r in caplog.records]
    assert any("chats upgraded" in line and "columns added (timezone)" in line for line in lines), lines
    assert any("deliveries upgraded" in line and "table rebuilt" in line for line in lines), lines
