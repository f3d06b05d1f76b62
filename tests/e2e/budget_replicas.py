"""Replicas sharing one Telegram budget through Redis, against the local Bot API server: helpers for the
tests (tests/e2e/test_shared_budget.py) and the drill (bench/shared_budget.py).

A replica here is what the bot's sending path is: an ``ExtBot`` with our :class:`ChatRateLimiter`, on a
:class:`RedisBudget` (or, for the unshared control, a budget of its own). ``python -m
tests.e2e.budget_replicas ...`` runs one replica in its own process: it prints ``ready``, waits for
``go`` on stdin, sends, and prints one JSON line of what it saw.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.chat.ratelimit import SHARED_OVERALL_BURST, ChatRateLimiter, telegram_limits
from bot.subscribe.budget import SendBudget
from bot.subscribe.budget_redis import RedisBudget

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def test_redis_url() -> str:
    """Where the tests' Redis is (NEWSBOT_TEST_REDIS_URL)."""
    return os.environ.get("NEWSBOT_TEST_REDIS_URL") or DEFAULT_REDIS


test_redis_url.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


async def redis_reachable(url: str) -> bool:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


def new_prefix() -> str:
    """Keys of one run: never shared with another run or the bot's own."""
    return f"newsbot-test:{uuid.uuid4().hex}:"


async def drop_keys(url: str, prefix: str) -> None:
    """Delete a run's keys."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def make_bot(base_url: str, token: str, budget: SendBudget | None, *, max_retries: int = 3) -> ExtBot[Any]:
    """A bot whose every send goes through ``budget`` (None: a budget of its own, in memory)."""
    return ExtBot(
        token,
        base_url=base_url,
        request=HTTPXRequest(connection_pool_size=16, pool_timeout=30.0),
        rate_limiter=ChatRateLimiter(budget=budget, max_retries=max_retries, backoff=0.05),
    )


def redis_budget(url: str, prefix: str) -> RedisBudget:
    return RedisBudget(url, telegram_limits(overall_burst=SHARED_OVERALL_BURST), prefix=prefix)


@dataclass
class Sent:
    """What one replica saw."""

    ok: int = 0
    refused: int = 0  # RetryAfter that reached the caller (after PTB's retries)
    failed: int = 0


async def send_all(bot: ExtBot[Any], chats: list[int], per_chat: int, tag: str) -> Sent:
    """``per_chat`` messages to each chat, all queued at once (the budget orders them)."""
    sent = Sent()

    async def one(chat: int, n: int) -> None:
        try:
            await bot.send_message(chat, f"{tag} {chat} #{n}")
            sent.ok += 1
        except RetryAfter:
            sent.refused += 1
        except TelegramError:
            sent.failed += 1

    await asyncio.gather(*(one(chat, n) for n in range(per_chat) for chat in chats))
    return sent


def most_in_window(times: list[float], window: float) -> int:
    """The most of ``times`` inside any window of ``window`` seconds."""
    times = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def shortest_gap(times: list[float]) -> float:
    """The shortest time between two of ``times`` (inf for fewer than two)."""
    times = sorted(times)
    return min((b - a for a, b in itertools.pairwise(times)), default=float("inf"))


def by_chat(records: Any) -> Iterator[tuple[int, list[float]]]:
    """Accepted sendMessage times per chat, from the server's request log."""
    chats: dict[int, list[float]] = {}
    for record in records:
        if record.method.lower() == "sendmessage" and record.ok:
            chats.setdefault(int(record.params.get("chat_id")), []).append(record.at)
    yield from chats.items()


async def _replica_main(args: argparse.Namespace) -> None:
    budget = redis_budget(args.redis, args.prefix) if args.redis else None
    bot = make_bot(args.base_url, args.token, budget)
    await bot.initialize()
    try:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        chats = [int(c) for c in args.chats.split(",")]
        sent = await send_all(bot, chats, args.per_chat, args.tag)
        replicas = budget.replicas if budget else 1
        print(
            json.dumps({"ok": sent.ok, "refused": sent.refused, "failed": sent.failed, "replicas": replicas})
        )
    finally:
        await bot.shutdown()


def replica_command(
    base_url: str, token: str, redis: str, prefix: str, chats: list[int], per_chat: int, tag: str
) -> list[str]:
    """The command line of one replica process."""
    return [sys.executable, "-m", "tests.e2e.budget_replicas", "--base-url", base_url, "--token", token,
            "--redis", redis, "--prefix", prefix, "--chats", ",".join(map(str, chats)),
            "--per-chat", str(per_chat), "--tag", tag]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--redis", default="")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--chats", required=True)
    parser.add_argument("--per-chat", type=int, default=1)
    parser.add_argument("--tag", default="replica")
    asyncio.run(_replica_main(parser.parse_args()))
