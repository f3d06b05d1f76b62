"""Rate limiting and transient-failure retries for every Bot API request the bot makes.

PTB's AIORateLimiter holds the bot to 30 requests/s overall and 20 messages/min per group or channel,
and retries after ``RetryAfter``. :class:`ChatRateLimiter` adds what it lacks:

* one message per second in each private chat, taken right before the request goes out, so five quick
  questions from one person get five paced replies, not a 429. No burst of our own: Telegram tolerates
  short bursts, and that tolerance is the margin that absorbs the jitter of a busy process (a request
  paced on time can still leave late, next to the one after it — the full-corpus load drill showed 429s
  with a burst of 2);
* a few retries with back-off when posting a message fails transiently (5xx, dropped connection,
  timeout). A timed-out request may have reached Telegram, so a retry can, rarely, repeat a message;
  losing an answer or a push outright would be worse.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, JSONResult]]

#: Bot API methods that post or change a message (what Telegram's per-chat flood control counts).
POSTING = ("send", "edit", "copyMessage", "forwardMessage")
#: Answers to button presses and inline queries: worth retrying too, but not paced per chat.
ANSWERS = ("answerCallbackQuery", "answerInlineQuery")
_NOT_POSTING = frozenset({"sendChatAction"})
_MAX_IDLE_LIMITERS = 1024


class ChatRateLimiter(AIORateLimiter):
    """AIORateLimiter plus a limiter per private chat and retries of transient network failures."""

    def __init__(
        self,
        *,
        private_burst: float = 1.0,
        private_period: float = 1.0,
        transient_retries: int = 4,
        backoff: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._private_burst = private_burst
        self._private_period = private_period
        self._transient_retries = transient_retries
        self._backoff = backoff
        self._private: dict[int, AsyncLimiter] = {}

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        """PTB's limits and RetryAfter handling, per-chat pacing, and retries of transient failures."""
        posting = _is_posting(endpoint)
        limiter = self._private_limiter(data.get("chat_id")) if posting else None
        paced = _paced(callback, limiter) if limiter is not None else callback
        retries = self._transient_retries if posting or endpoint in ANSWERS else 0
        for attempt in range(retries + 1):
            try:
                return await super().process_request(paced, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:  # a refusal, not a transient failure (BadRequest is a NetworkError)
                raise
            except NetworkError as exc:
                if attempt == retries:
                    raise
                delay = min(self._backoff * 2**attempt, 8.0)
                log.warning(
                    "%s failed (%s); retry %d/%d in %.1f s", endpoint, exc, attempt + 1, retries, delay
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _private_limiter(self, chat_id: object) -> AsyncLimiter | None:
        """The limiter of a private chat (positive id); None for groups and channels (PTB limits those)."""
        try:
            chat = int(chat_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None
        if chat <= 0:
            return None
        limiter = self._private.get(chat)
        if limiter is None:
            if len(self._private) > _MAX_IDLE_LIMITERS:
                self._forget_idle()
            limiter = self._private[chat] = AsyncLimiter(self._private_burst, self._private_period)
        return limiter

    def _forget_idle(self) -> None:
        """Drop limiters with full capacity (chats quiet for a while) to bound memory."""
        for chat, limiter in list(self._private.items()):
            if limiter.has_capacity(limiter.max_rate):
                del self._private[chat]


def _is_posting(endpoint: str) -> bool:
    """Whether a method posts or edits a message."""
    return endpoint.startswith(POSTING) and endpoint not in _NOT_POSTING


def _paced(callback: Callback, limiter: AsyncLimiter) -> Callback:
    """``callback`` waiting for the chat's limiter first: acquired last, right before the request leaves,
    so the spacing Telegram sees is the spacing we kept (not undone by waits in the global limiter)."""

    async def call(*args: Any, **kwargs: Any) -> JSONResult:
        async with limiter:
            return await callback(*args, **kwargs)

    return call
