"""The bot's update queue: ids, ``offset`` acknowledgement, long polling and ``allowed_updates``.

Updates stay queued until the bot confirms them with a higher ``offset`` (or a webhook accepts them),
exactly like Telegram, so a bot that forgets to advance its offset sees duplicates here too.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from .errors import conflict

ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
#: What Telegram sends when a bot never specified allowed_updates (or sent an empty list).
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}


class UpdateQueue:
    """Pending updates for the one bot this server hosts."""

    def __init__(self, first_update_id: int = 10_001) -> None:
        self._next_id = first_update_id
        self.pending: list[dict[str, Any]] = []
        self.allowed: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.allowed_explicit = False
        self.created: list[dict[str, Any]] = []
        self.filtered: list[dict[str, Any]] = []
        self._event = asyncio.Event()
        self._generation = 0
        self._closed = False

    # ---- producing ------------------------------------------------------------------------------
    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update of ``kind`` unless the bot's allowed_updates excludes it."""
        update = {"update_id": self._next_id, kind: payload}
        if kind not in self.allowed:
            self.filtered.append(update)
            return None
        self._next_id += 1
        self.pending.append(update)
        self.created.append(update)
        self._wake()
        return update

    def set_allowed(self, types: list[str] | None) -> None:
        """Apply an ``allowed_updates`` parameter: None keeps the setting, [] restores the default."""
        if types is None:
            return
        chosen = frozenset(t for t in types if t in ALL_UPDATE_TYPES)
        self.allowed = chosen or DEFAULT_UPDATE_TYPES
        self.allowed_explicit = bool(chosen)

    # ---- consuming ------------------------------------------------------------------------------
    def confirm(self, offset: int | None) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last ``-offset``."""
        if offset is None:
            return
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def remove(self, update_id: int) -> None:
        """Forget one update (a webhook target accepted it; others may still be on the way)."""
        self.pending = [u for u in self.pending if u["update_id"] != update_id]
        self._wake()

    def drop_pending(self) -> int:
        """Discard everything queued (``drop_pending_updates=True``); returns how many."""
        dropped = len(self.pending)
        self.pending.clear()
        return dropped

    async def poll(self, offset: int | None, limit: int, timeout: float) -> list[dict[str, Any]]:
        """getUpdates: confirm ``offset``, then return at once or wait up to ``timeout`` seconds.

        A newer call ends an older waiting one with 409 Conflict, like two bot instances polling.
        """
        self.confirm(offset)
        self._generation += 1
        generation = self._generation
        self._wake()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0.0)
        while True:
            if self.pending or self._closed:
                return self.pending[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if generation != self._generation:
                raise conflict(
                    "terminated by other getUpdates request; make sure that only one bot instance is running"
                )

    async def wait_changed(self) -> None:
        """Block until an update is queued or removed, or the queue closes."""
        if not self._closed:
            await self._event.wait()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release all waiting pollers (server shutdown)."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        self._event.set()
        self._event = asyncio.Event()
