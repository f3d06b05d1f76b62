"""Flood control (429 retry_after) and injected faults (5xx, slow, dropped), seen from a PTB Bot."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram.error import NetworkError, RetryAfter, TimedOut

from tests.botapi import BotApiServer

# PTB itself warns when it builds RetryAfter (retry_after will become a timedelta in v23).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class FrozenClock:
    """Time stands still unless a test advances it: flood-control tests can't flake on a slow machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(botapi: BotApiServer) -> FrozenClock:
    frozen = FrozenClock()
    botapi.flood.clock = frozen
    botapi.flood.reset()
    return frozen


async def test_private_chat_allows_a_short_burst_then_429(
    botapi: BotApiServer, tg_bot: telegram.Bot, clock: FrozenClock
) -> None:
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    for i in range(3):
        await tg_bot.send_message(alice.id, f"burst {i}")
    with pytest.raises(RetryAfter, match="(?i)retry in 1"):
        await tg_bot.send_message(alice.id, "one too many")
    await tg_bot.send_message(bob.id, "other chats are unaffected")
    refused = botapi.refused[-1]
    assert (refused.status, refused.parameters) == (429, {"retry_after": 1})
    assert refused.description == "Too Many Requests: retry after 1"
    assert len(botapi.bot_messages(alice)) == 3


async def test_private_chat_refills_about_one_per_second(
    botapi: BotApiServer, tg_bot: telegram.Bot, clock: FrozenClock
) -> None:
    alice = botapi.add_user()
    for text in ("a", "b", "c"):
        await tg_bot.send_message(alice.id, text)
    with pytest.raises(RetryAfter):
        await tg_bot.send_message(alice.id, "d")
    clock.now += 1.0
    await tg_bot.send_message(alice.id, "d")
    with pytest.raises(RetryAfter):
        await tg_bot.send_message(alice.id, "e")


async def test_group_allows_20_per_minute(
    botapi: BotApiServer, tg_bot: telegram.Bot, clock: FrozenClock
) -> None:
    group = botapi.add_group()
    for i in range(20):
        await tg_bot.send_message(group.id, f"m{i}")
    with pytest.raises(RetryAfter):
        await tg_bot.send_message(group.id, "m20")
    assert botapi.refused[-1].parameters == {"retry_after": 3}  # one message every 3 s after the burst


async def test_global_limit_30_per_second(
    botapi: BotApiServer, tg_bot: telegram.Bot, clock: FrozenClock
) -> None:
    users = [botapi.add_user(f"U{i}") for i in range(31)]
    await asyncio.gather(*(tg_bot.send_message(u.id, "news") for u in users[:30]))
    with pytest.raises(RetryAfter):
        await tg_bot.send_message(users[30].id, "news")
    clock.now += 0.05
    await tg_bot.send_message(users[30].id, "news")


async def test_limits_can_be_switched_off(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    botapi.limits.enabled = False
    alice = botapi.add_user()
    for i in range(10):
        await tg_bot.send_message(alice.id, str(i))
    assert botapi.refused == []


async def test_injected_5xx_then_recovery(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    botapi.faults.fail_next(2, methods=["sendMessage"])
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await tg_bot.send_message(alice.id, "x")
    botapi.faults.fail_next(1, status=500, reason="Internal Server Error")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await tg_bot.send_message(alice.id, "x")
    await tg_bot.send_message(alice.id, "recovered")
    assert botapi.bot_texts(alice) == ["recovered"]
    assert botapi.refused == []  # injected faults are logged separately
    assert [r.status for r in botapi.requests if r.injected] == [502, 502, 500]


async def test_injected_retry_after(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    botapi.faults.retry_after_next(1, retry_after=7)
    with pytest.raises(RetryAfter, match="(?i)retry in 7"):
        await tg_bot.send_message(alice.id, "x")


async def test_slow_response_times_out_and_is_not_executed(
    botapi: BotApiServer, tg_bot: telegram.Bot
) -> None:
    alice = botapi.add_user()
    botapi.faults.slow_next(1, seconds=0.5)
    with pytest.raises(TimedOut):
        await tg_bot.send_message(alice.id, "slow", read_timeout=0.2)
    await asyncio.sleep(0.5)
    assert botapi.bot_messages(alice) == []


async def test_slow_after_execution_loses_only_the_answer(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    botapi.faults.slow_next(1, seconds=0.5, after=True)
    with pytest.raises(TimedOut):
        await tg_bot.send_message(alice.id, "sent anyway", read_timeout=0.2)
    assert botapi.bot_texts(alice) == ["sent anyway"]  # a blind retry would duplicate it


async def test_dropped_connection(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    botapi.faults.drop_next(1)
    with pytest.raises(NetworkError, match="(?i)disconnected"):
        await tg_bot.send_message(alice.id, "x")
    await tg_bot.send_message(alice.id, "y")
    assert botapi.bot_texts(alice) == ["y"]


async def test_outage_window(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    botapi.faults.during(0.3, "status", status=502, methods=["sendMessage"])
    with pytest.raises(NetworkError):
        await tg_bot.send_message(alice.id, "x")
    await asyncio.sleep(0.35)
    await tg_bot.send_message(alice.id, "after the outage")
