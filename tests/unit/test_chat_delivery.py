"""The push sender against a scripted bot: claims, a crash or lost answer re-sent once its lease ends (the
one window), and each refusal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.chat.context import BotOptions
from bot.chat.delivery import SendReport, send_pending
from bot.models import Article
from bot.store import ClaimLost, Store
from bot.subscribe.outbox import Claim, Outbox
from bot.subscribe.planner import plan_deliveries

from ..postgres_support import DIALECTS, open_store

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
OPTIONS = BotOptions(chat_pace=0.0)
LEASE = 0.3
SHORT_LEASE = BotOptions(chat_pace=0.0, claim_lease=LEASE)


class Killed(Exception):
    """Stands for the process dying at that line."""


@dataclass
class Sent:
    message_id: int


@dataclass
class ScriptedBot:
    """``send_message`` records what it sent, or raises the next scripted error for a chat."""

    errors: dict[int, list[Exception]] = field(default_factory=dict)
    sent: list[tuple[int, str]] = field(default_factory=list)

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Sent:
        queue = self.errors.get(chat_id)
        if queue:
            raise queue.pop(0)
        self.sent.append((chat_id, text))
        return Sent(len(self.sent))


@pytest.fixture(params=DIALECTS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = open_store(request, tmp_path)
    plan_deliveries(s)
    yield s
    s.close()


def queue_articles(store: Store, chats: list[int], n: int = 2) -> list[int]:
    """Subscribe chats to everything and add ``n`` new articles: chats × n deliveries queued."""
    for chat_id in chats:
        store.subscriptions.add(chat_id, "", None, limit=5)
    start = store.articles.max_seq()
    ids = [
        store.articles.upsert(
            Article(url=f"https://ex.com/{start + i}", title=f"Story {start + i}", text=f"Text {start + i}.",
                    published=date(2024, 5, 1), source="ex.com")
        ).article_id
        for i in range(n)
    ]  # fmt: skip
    plan_deliveries(store)
    return ids


async def test_all_sent_once_and_not_again(store: Store) -> None:
    queue_articles(store, [1, 2])
    bot = ScriptedBot()
    report = await send_pending(bot, Outbox(store), OPTIONS)
    assert (report.messages, report.articles) == (4, 4)
    await send_pending(bot, Outbox(store), OPTIONS)
    assert len(bot.sent) == 4
    assert {r["status"] for r in store.subscriptions.deliveries()} == {"sent"}


async def test_crash_between_send_and_record_resends_that_message_once_the_lease_ends(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_articles(store, [1], n=3)
    bot = ScriptedBot()
    real_mark = store.subscriptions.mark_sent
    calls = 0

    def dies_on_second(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Killed("process killed")  # the message went out; its record did not
        real_mark(*args, **kwargs)

    monkeypatch.setattr(store.subscriptions, "mark_sent", dies_on_second)
    with pytest.raises(Killed):
        await send_pending(bot, Outbox(store), SHORT_LEASE, claim=Claim("dead", LEASE))
    monkeypatch.setattr(store.subscriptions, "mark_sent", real_mark)
    assert store.subscriptions.delivery_counts() == {"sent": 1, "sending": 1, "pending": 1}
    await send_pending(
        bot, Outbox(store), SHORT_LEASE, claim=Claim("other", LEASE)
    )  # another replica, at once: the claim holds
    assert len(bot.sent) == 2
    await asyncio.sleep(LEASE + 0.05)
    await send_pending(
        bot, Outbox(store), SHORT_LEASE, claim=Claim("other", LEASE)
    )  # the lease ended: taken over
    titles = [text.split("\n")[0] for _, text in bot.sent]
    assert len(titles) == 4 and len(set(titles)) == 3  # nothing lost; the one in the window arrived twice
    assert titles[1] == titles[2]
    assert store.subscriptions.delivery_counts() == {"sent": 3}
    [resent] = store.claims.resent()
    assert resent["attempts"] == 2 and resent["status"] == "sent"


async def test_two_replicas_never_send_to_one_chat_at_once_nor_twice(store: Store) -> None:
    queue_articles(store, [1, 2, 3, 4, 5, 6], n=2)
    first, second = ScriptedBot(), ScriptedBot()
    paced = BotOptions(chat_pace=0.05, delivery_concurrency=2)
    await asyncio.gather(
        send_pending(first, Outbox(store), paced, claim=Claim("a", 30)),
        send_pending(second, Outbox(store), paced, claim=Claim("b", 30)),
    )
    chats_a, chats_b = {c for c, _ in first.sent}, {c for c, _ in second.sent}
    assert chats_a and chats_b and not chats_a & chats_b  # each chat's queue went through one replica
    assert len(first.sent) + len(second.sent) == 12
    assert store.subscriptions.delivery_counts() == {"sent": 12}


async def test_a_replica_whose_claim_was_taken_over_sends_nothing(store: Store) -> None:
    queue_articles(store, [1], n=1)
    repo = store.claims
    assert repo.claim("stalled", 10.0, 5, now=time.time() - 20) == [(1, 0)]  # its lease ended 10 s ago
    assert repo.claim("alive", 10.0, 5) == [(1, 0)]
    [article] = repo.claimed(1, "alive")
    with pytest.raises(ClaimLost):
        repo.mark_sending(1, [article], "stalled", 10.0)
    repo.mark_sending(1, [article], "alive", 10.0)


async def test_stopping_between_messages_leaves_the_rest_queued(store: Store) -> None:
    queue_articles(store, [1], n=3)
    bot = ScriptedBot()
    budget = iter([True, True, False])
    await send_pending(bot, Outbox(store), OPTIONS, keep_going=lambda: next(budget, False))
    assert len(bot.sent) == 1 and len(store.subscriptions.pending(1)) == 2
    await send_pending(bot, Outbox(store), OPTIONS)
    assert len(bot.sent) == 3 and not store.subscriptions.pending(1)


async def test_forbidden_pauses_the_chat_and_others_go_on(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    queue_articles(store, [1, 2])
    bot = ScriptedBot(errors={1: [Forbidden("Forbidden: bot was blocked by the user")]})
    report = await send_pending(bot, Outbox(store), OPTIONS)
    assert report.paused == [1] and report.messages == 2
    chat = store.subscriptions.get_chat(1)
    assert chat is not None and chat.paused and "blocked" in (chat.paused_reason or "")
    assert store.subscriptions.pending(1) == []  # dropped, not kept for a flood later
    assert "paused" in caplog.text


async def test_chat_migrated_moves_subscriptions_and_resends_to_the_new_id(store: Store) -> None:
    queue_articles(store, [-5])
    bot = ScriptedBot(errors={-5: [ChatMigrated(-1005)]})
    report = await send_pending(bot, Outbox(store), OPTIONS)
    assert report.messages == 2 and {c for c, _ in bot.sent} == {-1005}
    assert [s.topic for s in store.subscriptions.list(-1005)] == [""] and store.subscriptions.list(-5) == []
    assert {r["status"] for r in store.subscriptions.deliveries(-1005)} == {"sent"}


async def test_retry_after_and_no_connection_keep_deliveries_queued(store: Store) -> None:
    queue_articles(store, [1, 2])
    never_connected = NetworkError("httpx.ConnectError: connection refused")
    never_connected.__cause__ = httpx.ConnectError("connection refused")
    bot = ScriptedBot(errors={1: [RetryAfter(30)], 2: [never_connected]})
    report = await send_pending(bot, Outbox(store), OPTIONS)
    assert sorted(report.deferred) == [1, 2] and report.messages == 0
    assert len(store.subscriptions.pending(1)) == 2 and len(store.subscriptions.pending(2)) == 2
    await send_pending(bot, Outbox(store), OPTIONS)
    assert len(bot.sent) == 4


async def test_a_push_whose_answer_never_came_is_sent_again_once_its_lease_ends(store: Store) -> None:
    """A timeout or lost answer may hide a posted message: the chat waits for the lease, then it is sent
    again (it may arrive twice: the one window); the other chats go on."""
    queue_articles(store, [1, 2, 3])
    timed_out = TimedOut()
    timed_out.__cause__ = httpx.ReadTimeout("no answer")
    bot = ScriptedBot(errors={1: [timed_out], 2: [NetworkError("Bad Gateway (502)")]})
    report = await send_pending(bot, Outbox(store), SHORT_LEASE)
    assert sorted(report.unconfirmed) == [1, 2] and report.messages == 2
    await send_pending(bot, Outbox(store), SHORT_LEASE)
    assert sorted(c for c, _ in bot.sent) == [3, 3]  # chats 1 and 2 wait for their lease
    await asyncio.sleep(LEASE + 0.05)
    await send_pending(bot, Outbox(store), SHORT_LEASE)
    assert sorted(c for c, _ in bot.sent) == [1, 1, 2, 2, 3, 3]
    assert store.subscriptions.delivery_counts() == {"sent": 6}
    assert len(store.claims.resent()) == 2


async def test_a_refused_message_is_dropped_not_retried_forever(store: Store) -> None:
    queue_articles(store, [1])
    bot = ScriptedBot(errors={1: [BadRequest("Bad Request: can't parse entities")]})
    report: SendReport = await send_pending(bot, Outbox(store), OPTIONS)
    assert report.refused == [1] and report.messages == 1
    assert [r["status"] for r in store.subscriptions.deliveries(1)] == ["dropped", "sent"]


async def test_chat_not_found_pauses(store: Store) -> None:
    queue_articles(store, [-7])
    bot = ScriptedBot(errors={-7: [BadRequest("Bad Request: chat not found")]})
    report = await send_pending(bot, Outbox(store), OPTIONS)
    assert report.paused == [-7]
