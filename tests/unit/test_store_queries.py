"""The stored paging queries behind "More"/"Older" buttons: saved by a short key, read in their own chat only,
purged when old."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.store import Store


def test_stored_queries_expire(store: Store) -> None:
    key = store.queries.save("ask", "why?", chat_id=5, as_of="2024-01-02", size=3)
    assert len(key.encode()) <= 8
    q = store.queries.get(key, chat_id=5)
    assert q is not None and (q.kind, q.text, q.as_of, q.size) == ("ask", "why?", "2024-01-02", 3)
    assert store.queries.purge(timedelta(days=-1)) == 1
    assert store.queries.get(key, chat_id=5) is None


def test_a_key_pages_only_in_its_own_chat(store: Store) -> None:
    key = store.queries.save("latest", "nato", chat_id=5, size=5)
    assert store.queries.get(key, chat_id=6) is None  # forwarded or forged into another chat
    assert store.queries.get(key, chat_id=None) is None  # an inline message has no chat
    assert store.queries.purge(timedelta(days=7)) == 0  # fresh keys are kept


def test_a_table_from_before_keys_had_a_chat_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE queries (key TEXT PRIMARY KEY, kind TEXT NOT NULL, text TEXT NOT NULL, as_of TEXT, "
            "size INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)"
        )
        conn.execute("INSERT INTO queries VALUES ('oldkey12', 'ask', 'why?', NULL, 3, '2025-01-01T00:00:00+00:00')")
    store = Store(path)
    try:
        assert store.queries.get("oldkey12", chat_id=5) is None  # tied to no chat: pages nowhere
        key = store.queries.save("ask", "who?", chat_id=5)
        assert store.queries.get(key, chat_id=5) is not None
    finally:
        store.close()
