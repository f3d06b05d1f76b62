"""Delivery claims: one replica at a time sends to a chat, and a dead replica's chats are taken over.

A sender claims a chat's (forum topic's) whole queue of pending pushes before it sends
(:meth:`ClaimRepo.claim`: ``claimed_by`` = its holder id, ``lease_until`` = now + the lease); a
destination is claimable only when nobody's claim on it holds. Each message's rows move to ``sending``
only while the claim holds, renewing it (:meth:`ClaimRepo.mark_sending`); a sender whose lease ended
gets :class:`ClaimLost` and sends nothing, so a chat taken over never has two senders. ``sending`` rows
whose lease ended are taken back to ``pending`` by the next claim and sent again (``attempts`` counts the
requests): the one window of the design, see ``docs/delivery.md``.

On SQLite a claim is one write transaction (the single writer makes it atomic); on PostgreSQL writers
are serialised too (:mod:`bot.store.postgres`) and the rows are taken ``FOR UPDATE SKIP LOCKED``, so a
claim never waits on, nor shares, a destination another replica is claiming.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from .db import Database

log = logging.getLogger(__name__)

#: Joins rows ``x`` to their chat and forum topic and keeps those neither paused.
_NOT_PAUSED = (
    "LEFT JOIN chats c ON c.chat_id = x.chat_id "
    "LEFT JOIN topics t ON t.chat_id = x.chat_id AND t.thread_id = x.thread_id "
    "WHERE COALESCE(c.paused, 0) = 0 AND COALESCE(t.paused, 0) = 0"
)


class ClaimLost(Exception):
    """The caller's claim on a chat's deliveries ended and another replica took them: do not send."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ClaimRepo:
    """Claims on the delivery log's push rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(
        self, holder: str, lease: float, limit: int, *, exclude: Collection[tuple[int, int]] = (),
        now: float | None = None,
    ) -> list[tuple[int, int]]:  # fmt: skip
        """Claim the queues of up to ``limit`` ``(chat, forum topic)`` destinations for ``holder`` until
        ``now + lease``, oldest queued first; returns them.

        First, ``sending`` rows whose lease ended are taken back to ``pending`` (their replica died on the
        wire, or their answer never came: they are sent again, see the module docstring). A destination
        is claimed whole (all its pending rows) and only when nobody's claim on it holds; ``exclude``
        names destinations this pass already tried (deferred ones are not retried at once). On SQLite the
        single writer makes this atomic; on PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``,
        so two replicas claiming at once never share a destination.
        """
        now = time.time() if now is None else now
        skip_locked = " FOR UPDATE SKIP LOCKED" if getattr(self.db, "dialect", "sqlite") == "postgresql" else ""
        with self.db.transaction() as conn:
            taken = conn.execute(
                "UPDATE deliveries SET status = 'pending' WHERE status = 'sending' AND period = '' "
                "AND COALESCE(lease_until, 0) < ?",
                (now,),
            ).rowcount
            if taken:
                log.warning(
                    "%d push(es) were on the wire when their replica stopped or lost their answer; sending them "
                    "again (each may arrive twice: the one window, see docs/delivery.md)",
                    taken,
                )
            candidates = conn.execute(
                "SELECT x.chat_id, x.thread_id FROM deliveries x "
                + _NOT_PAUSED
                + " AND x.status IN ('pending', 'sending') AND x.period = '' GROUP BY x.chat_id, x.thread_id "
                "HAVING SUM(CASE WHEN x.status = 'pending' THEN 1 ELSE 0 END) > 0 "
                "AND SUM(CASE WHEN x.claimed_by IS NOT NULL AND x.lease_until >= ? THEN 1 ELSE 0 END) = 0 "
                "ORDER BY MIN(x.queued_at), x.chat_id, x.thread_id LIMIT ?",
                (now, limit + len(exclude)),
            ).fetchall()
            claimed: list[tuple[int, int]] = []
            for chat_id, thread_id in candidates:
                if (chat_id, thread_id) in exclude:
                    continue
                if len(claimed) >= limit:
                    break
                n = conn.execute(
                    "UPDATE deliveries SET claimed_by = ?, lease_until = ? "
                    "WHERE (chat_id, thread_id, article_id, period) IN ("
                    "SELECT chat_id, thread_id, article_id, period FROM deliveries WHERE chat_id = ? "
                    "AND thread_id = ? AND period = '' AND status = 'pending' "
                    f"AND (claimed_by IS NULL OR lease_until < ?){skip_locked})",
                    (holder, now + lease, chat_id, thread_id, now),
                ).rowcount
                if n:
                    claimed.append((chat_id, thread_id))
            return claimed

    def expire_claims(self) -> int:
        """End every claim at once (a bot that knows it is alone on the store: they are a dead process's);
        returns the rows whose claims ended."""
        with self.db.transaction() as conn:
            return conn.execute(
                "UPDATE deliveries SET lease_until = 0 WHERE period = '' AND claimed_by IS NOT NULL "
                "AND status IN ('pending', 'sending')"
            ).rowcount

    def claimed(self, chat_id: int, holder: str, *, thread_id: int = 0) -> list[int]:
        """Article ids queued for a chat (forum topic) under ``holder``'s claim, oldest article first."""
        rows = self.db.query(
            "SELECT article_id FROM deliveries WHERE chat_id = ? AND thread_id = ? AND status = 'pending' "
            "AND period = '' AND claimed_by = ? ORDER BY article_id",
            (chat_id, thread_id, holder),
        )
        return [r[0] for r in rows]

    def release(self, holder: str, chat_id: int | None = None, *, thread_id: int = 0) -> int:
        """Give back ``holder``'s claims on still-pending rows (of one destination, or all): anyone may
        send them at once. Returns rows released."""
        sql = "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ? AND status = 'pending'"
        args: tuple[object, ...] = (holder,)
        if chat_id is not None:
            sql, args = sql + " AND chat_id = ? AND thread_id = ?", (holder, chat_id, thread_id)
        with self.db.transaction() as conn:
            return conn.execute(sql, args).rowcount

    def renew(self, holder: str, lease: float, destinations: Iterable[tuple[int, int]]) -> int:
        """Extend ``holder``'s claims on these ``(chat, forum topic)`` queues by ``lease`` seconds from now
        (the sender is alive and working on them: waiting for its rate limits, or for an answer)."""
        until = time.time() + lease
        with self.db.transaction() as conn:
            return sum(
                conn.execute(
                    "UPDATE deliveries SET lease_until = ? WHERE claimed_by = ? AND chat_id = ? AND thread_id = ? "
                    "AND period = '' AND status IN ('pending', 'sending')",
                    (until, holder, chat_id, thread_id),
                ).rowcount
                for chat_id, thread_id in destinations
            )

    def mark_sending(self, chat_id: int, article_ids: Iterable[int], holder: str, lease: float, *,
                     thread_id: int = 0) -> None:  # fmt: skip
        """The message carrying these articles goes on the wire now, under ``holder``'s claim (renewed for
        ``lease`` seconds, with the rest of the chat's queue). When no row moves the claim was lost
        (another replica took the queue over after the lease ended): :class:`ClaimLost`, nothing is sent.
        Its fate is then recorded by the subscription repository (``mark_sent`` / ``mark_unsent``)."""
        now = time.time()
        ids = list(article_ids)
        with self.db.transaction() as conn:
            moved = 0
            for article_id in ids:
                moved += conn.execute(
                    "UPDATE deliveries SET status = 'sending', sent_at = ?, attempts = attempts + 1, "
                    "lease_until = ? WHERE chat_id = ? AND thread_id = ? AND article_id = ? AND period = '' "
                    "AND status = 'pending' AND claimed_by = ? AND lease_until >= ?",
                    (_now(), now + lease, chat_id, thread_id, article_id, holder, now),
                ).rowcount
            if not moved:
                raise ClaimLost(f"chat {chat_id}: the claim on its deliveries ended")
            conn.execute(
                "UPDATE deliveries SET lease_until = ? WHERE chat_id = ? AND thread_id = ? AND period = '' "
                "AND status = 'pending' AND claimed_by = ?",
                (now + lease, chat_id, thread_id, holder),
            )

    def resent(self) -> list[Any]:
        """Push rows sent more than once (taken over from ``sending``): the window's candidates."""
        return self.db.query(
            "SELECT chat_id, thread_id, article_id, status, attempts FROM deliveries "
            "WHERE period = '' AND attempts > 1 ORDER BY chat_id, thread_id, article_id"
        )
