"""The bot's rate limiter: transient failures retried, refusals not, private chats paced."""

from __future__ import annotations

import time
from typing import Any

import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.chat.ratelimit import ChatRateLimiter


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
    for chat in range(100, 110):  # ten different chats: no waiting
        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert time.monotonic() - start < 0.2
