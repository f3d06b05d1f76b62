"""The bot's rate limiter: transient failures retried, refusals not, private chats paced."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.chat.ratelimit import (
    GROUP_BURST,
    GROUP_PER_MINUTE,
    OVERALL_BURST,
    OVERALL_PER_SECOND,
    ChatRateLimiter,
    TrackedSend,
    certainly_not_sent,
)


def flaky(*errors: Exception) -> tuple[Any, list[int]]:
    """A request callback failing with ``errors`` in turn, then succeeding; and its call counter."""
    calls = [0]
    pending = list(errors)

    async def callback(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls[0] += 1
        if pending:
            raise pending.pop(0)
        return {"ok": True}

    return callback, calls


async def test_transient_failures_of_a_post_are_retried() -> None:
    limiter = ChatRateLimiter(backoff=0.0)
    callback, calls = flaky(NetworkError("Bad Gateway (502)"), TimedOut())
    result = await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert result == {"ok": True} and calls == [3]


async def test_refusals_and_reads_are_not_retried() -> None:
    limiter = ChatRateLimiter(backoff=0.0)
    callback, calls = flaky(BadRequest("Bad Request: chat not found"))
    with pytest.raises(BadRequest):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)
    callback, calls = flaky(NetworkError("Bad Gateway (502)"))
    with pytest.raises(NetworkError):
        await limiter.process_request(callback, (), {}, "getChatMember", {"chat_id": 1}, None)
    assert calls == [1]


async def test_private_chat_is_paced_groups_are_left_to_ptb() -> None:
    limiter = ChatRateLimiter(private_burst=2, private_period=0.5)
    callback, _ = flaky()
    start = time.monotonic()
    for _ in range(4):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 7}, None)
    assert time.monotonic() - start >= 0.4  # two at once, then one per 0.25 s
    start = time.monotonic()
    for chat in range(100, 100 + OVERALL_BURST):  # different chats within the overall burst: no waiting
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert time.monotonic() - start < 0.15


def tracking(events: list[str]) -> TrackedSend:
    return TrackedSend(
        on_sending=lambda: events.append("sending"),
        on_unsent=lambda: events.append("unsent"),
        on_sent=lambda result: events.append(f"sent {result}"),
    )


async def test_a_push_that_may_have_been_posted_is_not_retried() -> None:
    limiter = ChatRateLimiter(backoff=0.0)
    lost_answer = TimedOut()
    lost_answer.__cause__ = httpx.ReadTimeout("no answer")
    callback, calls = flaky(lost_answer)
    events: list[str] = []
    tracked = tracking(events)
    with pytest.raises(TimedOut):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, tracked)
    assert calls == [1] and events == ["sending"] and tracked.state == "sending"


async def test_a_push_that_never_left_is_retried_and_tracked_each_time() -> None:
    limiter = ChatRateLimiter(backoff=0.0)
    refused = NetworkError("httpx.ConnectError: refused")
    refused.__cause__ = httpx.ConnectError("refused")
    callback, calls = flaky(refused)
    events: list[str] = []
    tracked = tracking(events)
    result = await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, tracked)
    assert result == {"ok": True} and calls == [2]
    assert events == ["sending", "unsent", "sending", "sent {'ok': True}"] and tracked.state == "sent"


async def test_a_reply_is_retried_even_when_it_may_have_been_posted() -> None:
    """The person is waiting for it: a rare second copy beats silence (README, "Delivery")."""
    limiter = ChatRateLimiter(backoff=0.0)
    lost_answer = TimedOut()
    lost_answer.__cause__ = httpx.ReadTimeout("no answer")
    callback, calls = flaky(lost_answer)
    assert await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None) == {"ok": True}
    assert calls == [2]


def test_which_failures_certainly_posted_nothing() -> None:
    never = NetworkError("x")
    never.__cause__ = httpx.ConnectTimeout("x")
    maybe = NetworkError("x")
    maybe.__cause__ = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    assert certainly_not_sent(never) and certainly_not_sent(BadRequest("Bad Request: chat not found"))
    assert not certainly_not_sent(maybe) and not certainly_not_sent(NetworkError("Bad Gateway (502)"))
    assert not certainly_not_sent(TimedOut())


async def test_overall_pace_keeps_a_margin_under_telegrams_30_per_second() -> None:
    limiter = ChatRateLimiter()
    callback, _ = flaky()
    start = time.monotonic()
    for chat in range(1, 31):  # thirty chats: five at once, then 25 a second
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert time.monotonic() - start >= (30 - OVERALL_BURST) / OVERALL_PER_SECOND - 0.05
    assert OVERALL_PER_SECOND < 30 and GROUP_PER_MINUTE + GROUP_BURST <= 20


async def test_group_budget_counts_posts_only() -> None:
    """Admin checks (getChatMember) in a busy group must not eat the group's 20 messages a minute."""
    limiter = ChatRateLimiter()
    callback, _ = flaky()
    start = time.monotonic()
    for _ in range(30):
        await limiter.process_request(callback, (), {}, "getChatMember", {"chat_id": -5, "user_id": 1}, None)
    for _ in range(GROUP_BURST):
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": -5}, None)
    assert time.monotonic() - start < 1.0
