"""Webhook delivery to several replicas (test-only ``webhook.balance``): round robin, a failed delivery
re-sent at once to another replica, a chat's updates in order, several chats at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import telegram
from aiohttp import web

from tests.botapi import BotApiServer

SECRET = "same-secret"


class Replica:
    """A tiny webhook endpoint that records what it accepted; ``behave`` may fail or slow a request."""

    def __init__(self, behave: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.secrets: list[str | None] = []
        self.behave = behave
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        update = await request.json()
        self.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        if self.behave is not None:
            answer = self.behave(update)
            if asyncio.iscoroutine(answer):
                answer = await answer
            if isinstance(answer, web.StreamResponse):
                return answer
        self.received.append(update)
        return web.Response(text="ok")


@asynccontextmanager
async def replicas(*behaviours: Callable[[dict[str, Any]], Any] | None) -> AsyncIterator[list[Replica]]:
    made, runners = [], []
    for behave in behaviours:
        replica = Replica(behave)
        app = web.Application()
        app.router.add_post("/hook", replica.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        replica.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        made.append(replica)
        runners.append(runner)
    try:
        yield made
    finally:
        for runner in runners:
            await runner.cleanup()


def texts(replica: Replica) -> list[str]:
    return [u["message"]["text"] for u in replica.received]


async def test_round_robin_over_three_replicas(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    async with replicas(None, None, None) as three:
        botapi.webhook.balance([r.url for r in three])
        await tg_bot.set_webhook("http://127.0.0.1:9/balancer", secret_token=SECRET)
        users = [botapi.add_user(f"U{n}") for n in range(6)]
        for n, user in enumerate(users):
            botapi.send_text(user, user, f"q{n}")
        await botapi.wait_for(lambda: not botapi.updates.pending and not botapi.webhook._in_flight, timeout=5)
        assert sorted(t for r in three for t in texts(r)) == [f"q{n}" for n in range(6)]
        assert [len(r.received) for r in three] == [2, 2, 2]
        assert {s for r in three for s in r.secrets} == {SECRET}
        assert (await tg_bot.get_webhook_info()).url == "http://127.0.0.1:9/balancer"


async def test_a_failed_replica_gets_its_update_sent_to_the_next(
    botapi: BotApiServer, tg_bot: telegram.Bot
) -> None:
    def broken(update: dict[str, Any]) -> web.Response:
        return web.Response(status=500)

    async with replicas(broken, None) as (bad, good):
        dead = "http://127.0.0.1:9/hook"  # nothing listens: connection refused, like a killed replica
        botapi.webhook.balance([dead, bad.url, good.url])
        await tg_bot.set_webhook("http://127.0.0.1:9/balancer", secret_token=SECRET)
        alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
        botapi.send_text(alice, alice, "one")
        botapi.send_text(bob, bob, "two")
        await botapi.wait_for(lambda: len(good.received) == 2, timeout=5)
        assert sorted(texts(good)) == ["one", "two"] and bad.received == []
        tries: dict[int, list[str]] = {}
        for attempt in botapi.webhook.log:
            tries.setdefault(attempt.update_id, []).append(attempt.target)
        assert sorted(map(len, tries.values())) == [2, 3]  # no back-off wait between replicas
        assert all(t[-1] == good.url for t in tries.values())
        assert botapi.webhook.delivered_to() == {dead: 0, bad.url: 0, good.url: 2}
        assert (await tg_bot.get_webhook_info()).pending_update_count == 0


async def test_a_chat_in_order_while_other_chats_go_at_once(
    botapi: BotApiServer, tg_bot: telegram.Bot
) -> None:
    started: list[str] = []
    release = asyncio.Event()

    async def slow(update: dict[str, Any]) -> None:
        started.append(update["message"]["text"])
        if update["message"]["text"] == "a1":
            await release.wait()

    async with replicas(slow, slow) as two:
        botapi.webhook.balance([r.url for r in two])
        await tg_bot.set_webhook("http://127.0.0.1:9/balancer", secret_token=SECRET)
        alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
        botapi.send_text(alice, alice, "a1")
        botapi.send_text(alice, alice, "a2")
        botapi.send_text(bob, bob, "b1")
        await botapi.wait_for(lambda: "b1" in started, timeout=5)
        await asyncio.sleep(0.2)
        assert "a2" not in started  # Alice's second update waits for her first one
        release.set()
        await botapi.wait_for(lambda: "a2" in started, timeout=5)
        assert started.index("a1") < started.index("a2")
