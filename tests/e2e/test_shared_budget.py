"""Replicas share Telegram's limits through real Redis: measured at the local Bot API server (which answers
429 like Telegram), a RetryAfter in one replica holds the others, and Redis going away makes them slower,
never faster, until it is back."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from telegram.error import RetryAfter

from bot.chat.ratelimit import OVERALL_PER_SECOND
from bot.subscribe.budget_redis import MIN_SHARE, RedisBudget
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import started_runner

from .budget_replicas import (
    by_chat,
    drop_keys,
    make_bot,
    most_in_window,
    new_prefix,
    redis_budget,
    redis_reachable,
    replica_command,
    send_all,
    shortest_gap,
    test_redis_url,
)

#: Telegram's overall limit: the most messages the replicas may send together in any one second.
MOST_PER_SECOND = 30


@pytest.fixture
async def shared_redis() -> AsyncIterator[tuple[str, str]]:
    """The tests' Redis URL and a key prefix of this test's own (its keys are deleted afterwards)."""
    url = test_redis_url()
    if not await redis_reachable(url):
        pytest.skip(
            f"Redis not reachable at {urlsplit(url).hostname}:{urlsplit(url).port} (NEWSBOT_TEST_REDIS_URL)"
        )
    prefix = new_prefix()
    try:
        yield url, prefix
    finally:
        await drop_keys(url, prefix)


def too_many_requests(server: BotApiServer) -> int:
    """429s the server's flood control answered (not injected faults)."""
    return sum(1 for r in server.requests if r.status == 429 and not r.injected)


def send_times(server: BotApiServer, since: float = 0.0) -> list[float]:
    return [r.at for r in server.requests if r.method.lower() == "sendmessage" and r.ok and r.at >= since]


async def test_three_replica_processes_keep_telegrams_limits_together(
    botapi: BotApiServer, shared_redis: tuple[str, str]
) -> None:
    """Two replicas in their own processes and one here, each sending to the same 30 private chats and 2
    groups at once (about 75 messages/s of demand, three per private chat at once): no 429, at most the
    budget in any second, private chats a second apart."""
    url, prefix = shared_redis
    users = [botapi.add_user(f"Reader {i}") for i in range(30)]
    groups = [botapi.add_group(f"Newsroom {i}") for i in range(2)]
    chats = [u.id for u in users] * 2 + [g.id for g in groups] * 4  # each replica: 68 messages
    procs = [
        await asyncio.create_subprocess_exec(
            *replica_command(botapi.base_url, botapi.token, url, prefix, chats, 1, f"p{n}"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(2)
    ]
    here = make_bot(botapi.base_url, botapi.token, redis_budget(url, prefix))
    await here.initialize()
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert (await asyncio.wait_for(proc.stdout.readline(), 120)).strip() == b"ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        mine = await send_all(here, chats, 1, "here")
        results = [json.loads((await asyncio.wait_for(p.communicate(), 120))[0]) for p in procs]
    finally:
        await here.shutdown()
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
    assert mine.ok == len(chats) and all(r["ok"] == len(chats) for r in results), (mine, results)
    assert too_many_requests(botapi) == 0
    times = send_times(botapi)
    assert len(times) == 3 * len(chats)
    assert most_in_window(times, 1.0) <= MOST_PER_SECOND
    private = {u.id for u in users}
    assert min(shortest_gap(t) for chat, t in by_chat(botapi.requests) if chat in private) > 0.5
    assert max(r["replicas"] for r in results) == 3  # each counted the others in Redis


async def test_a_retry_after_in_one_replica_holds_the_others(
    botapi: BotApiServer, shared_redis: tuple[str, str]
) -> None:
    url, prefix = shared_redis
    first = make_bot(botapi.base_url, botapi.token, redis_budget(url, prefix), max_retries=0)
    second = make_bot(botapi.base_url, botapi.token, redis_budget(url, prefix))
    x, y, u, v, w = (botapi.add_user(name) for name in "XYUVW")
    await first.initialize()
    await second.initialize()
    assert second.rate_limiter.budget.replicas == 2  # type: ignore[union-attr]  # counted before sending
    loop = asyncio.get_running_loop()
    try:
        botapi.faults.retry_after_next(1, retry_after=2, methods=["sendMessage"])
        with pytest.raises(RetryAfter):
            await first.send_message(x.id, "refused")
        start = loop.time()
        await second.send_message(y.id, "another chat goes at once")
        assert loop.time() - start < 1.0
        await second.send_message(x.id, "the refused chat waits")
        assert loop.time() - start >= 1.5

        botapi.faults.retry_after_next(2, retry_after=2, methods=["sendMessage"])
        for chat in (u, v):  # two chats refused within a second: the overall limit was hit
            with pytest.raises(RetryAfter):
                await first.send_message(chat.id, "refused")
        start = loop.time()
        await second.send_message(w.id, "every chat waits")
        assert loop.time() - start >= 1.5
    finally:
        await first.shutdown()
        await second.shutdown()


class RedisProxy:
    """A TCP relay to the tests' Redis that the test can take away (the real server is shared: never
    stopped by a test) and bring back on the same port."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 6379
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self._host, self._port)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


async def test_redis_away_means_slower_never_faster_and_back_when_it_returns(
    botapi: BotApiServer, shared_redis: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    url, prefix = shared_redis
    proxy = RedisProxy(url)
    await proxy.start()
    db = urlsplit(url).path or "/0"
    via_proxy = f"redis://:s3cret-pw@127.0.0.1:{proxy.port}{db}"  # a password, to show it is never logged
    budgets = [redis_budget(via_proxy, prefix) for _ in range(2)]
    bots = [make_bot(botapi.base_url, botapi.token, b) for b in budgets]
    users = [botapi.add_user(f"Reader {i}") for i in range(40)]
    caplog.set_level(logging.INFO)
    for bot in bots:
        await bot.initialize()
    try:
        await asyncio.gather(*(send_all(bot, [u.id for u in users[:5]], 1, "up") for bot in bots))
        assert all(b.fallback is None and b.replicas == 2 for b in budgets)

        await proxy.stop()  # Redis goes away while the replicas run
        since = time.monotonic()
        sent = await asyncio.gather(*(send_all(bot, [u.id for u in users], 1, "away") for bot in bots))
        assert all(s.ok == len(users) for s in sent)
        away = send_times(botapi, since)
        share = [b.fallback.limits.overall for b in budgets if b.fallback]
        assert len(share) == 2 and all(r and r.per_second == OVERALL_PER_SECOND / MIN_SHARE for r in share)
        assert most_in_window(away, 1.0) <= MOST_PER_SECOND  # together within the shared budget
        # two replicas at 1/3 each: 2/3 of the budget at most
        assert max(away) - min(away) >= (len(away) - 2) / (OVERALL_PER_SECOND * 2 / MIN_SHARE) - 0.2
        assert too_many_requests(botapi) == 0

        await proxy.start()  # back on the same port
        deadline = time.monotonic() + 10
        while any(b.fallback for b in budgets) and time.monotonic() < deadline:
            await asyncio.gather(*(bot.send_message(users[0].id, "probe") for bot in bots))
        assert not any(b.fallback for b in budgets)
    finally:
        for bot in bots:
            await bot.shutdown()
        await proxy.stop()
    said = [r.getMessage() for r in caplog.records if r.name == "bot.subscribe.budget_redis"]
    assert sum("unreachable" in line for line in said) == 2, "\n".join(said)  # one line per replica
    assert sum("is back: sharing" in line for line in said) == 2, said
    assert f"127.0.0.1:{proxy.port}" in said[0]
    assert "s3cret-pw" not in caplog.text


async def test_the_bot_with_newsbot_redis_url_answers_through_the_shared_budget(
    botapi: BotApiServer, shared_redis: tuple[str, str], tmp_path: Path
) -> None:
    """The real Application built from settings: NEWSBOT_REDIS_URL gives it the Redis budget (keys under
    the bot's id), and a question is answered through it."""
    url, _ = shared_redis
    async with started_runner(botapi, tmp_path, redis_url=url) as runner:
        assert runner.app is not None
        budget = runner.app.bot.rate_limiter.budget  # type: ignore[union-attr]
        assert isinstance(budget, RedisBudget) and budget.fallback is None
        alice = botapi.add_user("Alice")
        botapi.send_text(alice, alice, "Why were NATO ministers in Bucharest?")
        [reply] = await botapi.wait_for_bot_messages(alice, 1, timeout=30)
        assert "Bucharest" in (reply.text or "")
    bot_id = botapi.token.split(":", 1)[0]
    await drop_keys(url, f"newsbot:{bot_id}:budget:")  # shared with no other test: only budget state
