"""Webhook replicas (#14 item 5): three `python -m bot run --webhook` processes on one store behind a
round-robin balancer each answer the updates they get; an article ingested by another process is
answerable on each within a second (#14 item 2); one of them leads (the store's lease), and a leader
killed with kill -9 is replaced; an update a dead replica cannot take goes to another one."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot.store import Store
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import make_settings, new_article, seed
from tests.e2e.replica_support import Replica, start_replicas

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kill -9 semantics of Linux")

LEASE = 3.0  # seconds: a dead leader is replaced within LEASE + LEASE / 3


def leader_pid(store: Store) -> int | None:
    holder = store.leases.holder("leader")
    return int(holder.split(":")[1]) if holder else None


async def ask_each(botapi: BotApiServer, prefix: str, n: int, question: str, expect: str) -> None:
    """``n`` new people ask ``question``; each answer mentions ``expect``; every update acknowledged."""
    users = [botapi.add_user(f"{prefix}{i}") for i in range(n)]
    for user in users:
        botapi.send_text(user, user, question)
    for user in users:
        [reply] = await botapi.wait_for_bot_messages(user, 1, timeout=30)
        assert expect.lower() in (reply.text or "").lower()
    await botapi.wait_for(lambda: not botapi.updates.pending, timeout=10, what="every update acknowledged")


async def test_three_replicas_answer_round_robin_and_a_killed_leader_is_replaced(
    botapi_no_limits: BotApiServer, tmp_path: Path
) -> None:
    botapi = botapi_no_limits
    settings = make_settings(tmp_path, botapi)
    seed(settings)
    replicas: list[Replica] = await start_replicas(
        botapi, settings.data_dir, tmp_path, 3, NEWSBOT_LEASE_SECONDS=str(LEASE)
    )
    store = Store.from_settings(settings)
    try:
        await ask_each(botapi, "U", 6, "Why did NATO ministers meet in Bucharest?", "Bucharest")
        assert sorted(botapi.webhook.delivered_to().values()) == [2, 2, 2]  # each replica answered its share

        # an article ingested by another process is answerable on every replica within a second
        store.articles.upsert(new_article(30, "Volcano erupts on Iceland's Reykjanes peninsula",
                                          "A volcano erupted near Grindavik on Iceland's Reykjanes peninsula."))  # fmt: skip
        await asyncio.sleep(1.0)
        await ask_each(botapi, "V", 3, "Where did the volcano erupt?", "Grindavik")
        assert sorted(botapi.webhook.delivered_to().values()) == [3, 3, 3]  # each replica answered one

        pids = {r.pid: r for r in replicas}
        await botapi.wait_for(lambda: leader_pid(store) in pids, timeout=10, what="a leader")
        first = pids[leader_pid(store)]  # type: ignore[index]
        await first.kill()
        await botapi.wait_for(
            lambda: leader_pid(store) not in (None, first.pid), timeout=3 * LEASE + 5, what="a new leader"
        )
        assert pids[leader_pid(store)].alive  # type: ignore[index]

        await ask_each(botapi, "L", 4, "Was the grain deal extended?", "grain")  # some go to the dead one first
        refused = {a.update_id for a in botapi.webhook.log if a.target == first.url and a.status != 200}
        assert refused  # the dead replica's turn went to the next one at once
        for replica in replicas:
            assert "Traceback" not in replica.text()
    finally:
        store.close()
        for replica in replicas:
            await replica.terminate()


async def test_a_webhook_update_is_acknowledged_only_once_handled(botapi: BotApiServer, free_port: int) -> None:
    """A replica that dies while handling leaves its update unacknowledged, so it is delivered again."""
    from telegram import Update
    from telegram.ext import ContextTypes, MessageHandler, filters

    from bot.chat.replicas import HandledApplication, HandledQueue

    release, seen = asyncio.Event(), asyncio.Event()

    async def slow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.set()
        await release.wait()
        await update.effective_message.reply_text("done")

    queue = HandledQueue()
    queue.wait_for_handling = True
    app = botapi.application_builder().application_class(HandledApplication).update_queue(queue).build()
    app.add_handler(MessageHandler(filters.TEXT, slow))
    alice = botapi.add_user("Alice")
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1", port=free_port, url_path="hook", webhook_url=f"http://127.0.0.1:{free_port}/hook"
        )
        botapi.send_text(alice, alice, "question")
        await asyncio.wait_for(seen.wait(), 10)
        await asyncio.sleep(0.3)
        assert len(botapi.updates.pending) == 1  # handled but not answered yet: not acknowledged
        release.set()
        await botapi.wait_for_bot_messages(alice, 1)
        await botapi.wait_for(lambda: not botapi.updates.pending, timeout=5, what="the acknowledgement")
        await app.updater.stop()
        await app.stop()
