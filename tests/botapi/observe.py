"""Reading back what the bot did: messages per chat as users see them, answers, request statistics,
and ``wait_for`` helpers that wake on every server-side change instead of sleeping blindly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .models import Chat, StoredMessage, User

if TYPE_CHECKING:
    from .models import CallbackQueryRecord, InlineQueryRecord
    from .records import RequestLog, RequestRecord
    from .world import World

T = TypeVar("T")
ChatRef = Chat | User | int


class Observer:
    """Mixin for :class:`~tests.botapi.server.BotApiServer` (needs ``world``, ``log``, ``_changed``)."""

    world: World
    log: RequestLog
    commands: dict[str, list[dict[str, str]]]
    _changed: asyncio.Event

    def chat(self, ref: ChatRef) -> Chat:
        """The :class:`Chat` for a chat, a user (their private chat) or an id."""
        chat_id = ref.id if isinstance(ref, Chat | User) else ref
        return self.world.chats[chat_id]

    # ---- messages ---------------------------------------------------------------------------------
    def bot_messages(self, ref: ChatRef, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Every message the bot sent to the chat, oldest first, with edits applied."""
        return [
            m for m in self.chat(ref).messages.values() if m.by_bot and (include_deleted or not m.deleted)
        ]

    def history(self, ref: ChatRef) -> list[StoredMessage]:
        """All messages in the chat (users' and the bot's, service messages included), oldest first."""
        return [m for m in self.chat(ref).messages.values() if not m.deleted]

    def last_bot_message(self, ref: ChatRef) -> StoredMessage | None:
        messages = self.bot_messages(ref)
        return messages[-1] if messages else None

    def bot_texts(self, ref: ChatRef) -> list[str]:
        """Just the texts the bot sent to a chat (convenient for asserts)."""
        return [m.text or "" for m in self.bot_messages(ref)]

    def all_bot_messages(self) -> list[StoredMessage]:
        """The bot's messages across all chats."""
        return [
            m
            for chat in self.world.chats.values()
            for m in chat.messages.values()
            if m.by_bot and not m.deleted
        ]

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The command menu set with setMyCommands for exactly this scope and language."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True) + "|" + language_code
        return self.commands.get(key, [])

    # ---- requests -----------------------------------------------------------------------------------
    @property
    def calls(self) -> Counter[str]:
        """Number of requests per Bot API method (canonical names, e.g. ``calls["sendMessage"]``)."""
        return self.log.calls

    @property
    def requests(self) -> list[RequestRecord]:
        return self.log.records

    @property
    def refused(self) -> list[RequestRecord]:
        """Requests the API logic refused (400/403/404/409/429), not counting injected faults."""
        return self.log.refused

    # ---- waiting ------------------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, what: str = "") -> T:
        """Return the first truthy ``predicate()``; re-checked after every server change (and every 50 ms)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what or predicate!r}; {self._diagnostics()}"
                )
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))

    async def wait_for_bot_messages(
        self, ref: ChatRef, count: int = 1, timeout: float = 5.0
    ) -> list[StoredMessage]:
        """Wait until the bot has sent at least ``count`` messages to the chat; return them all."""
        await self.wait_for(
            lambda: len(self.bot_messages(ref)) >= count,
            timeout,
            f"{count} bot message(s) in chat {self.chat(ref).id}",
        )
        return self.bot_messages(ref)

    async def wait_for_callback_answer(
        self, query: CallbackQueryRecord, timeout: float = 5.0
    ) -> dict[str, Any]:
        await self.wait_for(lambda: query.answered, timeout, f"answer to callback query {query.id}")
        return query.answer or {}

    async def wait_for_inline_answer(self, query: InlineQueryRecord, timeout: float = 5.0) -> dict[str, Any]:
        await self.wait_for(lambda: query.answered, timeout, f"answer to inline query {query.id}")
        return query.answer or {}

    def _diagnostics(self) -> str:
        recent = ", ".join(f"{r.method}→{r.status}" for r in self.log.records[-8:])
        refused = "; ".join(f"{r.method}: {r.description}" for r in self.log.refused[-5:])
        return f"recent requests: [{recent}]; refused: [{refused}]"
