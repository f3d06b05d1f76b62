"""Bring a database made by an older version up to the current schema before anything reads it.

PostgreSQL (:func:`migrate_postgres`): numbered steps (:data:`bot.store.schema.POSTGRES_MIGRATIONS`)
recorded in ``schema_migrations``, applied at start-up while holding a session advisory lock, so
replicas starting at once take turns: the first applies the missing steps, the others find them done.

SQLite (:func:`upgrade`): the schema in :mod:`bot.store.schema` is the one truth. A table that exists in the file but lacks columns the
schema defines gets them with ``ALTER TABLE ... ADD COLUMN`` when that is possible (a plain column with a
default: cheap even on a large ``articles`` table); otherwise it is rebuilt from the schema's own
``CREATE TABLE`` (in one transaction): SQLite cannot add a column to a primary key or a ``UNIQUE``
constraint in place, and per-topic subscriptions needed exactly that (``(chat_id, thread_id, ...)``). Columns both versions have are copied; new ones take their defaults
(``thread_id = 0``: no forum topic, ``period = ''``: a push rather than a digest), so an old store's
subscriptions and delivery log keep their meaning.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

    from .schema import Migration

log = logging.getLogger(__name__)


def upgrade(conn: sqlite3.Connection, schema: str) -> list[str]:
    """Bring every existing table whose columns fall short of ``schema`` up to it; returns those tables."""
    wanted = _schema_tables(schema)
    upgraded: list[str] = []
    for table, (create, indexes, columns, addable) in wanted.items():
        have = _columns(conn, table)
        if not have or set(columns) <= have:
            continue
        missing = [c for c in columns if c not in have]
        if all(c in addable for c in missing):
            _add_columns(conn, table, [addable[c] for c in missing])
            how = "columns added"
        else:
            _rebuild(conn, table, create, indexes, [c for c in columns if c in have])
            how = "table rebuilt"
        upgraded.append(table)
        log.info("store: %s upgraded to the current schema: %s (%s)", table, how, ", ".join(missing))
    return upgraded


Shape = tuple[str, list[str], list[str], dict[str, str]]


def _schema_tables(schema: str) -> dict[str, Shape]:
    """``table -> (CREATE TABLE sql, CREATE INDEX sqls, column names, {column: ADD COLUMN clause} for the
    columns ALTER TABLE can add)``, read by running the schema in an in-memory database."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.executescript(schema)
        tables = probe.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
        result: dict[str, Shape] = {}
        for name, sql in tables:
            indexes = [
                r[0]
                for r in probe.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    (name,),
                )
            ]
            info = probe.execute(f"PRAGMA table_info({name})").fetchall()
            result[name] = (sql, indexes, [c[1] for c in info], _addable(probe, name, info))
        return result
    finally:
        probe.close()


def _addable(probe: sqlite3.Connection, table: str, info: list[tuple]) -> dict[str, str]:
    """Columns ``ALTER TABLE ADD COLUMN`` can add: not in a key or unique index, NULL-able or defaulted."""
    keyed = {c[1] for c in info if c[5]}
    for index in probe.execute(f"PRAGMA index_list({table})").fetchall():
        if index[2]:  # unique (UNIQUE constraints and unique indexes)
            keyed.update(r[2] for r in probe.execute(f"PRAGMA index_info({index[1]})"))
    clauses: dict[str, str] = {}
    for _, name, kind, notnull, default, _pk in info:
        if name in keyed or (notnull and default is None):
            continue
        clause = f"{name} {kind}" + (" NOT NULL" if notnull else "")
        clauses[name] = clause + (f" DEFAULT {default}" if default is not None else "")
    return clauses


def _add_columns(conn: sqlite3.Connection, table: str, clauses: list[str]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for clause in clauses:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {clause}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


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


def migrate_postgres(conn: psycopg.Connection, migrations: tuple[Migration, ...], lock_key: int) -> list[int]:
    """Apply the steps of ``migrations`` not yet recorded; returns the versions applied here.

    ``conn`` is in autocommit mode. ``pg_advisory_lock(lock_key)`` (a session lock, released when the
    connection closes, even if the process dies) makes concurrent starts take turns; each step and its
    ``schema_migrations`` row commit together, so a crash mid-way leaves whole steps only.
    """
    conn.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        applied: list[int] = []
        for step in migrations:
            if step.version in done:
                continue
            with conn.transaction():
                conn.execute(step.sql)  # type: ignore[arg-type]  # our own literal DDL, no parameters
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (step.version, step.name)
                )
            applied.append(step.version)
            log.info("store: PostgreSQL schema step %d applied (%s)", step.version, step.name)
        newer = {v for v in done if v > max((m.version for m in migrations), default=0)}
        if newer:
            log.warning("store: the database has schema steps this version does not know (%s): a newer "
                        "release migrated it", ", ".join(map(str, sorted(newer))))  # fmt: skip
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
