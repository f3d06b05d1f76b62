"""Bring a database made by an older version up to the current schema before anything reads it.

The schema in :mod:`bot.store.db` is the one truth. A table that exists in the file but lacks a column the
schema defines is rebuilt from the schema's own ``CREATE TABLE`` (in one transaction): SQLite cannot add
a column to a primary key or a ``UNIQUE`` constraint in place, and per-topic subscriptions needed exactly
that (``(chat_id, thread_id, ...)``). Columns both versions have are copied; new ones take their defaults
(``thread_id = 0``: no forum topic, ``period = ''``: a push rather than a digest), so an old store's
subscriptions and delivery log keep their meaning.
"""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger(__name__)


def upgrade(conn: sqlite3.Connection, schema: str) -> list[str]:
    """Rebuild every existing table whose columns fall short of ``schema``; returns the tables rebuilt."""
    wanted = _schema_tables(schema)
    rebuilt: list[str] = []
    for table, (create, indexes, columns) in wanted.items():
        have = _columns(conn, table)
        if not have or columns <= have:
            continue
        _rebuild(conn, table, create, indexes, [c for c in columns if c in have])
        rebuilt.append(table)
        log.info("store: table %s upgraded to the current schema", table)
    return rebuilt


def _schema_tables(schema: str) -> dict[str, tuple[str, list[str], set[str]]]:
    """``table -> (CREATE TABLE sql, CREATE INDEX sqls, column names)``, read by running the schema in memory."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.executescript(schema)
        tables = probe.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
        result: dict[str, tuple[str, list[str], set[str]]] = {}
        for name, sql in tables:
            indexes = [
                r[0]
                for r in probe.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    (name,),
                )
            ]
            result[name] = (sql, indexes, _columns(probe, name))
        return result
    finally:
        probe.close()


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _rebuild(
    conn: sqlite3.Connection, table: str, create: str, indexes: list[str], common: list[str]
) -> None:
    """Rename the old table aside, create the new one, copy the common columns, drop the old one."""
    old = f"_old_{table}"
    cols = ", ".join(common)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"ALTER TABLE {table} RENAME TO {old}")
        conn.execute(create)
        conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {old}")
        conn.execute(f"DROP TABLE {old}")
        for sql in indexes:
            conn.execute(sql)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
