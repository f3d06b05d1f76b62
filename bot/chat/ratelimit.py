"""Rate limiting and transient-failure retries for every Bot API request the bot makes.

Telegram's limits are about 1 message/s per chat, 20 messages/min per group or channel and 30 messages/s
overall; :class:`ChatRateLimiter` keeps a margin under each, in rate and in burst
(:data:`OVERALL_PER_SECOND` with :data:`OVERALL_BURST`, :data:`GROUP_PER_MINUTE` with :data:`GROUP_BURST`,
no burst of our own in private chats), because a limiter that paces exactly at the limit meets it
whenever the process or the network adds jitter, and 429s risk longer flood waits. The fan-out drill
(``bench/fanout_drill.py``) measures the headroom left in a replica of Telegram's overall bucket.

The budget itself lives in :mod:`bot.subscribe.budget` (Telegram-free): one replica keeps it in memory;
several share it through Redis (:mod:`bot.subscribe.budget_redis`). A message waits until its chat's
bucket lets it go, then takes its chat's slot and an overall slot together and leaves right then, so the
spacing Telegram sees overall and in each chat is the spacing we kept. A 429 (RetryAfter) is recorded
in the budget as a pause of the chat (of every chat when the overall limit was hit), which a shared
budget passes on to every replica; PTB's RetryAfter handling stays: a 429 is waited out and retried.

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
import warnings
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Literal

import httpx
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.subscribe.budget import FairQueue, Lane, Limits, LocalBudget, Rate, SendBudget

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, JSONResult]]

#: Bot API methods that post or change a message (what Telegram's per-chat flood control counts).
POSTING = ("send", "edit", "copyMessage", "forwardMessage")
#: Answers to button presses and inline queries: worth retrying too, but not paced per chat.
ANSWERS = ("answerCallbackQuery", "answerInlineQuery")
_NOT_POSTING = frozenset({"sendChatAction"})
#: Messages per second overall: Telegram allows about 30; the rest is the margin for jitter.
OVERALL_PER_SECOND = 25
#: Messages that may leave at once overall. Small: Telegram's own bucket holds about 30, and what our burst
#: does not take is left for the bunching of requests by a busy event loop or network.
OVERALL_BURST = 5
#: The same for replicas sharing the budget through Redis: requests from several processes reach Telegram
#: with more jitter, which bunches them (measured: 31 in one second with a burst of 5, 3 replicas).
SHARED_OVERALL_BURST = 2
#: Messages per minute in one group or channel (Telegram allows 20), and how many may leave at once. Any
#: 60 s window holds at most the burst plus a minute's rate, so the two add up to 20 (18 and 10 had let 28
#: through): a burst of 8 keeps a busy group's answers immediate, 12 a minute is more than a group reads.
GROUP_PER_MINUTE = 12
GROUP_BURST = 8
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
    """AIORateLimiter's RetryAfter handling with our budget (margins, posts only, per chat and overall),
    retries of requests that certainly did not reach Telegram (and of replies that may have), and
    :class:`TrackedSend` hooks.

    ``budget`` is where the slots come from: by default a :class:`LocalBudget` of this process with the
    rates given here; a shared one (:class:`bot.subscribe.budget_redis.RedisBudget`) for several
    replicas, made with :func:`telegram_limits`. A RetryAfter is recorded in it, so a shared budget
    holds the chat (or every chat) in all replicas.
    """

    def __init__(
        self,
        *,
        private_burst: float = 1.0,
        private_period: float = 1.0,
        overall_per_second: float = OVERALL_PER_SECOND,
        group_per_minute: float = GROUP_PER_MINUTE,
        budget: SendBudget | None = None,
        pushes_in_flight: int = PUSHES_IN_FLIGHT,
        transient_retries: int = 4,
        backoff: float = 0.5,
        **kwargs: Any,
    ) -> None:
        # PTB's limiters are off (it would count reads like getChatMember against a group's budget, and take
        # the overall limit first); ours count posts only and take the overall limit with the chat's.
        super().__init__(overall_max_rate=0, group_max_rate=0, **kwargs)
        limits = telegram_limits(
            private_burst=private_burst,
            private_period=private_period,
            overall_per_second=overall_per_second,
            group_per_minute=group_per_minute,
        )
        self.budget: SendBudget = budget if budget is not None else LocalBudget(limits)
        self._queue = FairQueue(self.budget)
        self._transient_retries = transient_retries
        self._backoff = backoff
        self._in_flight = asyncio.Semaphore(pushes_in_flight)

    async def initialize(self) -> None:
        """Connect the budget (a shared one reaches Redis here); PTB calls this from ``Bot.initialize``."""
        await super().initialize()
        await self.budget.start()

    async def shutdown(self) -> None:
        """Release the budget's connections."""
        await self.budget.close()
        await super().shutdown()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> JSONResult:
        """PTB's RetryAfter handling, our pacing, retries, and the tracking hooks."""
        tracked = rate_limit_args if isinstance(rate_limit_args, TrackedSend) else None
        max_retries = rate_limit_args if isinstance(rate_limit_args, int) else None
        posting = _is_posting(endpoint)
        paced = self._paced(callback, chat_lane(data.get("chat_id")) if posting else None, tracked)
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

    def _paced(self, callback: Callback, lane: Lane | None, tracked: TrackedSend | None) -> Callback:
        """``callback`` after a slot of the budget (for ``lane``), then the tracking hooks; a RetryAfter
        is recorded in the budget as a pause."""
        gate: AbstractAsyncContextManager[Any] = self._in_flight if tracked is not None else nullcontext()

        async def call(*args: Any, **kwargs: Any) -> JSONResult:
            if lane is not None:
                await self._queue.take(lane)
            async with gate:
                try:
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
                except RetryAfter as exc:
                    if lane is not None:
                        await self._pause(lane, exc)
                    raise

        return call

    async def _pause(self, lane: Lane, exc: RetryAfter) -> None:
        """Hold the chat (or, when the overall limit was hit, every chat) for Telegram's retry_after."""
        with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta: both are read
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            after = exc.retry_after
        wait = after if isinstance(after, (int, float)) else after.total_seconds()
        scope = await self.budget.pause(lane, float(wait))
        log.warning(
            "flood control: Telegram asks to wait %.0f s; %s paused",
            wait,
            "every chat" if scope == "all" else f"chat {lane.key}",
        )


def telegram_limits(
    *,
    private_burst: float = 1.0,
    private_period: float = 1.0,
    overall_per_second: float = OVERALL_PER_SECOND,
    group_per_minute: float = GROUP_PER_MINUTE,
    overall_burst: int = OVERALL_BURST,
) -> Limits:
    """The budget under Telegram's limits with our margins (0 for a rate leaves that bucket out)."""
    return Limits(
        overall=Rate(overall_per_second, overall_burst) if overall_per_second else None,
        private=Rate(private_burst / private_period, int(private_burst)) if private_period else None,
        group=Rate(group_per_minute / 60.0, GROUP_BURST) if group_per_minute else None,
    )


def shared_budget(settings: Settings, token: str) -> SendBudget | None:
    """The budget shared through Redis when ``NEWSBOT_REDIS_URL`` is set (keys per bot: the limits are
    per token); None for the in-process one."""
    if settings.redis_url is None:
        return None
    from bot.subscribe.budget_redis import RedisBudget

    bot_id = token.split(":", 1)[0]
    return RedisBudget(
        settings.redis_url.get_secret_value(),
        telegram_limits(overall_burst=SHARED_OVERALL_BURST),
        prefix=f"newsbot:{bot_id}:budget:",
    )


def chat_lane(chat_id: object) -> Lane | None:
    """The budget's lane of a chat id: a private chat (positive id), else a group or channel (negative id
    or @name); None without a chat."""
    if chat_id is None:
        return None
    try:
        chat = int(chat_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return Lane(str(chat_id), group=True)
    return Lane(str(chat), group=chat <= 0)


def _is_posting(endpoint: str) -> bool:
    """Whether a method posts or edits a message."""
    return endpoint.startswith(POSTING) and endpoint not in _NOT_POSTING
