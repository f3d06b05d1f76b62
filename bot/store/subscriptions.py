"""Chats, their topic subscriptions and the delivery log (paging queries: :mod:`bot.store.queries`).

The delivery log holds one row per push (chat, forum topic, article): the primary key queues an article
for a chat at most once, however often it is updated or re-planned (digests have rows of their own, keyed
by their period: see :mod:`bot.store.digests`). A push row moves

* ``pending``: queued by the planner, in the same transaction as the planner's progress marker;
* claimed: one replica at a time claims a chat's (forum topic's) whole queue under a lease before it
  sends (:mod:`bot.store.claims`);
* ``sending``: set right before the request carrying it goes on the wire (after every rate-limit wait),
  only while the sender's claim holds, and back to ``pending`` when the request certainly did not reach
  Telegram (refused, never connected);
* ``sent`` (with the message id): Telegram accepted the message; recorded right after its answer, in a
  transaction of its own;
* ``dropped``: given up on purpose (article deleted, summarised away in a burst, chat gone).

A ``sending`` row whose claim's lease ended (its replica died with the request on the wire, or the
answer never came) is taken over and sent again: nothing is lost, and the one window (docs/delivery.md)
is a message Telegram posted but whose ``sent`` was not recorded, which then arrives twice. At most
:data:`bot.chat.ratelimit.PUSHES_IN_FLIGHT` messages (4) per replica are in it at once. ``unconfirmed``
(never sent again) is what older versions left for such rows; digests still use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from .db import Database, Row
from .state import UPSERT_META


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AddOutcome(str, Enum):
    """What :meth:`SubscriptionRepo.add` did."""

    ADDED = "added"
    EXISTS = "exists"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """A chat the bot knows because someone subscribed it."""

    chat_id: int
    kind: str
    title: str
    paused: bool
    paused_reason: str | None


@dataclass(frozen=True, slots=True)
class Subscription:
    """One topic (``""`` = every new article) a chat, or one forum topic of it (``thread_id``), follows."""

    id: int
    chat_id: int
    topic: str
    created_by: int | None
    created_at: str
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class TopicRecord:
    """A forum topic the bot delivers into, and whether it is paused (closed or deleted)."""

    chat_id: int
    thread_id: int
    name: str
    paused: bool
    paused_reason: str | None


#: Tables keyed by chat, with the rest of their unique key (what a group's move to a supergroup may clash on).
_CHAT_KEYS = {
    "subscriptions": ("thread_id", "topic"),
    "deliveries": ("thread_id", "article_id", "period"),
    "topics": ("thread_id",),
    "digests": ("thread_id",),
}

_SUB_COLUMNS = "s.id, s.chat_id, s.topic, s.created_by, s.created_at, s.thread_id"


def _not_paused(alias: str) -> str:
    """Joins rows ``alias`` (with chat_id, thread_id) to their chat and forum topic; keeps unpaused ones."""
    return (
        f"LEFT JOIN chats c ON c.chat_id = {alias}.chat_id "
        f"LEFT JOIN topics t ON t.chat_id = {alias}.chat_id AND t.thread_id = {alias}.thread_id "
        "WHERE COALESCE(c.paused, 0) = 0 AND COALESCE(t.paused, 0) = 0"
    )


class SubscriptionRepo:
    """All reads and writes of chats, subscriptions and deliveries."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- chats ---------------------------------------------------------------------------------------

    def upsert_chat(self, chat_id: int, kind: str, title: str = "") -> None:
        """Remember a chat's kind and title (kept up to date; does not touch the paused flag)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO chats (chat_id, kind, title, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(chat_id) DO UPDATE SET kind=excluded.kind, title=excluded.title, "
                "updated_at=excluded.updated_at",
                (chat_id, kind, title, _now()),
            )

    def get_chat(self, chat_id: int) -> ChatRecord | None:
        """The stored chat, or None."""
        rows = self.db.query(
            "SELECT chat_id, kind, title, paused, paused_reason FROM chats WHERE chat_id = ?", (chat_id,)
        )
        if not rows:
            return None
        r = rows[0]
        return ChatRecord(r["chat_id"], r["kind"], r["title"], bool(r["paused"]), r["paused_reason"])

    def pause(self, chat_id: int, reason: str) -> bool:
        """Stop pushing to a chat the bot can no longer post in; True if it was active before.

        Its queued deliveries are dropped, not kept: when the chat comes back it should get new articles,
        not a flood of everything it missed.
        """
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO chats (chat_id, kind, paused, paused_reason, updated_at) "
                "VALUES (?, '', 1, ?, ?) "
                "ON CONFLICT(chat_id) DO UPDATE SET paused = 1, paused_reason = excluded.paused_reason, "
                "updated_at = excluded.updated_at WHERE chats.paused = 0",
                (chat_id, reason, _now()),
            )
            conn.execute(
                "UPDATE deliveries SET status = 'dropped' WHERE chat_id = ? AND status = 'pending'",
                (chat_id,),
            )
            return cur.rowcount > 0

    def resume(self, chat_id: int) -> bool:
        """Push to a chat again (the bot was added back / unblocked); True if it was paused."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE chats SET paused = 0, paused_reason = NULL, updated_at = ? "
                "WHERE chat_id = ? AND paused = 1",
                (_now(), chat_id),
            )
            return cur.rowcount > 0

    def migrate(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move a group's subscriptions and delivery log to its supergroup id; returns subscriptions moved.

        Rows that already exist under the new id win (the migration may be seen twice: from the service
        message and from a ``ChatMigrated`` error).
        """
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO chats (chat_id, kind, title, paused, paused_reason, timezone, updated_at) "
                "SELECT ?, 'supergroup', title, paused, paused_reason, timezone, ? FROM chats WHERE chat_id = ? "
                "ON CONFLICT DO NOTHING",
                (new_chat_id, _now(), old_chat_id),
            )
            conn.execute("DELETE FROM chats WHERE chat_id = ?", (old_chat_id,))
            moved = 0
            for table, key in _CHAT_KEYS.items():
                # A row whose key already exists under the new id stays behind and is deleted: the new wins.
                taken = " AND ".join(f"n.{c} = {table}.{c}" for c in key)
                cur = conn.execute(
                    f"UPDATE {table} SET chat_id = ? WHERE chat_id = ? "
                    f"AND NOT EXISTS (SELECT 1 FROM {table} n WHERE n.chat_id = ? AND {taken})",
                    (new_chat_id, old_chat_id, new_chat_id),
                )
                moved = cur.rowcount if table == "subscriptions" else moved
                conn.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_chat_id,))
            return moved

    # -- forum topics --------------------------------------------------------------------------------

    def upsert_topic(self, chat_id: int, thread_id: int, name: str = "") -> None:
        """Remember a forum topic the bot delivers into (a known name is kept when none is given)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO topics (chat_id, thread_id, name, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(chat_id, thread_id) DO UPDATE SET "
                "name = CASE WHEN excluded.name = '' THEN topics.name ELSE excluded.name END, "
                "updated_at = excluded.updated_at",
                (chat_id, thread_id, name, _now()),
            )

    def get_topic(self, chat_id: int, thread_id: int) -> TopicRecord | None:
        """A stored forum topic, or None."""
        rows = self.db.query(
            "SELECT chat_id, thread_id, name, paused, paused_reason FROM topics "
            "WHERE chat_id = ? AND thread_id = ?",
            (chat_id, thread_id),
        )
        if not rows:
            return None
        r = rows[0]
        return TopicRecord(r["chat_id"], r["thread_id"], r["name"], bool(r["paused"]), r["paused_reason"])

    def rename_topic(self, chat_id: int, thread_id: int, name: str) -> bool:
        """A known forum topic was renamed; True if the bot knew it (unknown topics are not stored)."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE topics SET name = ?, updated_at = ? WHERE chat_id = ? AND thread_id = ?",
                (name, _now(), chat_id, thread_id),
            )
            return cur.rowcount > 0

    def topic_names(self, chat_id: int) -> dict[int, str]:
        """``thread_id -> name`` of a chat's known forum topics."""
        rows = self.db.query("SELECT thread_id, name FROM topics WHERE chat_id = ?", (chat_id,))
        return {r[0]: r[1] for r in rows}

    def pause_topic(self, chat_id: int, thread_id: int, reason: str) -> bool:
        """Stop pushing into one forum topic (closed or deleted); True if it was active before.

        Only that topic's queued deliveries are dropped; the chat's other topics carry on.
        """
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO topics (chat_id, thread_id, paused, paused_reason, updated_at) "
                "VALUES (?, ?, 1, ?, ?) ON CONFLICT(chat_id, thread_id) DO UPDATE SET paused = 1, "
                "paused_reason = excluded.paused_reason, updated_at = excluded.updated_at WHERE topics.paused = 0",
                (chat_id, thread_id, reason, _now()),
            )
            conn.execute(
                "UPDATE deliveries SET status = 'dropped' "
                "WHERE chat_id = ? AND thread_id = ? AND status = 'pending' AND period = ''",
                (chat_id, thread_id),
            )
            return cur.rowcount > 0

    def resume_topic(self, chat_id: int, thread_id: int) -> bool:
        """Push into a forum topic again (someone subscribed there again); True if it was paused."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE topics SET paused = 0, paused_reason = NULL, updated_at = ? "
                "WHERE chat_id = ? AND thread_id = ? AND paused = 1",
                (_now(), chat_id, thread_id),
            )
            return cur.rowcount > 0

    # -- subscriptions -------------------------------------------------------------------------------

    def add(
        self, chat_id: int, topic: str, created_by: int | None, limit: int, *, thread_id: int = 0
    ) -> AddOutcome:
        """Subscribe a chat (or one of its forum topics) to a (canonical) topic, unless it already is or
        the chat has ``limit`` subscriptions (counted over all its forum topics)."""
        with self.db.transaction() as conn:
            exists = conn.execute(
                "SELECT 1 FROM subscriptions WHERE chat_id = ? AND thread_id = ? AND topic = ?",
                (chat_id, thread_id, topic),
            ).fetchone()
            if exists:
                return AddOutcome.EXISTS
            count = conn.execute(
                "SELECT COUNT(*) FROM subscriptions WHERE chat_id = ?", (chat_id,)
            ).fetchone()[0]
            if count >= limit:
                return AddOutcome.LIMIT
            conn.execute(
                "INSERT INTO subscriptions (chat_id, thread_id, topic, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (chat_id, thread_id, topic, created_by, _now()),
            )
            return AddOutcome.ADDED

    def remove(self, chat_id: int, topic: str, *, thread_id: int = 0) -> bool:
        """Unsubscribe one topic (of one forum topic); True if it was subscribed."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND thread_id = ? AND topic = ?",
                (chat_id, thread_id, topic),
            )
            return cur.rowcount > 0

    def remove_all(self, chat_id: int, *, thread_id: int | None = None) -> int:
        """Unsubscribe every topic of a chat, or of one of its forum topics (``thread_id``), and drop what
        was still queued there; returns how many."""
        where, args = ("chat_id = ?", (chat_id,)) if thread_id is None else (
            "chat_id = ? AND thread_id = ?", (chat_id, thread_id)
        )  # fmt: skip
        with self.db.transaction() as conn:
            n = conn.execute(f"DELETE FROM subscriptions WHERE {where}", args).rowcount
            conn.execute(
                f"UPDATE deliveries SET status = 'dropped' WHERE {where} AND status = 'pending' AND period = ''",
                args,
            )
            return n

    def list(self, chat_id: int, *, thread_id: int | None = None) -> list[Subscription]:
        """A chat's subscriptions (all its forum topics, or only ``thread_id``), by topic, oldest first."""
        sql = f"SELECT {_SUB_COLUMNS} FROM subscriptions s WHERE s.chat_id = ?"
        args: tuple[int, ...] = (chat_id,)
        if thread_id is not None:
            sql, args = sql + " AND s.thread_id = ?", (chat_id, thread_id)
        rows = self.db.query(sql + " ORDER BY s.thread_id, s.id", args)
        return [Subscription(*tuple(r)) for r in rows]

    def active(self) -> list[Subscription]:
        """Every subscription whose chat and forum topic are not paused: what new articles are matched
        against."""
        rows = self.db.query(
            f"SELECT {_SUB_COLUMNS} FROM subscriptions s "
            + _not_paused("s")
            + " ORDER BY s.id"
        )
        return [Subscription(*tuple(r)) for r in rows]

    # -- deliveries ----------------------------------------------------------------------------------

    def article_high_water(self) -> tuple[int, int]:
        """``(max seq, max id)`` of the articles table: where a fresh planner starts."""
        row = self.db.query("SELECT COALESCE(MAX(seq), 0), COALESCE(MAX(id), 0) FROM articles")[0]
        return int(row[0]), int(row[1])

    def queue(self, pairs: Iterable[tuple[int, int, int]], markers: Mapping[str, str]) -> int:
        """Queue (chat, forum topic, article) deliveries and advance the planner's markers in one
        transaction.

        Either both happen or neither, so a crash while planning re-plans the same articles (and the
        primary key keeps the re-plan from queueing anything twice). Returns rows newly queued.
        """
        now = _now()
        with self.db.transaction() as conn:
            rows = [(c, t, a, now) for c, t, a in pairs]
            queued = conn.executemany(
                "INSERT INTO deliveries (chat_id, thread_id, article_id, status, queued_at) "
                "VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
                rows,
            ).rowcount if rows else 0
            if markers:
                conn.executemany(UPSERT_META, list(markers.items()))
            return queued

    def pending_chats(self) -> list[int]:
        """Chats with queued deliveries that are not paused, in order of their oldest queued row."""
        return list(dict.fromkeys(chat_id for chat_id, _ in self.pending_destinations()))

    def pending_destinations(self) -> list[tuple[int, int]]:
        """``(chat, forum topic)`` pairs with queued pushes, neither paused, oldest queued row first."""
        rows = self.db.query(
            "SELECT x.chat_id, x.thread_id FROM deliveries x "
            + _not_paused("x")
            + " AND x.status = 'pending' AND x.period = '' "
            "GROUP BY x.chat_id, x.thread_id ORDER BY MIN(x.queued_at), x.chat_id, x.thread_id"
        )
        return [(r[0], r[1]) for r in rows]

    def pending_count(self) -> int:
        """Deliveries still queued (for the shutdown log line)."""
        return self.db.query("SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND period = ''")[0][0]

    def pending(self, chat_id: int, *, thread_id: int = 0) -> list[int]:
        """Article ids queued for a chat (one forum topic of it), oldest article first."""
        rows = self.db.query(
            "SELECT article_id FROM deliveries WHERE chat_id = ? AND thread_id = ? AND status = 'pending' "
            "AND period = '' ORDER BY article_id",
            (chat_id, thread_id),
        )
        return [r[0] for r in rows]

    def mark_sending(self, chat_id: int, article_ids: Iterable[int], *, thread_id: int = 0) -> None:
        """The message carrying these articles is going on the wire now (its fate is unknown until
        :meth:`mark_sent` or :meth:`mark_unsent`)."""
        self._move(chat_id, thread_id, article_ids, ("pending",), "sending", sent_at=_now())

    def mark_unsent(self, chat_id: int, article_ids: Iterable[int], *, thread_id: int = 0) -> None:
        """The request certainly did not reach Telegram: queued again."""
        self._move(chat_id, thread_id, article_ids, ("sending",), "pending", sent_at=None)

    def mark_sent(
        self, chat_id: int, article_ids: Iterable[int], message_id: int | None, *, thread_id: int = 0
    ) -> None:
        """Record that one message carrying these articles reached the chat (forum topic)."""
        now = _now()
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE deliveries SET status = 'sent', sent_at = ?, message_id = ? WHERE chat_id = ? "
                "AND thread_id = ? AND article_id = ? AND period = '' AND status IN ('pending', 'sending')",
                [(now, message_id, chat_id, thread_id, a) for a in article_ids],
            )

    def mark_unconfirmed(self, chat_id: int, article_ids: Iterable[int], *, thread_id: int = 0) -> None:
        """The message may or may not have arrived (its answer never came): never sent again."""
        self._move(chat_id, thread_id, article_ids, ("sending",), "unconfirmed")

    def _move(
        self, chat_id: int, thread_id: int, article_ids: Iterable[int], old: tuple[str, ...], new: str,
        **columns: object,
    ) -> None:  # fmt: skip
        """Move a message's push rows from one of the ``old`` statuses to ``new`` (setting ``columns``)."""
        sets = "".join(f", {name} = ?" for name in columns)
        olds = ", ".join("?" for _ in old)
        with self.db.transaction() as conn:
            conn.executemany(
                f"UPDATE deliveries SET status = ?{sets} WHERE chat_id = ? AND thread_id = ? "
                f"AND article_id = ? AND period = '' AND status IN ({olds})",
                [(new, *columns.values(), chat_id, thread_id, a, *old) for a in article_ids],
            )

    def settle_interrupted(self) -> int:
        """When a process becomes the leader (the one that sends digests): digest claims a dead leader
        left ``sending`` become ``unconfirmed`` (a digest is never sent twice); returns how many. Pushes
        left ``sending`` are taken over when their claim's lease ends (:mod:`bot.store.claims`)."""
        with self.db.transaction() as conn:
            sql = "UPDATE deliveries SET status = 'unconfirmed' WHERE status = 'sending' AND period != ''"
            return conn.execute(sql).rowcount

    def delivery_counts(self) -> dict[str, int]:
        """Push rows of the delivery log per status (for logs and drills)."""
        rows = self.db.query("SELECT status, COUNT(*) FROM deliveries WHERE period = '' GROUP BY status")
        return {r[0]: r[1] for r in rows}

    def mark_dropped(self, chat_id: int, article_ids: Iterable[int], *, thread_id: int = 0) -> None:
        """Give up on deliveries (article gone, or summarised away in a burst)."""
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE deliveries SET status = 'dropped' WHERE chat_id = ? AND thread_id = ? "
                "AND article_id = ? AND period = '' AND status = 'pending'",
                [(chat_id, thread_id, a) for a in article_ids],
            )

    def deliveries(self, chat_id: int | None = None) -> list[Row]:
        """The delivery log (for diagnostics and tests), optionally for one chat."""
        sql = (
            "SELECT chat_id, article_id, status, queued_at, sent_at, message_id, thread_id, period "
            "FROM deliveries"
        )
        if chat_id is None:
            return self.db.query(sql + " ORDER BY chat_id, thread_id, article_id")
        return self.db.query(sql + " WHERE chat_id = ? ORDER BY thread_id, article_id", (chat_id,))
