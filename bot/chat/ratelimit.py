"""Rate limiting and transient-failure retries for every Bot API request the bot makes.

Telegram's limits are about 1 message/s per chat, 20 messages/min per group or channel and 30 messages/s
overall; :class:`ChatRateLimiter` keeps a margin under each, in rate and in burst
(:data:`OVERALL_PER_SECOND` with :data:`OVERALL_BURST`, :data:`GROUP_PER_MINUTE` with :data:`GROUP_BURST`,
no burst of our own in private chats), because a limiter that paces exactly at the limit meets it
whenever the process or the network adds jitter, and 429s risk longer flood waits. The fan-out drill
(``bench/fanout_drill.py``) measures the headroom left in a replica of Telegram's overall bucket.

A message waits for its limiters in this order: its chat's (a private chat's, or a group's or channel's),
then the overall one, and leaves right after the last, so the spacing Telegram sees overall is the
spacing we kept (a wait for a chat no longer releases a bunch of messages at once). PTB's RetryAfter
handling stays: a 429 is waited out and retried.

Retries of failed requests depend on whether the request can have reached Telegram:

* certainly not (the connection was never made, a 4xx refusal, a 429): a retry cannot duplicate, so
  posts and answers are retried with back-off;
* maybe (a timeout while waiting for the answer, a dropped connection, a 5xx): Telegram has no
  idempotency key. A reply to a question is retried (the person is waiting; a rare second copy beats
  silence). A push (a request carrying a :class:`TrackedSend`) is not: see :mod:`bot.chat.delivery`.

A :class:`TrackedSend` passed as ``rate_limit_args`` is told when its request really leaves (after every
wait: the delivery log marks it ``sending`` only then), when it certainly did not reach Telegram, and when
Telegram accepted it; at most :data:`PUSHES_IN_FLIGHT` tracked requests are on the wire at once, which
bounds the pushes whose fate a crash leaves unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Literal

import httpx
from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter
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
#: Messages per second overall: Telegram allows about 30; the rest is the margin for jitter.
OVERALL_PER_SECOND = 25
#: Messages that may leave at once overall. Small: Telegram's own bucket holds about 30, and what our burst
#: does not take is left for the bunching of requests by a busy event loop or network.
OVERALL_BURST = 5
#: Messages per minute in one group or channel (Telegram allows 20), and how many may leave at once.
GROUP_PER_MINUTE = 18
GROUP_BURST = 10
#: Tracked requests (pushes) on the wire at once: the most a crash can leave unconfirmed. Four keep
#: 25 messages/s flowing up to a 160 ms round trip to the Bot API.
PUSHES_IN_FLIGHT = 4
#: Causes of a NetworkError raised before the request could reach Telegram.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def certainly_not_sent(exc: BaseException) -> bool:
    """Whether a failed request certainly did not post anything (so repeating it cannot duplicate)."""
    if isinstance(exc, (BadRequest, Forbidden, RetryAfter, ChatMigrated, InvalidToken)):
        return True  # Telegram answered, and refused
    return isinstance(exc, NetworkError) and isinstance(exc.__cause__, _NEVER_SENT)


class TrackedSend:
    """A request whose fate the caller records: ``rate_limit_args`` of a push.

    ``state`` goes ``"queued"`` → ``"sending"`` (the request left: ``on_sending`` ran) → ``"sent"``
    (Telegram accepted it: ``on_sent`` ran with the result) or back to ``"queued"`` (it certainly did
    not reach Telegram: ``on_unsent`` ran). A failure that may have posted leaves it ``"sending"``.
    """

    def __init__(
        self,
        on_sending: Callable[[], None],
        on_unsent: Callable[[], None],
        on_sent: Callable[[JSONResult], None],
    ) -> None:
        self.state: Literal["queued", "sending", "sent"] = "queued"
        self._on_sending, self._on_unsent, self._on_sent = on_sending, on_unsent, on_sent

    def leaving(self) -> None:
        """The request is about to go on the wire."""
        self._on_sending()
        self.state = "sending"

    def failed(self, exc: BaseException) -> None:
        """The request failed with ``exc``: back to queued if it certainly posted nothing."""
        if self.state == "sending" and certainly_not_sent(exc):
            self._on_unsent()
            self.state = "queued"

    def accepted(self, result: JSONResult) -> None:
        """Telegram accepted the request (idempotent)."""
        if self.state != "sent":
            self._on_sent(result)
            self.state = "sent"


def at_most_once(bot: Any) -> dict[str, Any]:
    """``send_message`` keyword arguments asking our rate limiter never to repeat a request that may have
    posted (for a message whose claim the caller recorded itself, like a digest); empty for other bots."""
    if not isinstance(getattr(bot, "rate_limiter", None), ChatRateLimiter):
        return {}
    return {"rate_limit_args": TrackedSend(lambda: None, lambda: None, lambda result: None)}


class ChatRateLimiter(AIORateLimiter):
    """AIORateLimiter's RetryAfter handling with our limiters (margins, posts only, a limiter per chat),
    retries of requests that certainly did not reach Telegram (and of replies that may have), and
    :class:`TrackedSend` hooks."""

    def __init__(
        self,
        *,
        private_burst: float = 1.0,
        private_period: float = 1.0,
        overall_per_second: float = OVERALL_PER_SECOND,
        group_per_minute: float = GROUP_PER_MINUTE,
        pushes_in_flight: int = PUSHES_IN_FLIGHT,
        transient_retries: int = 4,
        backoff: float = 0.5,
        **kwargs: Any,
    ) -> None:
        # PTB's limiters are off (it would count reads like getChatMember against a group's budget, and take
        # the overall limit first); ours count posts only and take the overall limit last. A limiter of
        # rate r and burst b is AsyncLimiter(b, b / r).
        super().__init__(overall_max_rate=0, group_max_rate=0, **kwargs)
        self._overall = (
            AsyncLimiter(OVERALL_BURST, OVERALL_BURST / overall_per_second) if overall_per_second else None
        )
        self._group_period = 60 * GROUP_BURST / group_per_minute if group_per_minute else 0.0
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._private_burst = private_burst
        self._private_period = private_period
        self._transient_retries = transient_retries
        self._backoff = backoff
        self._private: dict[int, AsyncLimiter] = {}
        self._in_flight = asyncio.Semaphore(pushes_in_flight)

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> JSONResult:
        """PTB's group limits and RetryAfter handling, our pacing, retries, and the tracking hooks."""
        tracked = rate_limit_args if isinstance(rate_limit_args, TrackedSend) else None
        max_retries = rate_limit_args if isinstance(rate_limit_args, int) else None
        posting = _is_posting(endpoint)
        paced = self._paced(callback, data.get("chat_id"), posting, tracked)
        retries = self._transient_retries if posting or endpoint in ANSWERS else 0
        for attempt in range(retries + 1):
            try:
                return await super().process_request(paced, args, kwargs, endpoint, data, max_retries)
            except BadRequest:  # a refusal, not a transient failure (BadRequest is a NetworkError)
                raise
            except NetworkError as exc:
                if attempt == retries or (tracked is not None and not certainly_not_sent(exc)):
                    raise  # a push that may have been posted is not repeated
                delay = min(self._backoff * 2**attempt, 8.0)
                log.warning(
                    "%s failed (%s); retry %d/%d in %.1f s", endpoint, exc, attempt + 1, retries, delay
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _paced(
        self, callback: Callback, chat_id: object, posting: bool, tracked: TrackedSend | None
    ) -> Callback:
        """``callback`` behind the chat's limiter, then the overall one, then the tracking hooks."""
        chat = (self._private_limiter(chat_id) or self._group_limiter(chat_id)) if posting else None
        overall = self._overall if posting and chat_id is not None else None
        gate: AbstractAsyncContextManager[Any] = self._in_flight if tracked is not None else nullcontext()

        async def call(*args: Any, **kwargs: Any) -> JSONResult:
            async with chat or nullcontext(), overall or nullcontext(), gate:
                if tracked is None:
                    return await callback(*args, **kwargs)
                tracked.leaving()
                try:
                    result = await callback(*args, **kwargs)
                except BaseException as exc:
                    tracked.failed(exc)
                    raise
                tracked.accepted(result)
                return result

        return call

    def _private_limiter(self, chat_id: object) -> AsyncLimiter | None:
        """The limiter of a private chat (positive id); None for groups and channels."""
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

    def _group_limiter(self, chat_id: object) -> AsyncLimiter | None:
        """The limiter of a group or channel (negative id or @name); None for anything else."""
        if chat_id is None or not self._group_period:
            return None
        try:
            key: int | str = int(chat_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            key = str(chat_id)
        if isinstance(key, int) and key > 0:
            return None
        limiter = self._groups.get(key)
        if limiter is None:
            if len(self._groups) > _MAX_IDLE_LIMITERS:
                self._forget_idle()
            limiter = self._groups[key] = AsyncLimiter(GROUP_BURST, self._group_period)
        return limiter

    def _forget_idle(self) -> None:
        """Drop limiters with full capacity (chats quiet for a while) to bound memory."""
        for limiters in (self._private, self._groups):
            for chat, limiter in list(limiters.items()):
                if limiter.has_capacity(limiter.max_rate):
                    del limiters[chat]


def _is_posting(endpoint: str) -> bool:
    """Whether a method posts or edits a message."""
    return endpoint.startswith(POSTING) and endpoint not in _NOT_POSTING
