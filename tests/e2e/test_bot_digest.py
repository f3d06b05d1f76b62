"""Scheduled digests end to end, with the bot's clock driven by the test: a daily digest at a chat's
local time across a daylight-saving change, a digest after a restart sent once, a missed digest after an
outage (sent when less than half a period late, skipped otherwise), per forum topic, and non-admins
refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.models import Article
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import TEST_OPTIONS, BotRunner, make_settings, seed
from tests.e2e.test_bot_forum import in_topic
from tests.e2e.test_bot_subscriptions import command

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@dataclass
class Clock:
    """The bot's idea of now, set by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def article(n: int, day: date, title: str, source: str = "news.example.org") -> Article:
    return Article(url=f"https://{source}/{n}", title=title, text=f"{title}. Reported on {day:%d %B}.",
                   published=day, source=source)  # fmt: skip


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock(at("2026-03-27T12:00"))


async def start(botapi: BotApiServer, tmp_path: Path, clock: Clock, articles: list[Article]) -> BotRunner:
    settings = make_settings(tmp_path, botapi)
    seed(settings, articles)
    runner = BotRunner(botapi, settings, options=replace(TEST_OPTIONS, clock=clock, digest_interval=0.1))
    await runner.start()
    return runner


@pytest.fixture(name="stopper")
async def stopper_fixture() -> AsyncIterator[list[BotRunner]]:
    runners: list[BotRunner] = []
    yield runners
    for runner in runners:
        await runner.stop()


async def tick(clock: Clock, when: str, pause: float = 0.4) -> None:
    """Move the bot's clock and give the digest job several runs."""
    clock.now = at(when)
    await asyncio.sleep(pause)


async def test_daily_digest_at_local_time_across_a_dst_change(
    botapi: BotApiServer, tmp_path: Path, clock: Clock, stopper: list[BotRunner]
) -> None:
    volcano = [
        article(1, date(2026, 3, 27), "Volcano rumbles in Iceland"),
        article(2, date(2026, 3, 28), "Volcano erupts near Grindavik", "dw.com"),
        article(3, date(2026, 3, 28), "Budget talks stall"),
        article(4, date(2026, 3, 29), "Volcano lava reaches the road"),
        article(5, date(2026, 3, 30), "Volcano eruption ends"),
    ]
    runner = await start(botapi, tmp_path, clock, volcano)
    stopper.append(runner)
    alice = botapi.add_user("Alice")
    assert "Europe/Berlin" in await command(botapi, alice, alice, "timezone", "europe/berlin")
    reply = await command(botapi, alice, alice, "digest", "daily 08:00 volcano")
    assert "daily at 08:00" in reply and "Europe/Berlin" in reply and "Sat 28 Mar, 08:00" in reply
    digests = lambda: [t for t in botapi.bot_texts(alice) if "Daily digest" in t]

    await tick(clock, "2026-03-28T06:59")  # 07:59 in Berlin (CET, UTC+1)
    assert digests() == []
    await tick(clock, "2026-03-28T07:00")  # 08:00 CET
    await botapi.wait_for(lambda: len(digests()) == 1, what="Saturday's digest")
    first = digests()[0]
    assert "Volcano rumbles" in first and "Volcano erupts" in first and "Budget" not in first
    await tick(clock, "2026-03-28T09:00")
    await tick(clock, "2026-03-29T05:59")  # 07:59 on Sunday, now CEST (UTC+2): clocks went forward at 02:00
    assert len(digests()) == 1
    await tick(clock, "2026-03-29T06:00")  # 08:00 CEST
    await botapi.wait_for(lambda: len(digests()) == 2, what="Sunday's digest, on local time")
    assert "Volcano lava reaches the road" in digests()[1] and "Volcano erupts" not in digests()[1]
    await tick(clock, "2026-03-29T07:00")  # 08:00 at the old offset: no second Sunday digest
    await tick(clock, "2026-03-30T05:59")
    assert len(digests()) == 2
    await tick(clock, "2026-03-30T06:00")
    await botapi.wait_for(lambda: len(digests()) == 3, what="Monday's digest")
    assert "Volcano eruption ends" in digests()[2]
    await tick(clock, "2026-03-31T06:00")  # nothing new on the topic: nothing sent
    assert len(digests()) == 3
    assert botapi.refused == []
    sent = [r for r in runner.store.subscriptions.deliveries(alice.id) if r["article_id"] == 0]
    assert [(r["period"], r["status"]) for r in sent] == [
        ("daily:2026-03-28", "sent"), ("daily:2026-03-29", "sent"), ("daily:2026-03-30", "sent"),
        ("daily:2026-03-31", "dropped"),
    ]  # fmt: skip


async def test_forum_topic_digest_restart_outage_and_non_admins(
    botapi: BotApiServer, tmp_path: Path, clock: Clock, stopper: list[BotRunner]
) -> None:
    news = [article(10 + d, date(2026, 3, d), f"Harbour news of March {d}") for d in range(9, 14)]
    clock.now = at("2026-03-09T12:00")
    runner = await start(botapi, tmp_path, clock, news)
    stopper.append(runner)
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    forum = botapi.add_forum("Port", admins=[alice], members=[bob])
    morning, other = botapi.create_topic(forum, alice, "Morning"), botapi.create_topic(forum, alice, "Other")

    assert "only" in await in_topic(botapi, forum, morning, bob, "digest", "daily 08:00")
    assert "only" in await in_topic(botapi, forum, morning, bob, "timezone", "Asia/Tokyo")
    set_up = await in_topic(botapi, forum, morning, alice, "digest", "daily 8:00 harbour")
    assert set_up.startswith("✅") and "in this topic" in set_up and "harbour" in set_up
    assert "daily at 08:00 (UTC)" in await in_topic(botapi, forum, morning, bob, "digest")  # anyone may look
    assert "no digest" in await in_topic(botapi, forum, other, bob, "digest")
    listing = await in_topic(botapi, forum, morning, bob, "subscriptions")
    assert "no subscriptions" in listing and "harbour</b>, daily at 08:00 (UTC)" not in listing
    assert "top stories on harbour, daily at 08:00 (UTC)" in listing
    assert "not a time" in await in_topic(botapi, forum, other, alice, "digest", "daily 25:00")
    in_morning = lambda: [t for t in botapi.bot_topic_texts(forum, morning) if "Daily digest" in t]

    await tick(clock, "2026-03-10T08:00:30")
    await botapi.wait_for(lambda: len(in_morning()) == 1, what="the digest in its topic")
    await runner.restart()
    await tick(clock, "2026-03-10T08:05")  # after a restart: not sent again
    assert len(in_morning()) == 1

    await runner.stop()  # down through Wednesday 08:00, back three hours later: sent once
    clock.now = at("2026-03-11T11:00")
    await runner.start()
    await botapi.wait_for(lambda: len(in_morning()) == 2, what="the missed digest")
    assert "March 11" in in_morning()[1]
    await tick(clock, "2026-03-11T11:30")
    assert len(in_morning()) == 2

    await runner.stop()  # down until Thursday 21:00: 13 hours late, more than half a day: skipped
    clock.now = at("2026-03-12T21:00")
    await runner.start()
    await tick(clock, "2026-03-12T21:01")
    assert len(in_morning()) == 2
    await tick(clock, "2026-03-13T08:00")  # the next one covers the gap
    await botapi.wait_for(lambda: len(in_morning()) == 3, what="Friday's digest")
    assert "March 12" in in_morning()[2] and "March 13" in in_morning()[2]
    assert not [t for t in botapi.bot_topic_texts(forum, other) if "Daily digest" in t]
    assert not [t for t in botapi.bot_topic_texts(forum, None) if "Daily digest" in t]


async def test_channels_remote_chats_menus_and_help(
    botapi: BotApiServer, tmp_path: Path, clock: Clock, stopper: list[BotRunner]
) -> None:
    runner = await start(botapi, tmp_path, clock, [article(1, date(2026, 3, 27), "Harbour reopens")])
    stopper.append(runner)
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    channel = botapi.add_channel("Port news", username="portnews", creator=alice)
    botapi.post_to_channel(channel, "/digest weekly sat 09:30 harbour")
    [reply] = await botapi.wait_for_bot_messages(channel, 1)
    assert "weekly on Saturday at 09:30 (UTC)" in (reply.text or "")
    assert "only administrators" in await command(botapi, bob, bob, "timezone", "@portnews Asia/Tokyo")
    assert "Asia/Tokyo" in await command(botapi, alice, alice, "timezone", "@portnews asia/tokyo")
    assert "(Asia/Tokyo)" in await command(botapi, alice, alice, "digest", "@portnews")
    assert "don't know the time zone" in await command(botapi, alice, alice, "timezone", "Moon/Base")
    await tick(clock, "2026-03-28T00:30")  # 09:30 in Tokyo on Saturday
    [_, digest] = await botapi.wait_for_bot_messages(channel, 2)
    assert "Weekly digest: harbour" in (digest.text or "") and "Harbour reopens" in (digest.text or "")
    assert "Digest turned off" in await command(botapi, alice, alice, "digest", "@portnews off")

    menus = {scope: [c["command"] for c in botapi.commands_for({"type": scope})]
             for scope in ("all_private_chats", "all_group_chats", "all_chat_administrators")}  # fmt: skip
    assert {"digest", "timezone"} <= set(menus["all_private_chats"])
    assert {"digest", "timezone"} <= set(menus["all_chat_administrators"])
    assert "digest" in menus["all_group_chats"] and "timezone" not in menus["all_group_chats"]
    assert "/digest" in await command(botapi, bob, bob, "help")


async def test_a_digest_whose_answer_is_lost_is_not_sent_again(
    botapi: BotApiServer, tmp_path: Path, clock: Clock, stopper: list[BotRunner]
) -> None:
    runner = await start(botapi, tmp_path, clock, [article(1, date(2026, 3, 28), "Ferry strike ends")])
    stopper.append(runner)
    alice = botapi.add_user("Alice")
    await command(botapi, alice, alice, "digest", "daily 09:00 ferry")
    botapi.faults.drop_next(1, methods=["sendMessage"], after=True)  # posted, but the answer never comes
    await tick(clock, "2026-03-28T09:00", pause=1.0)
    await tick(clock, "2026-03-28T09:30", pause=3.0)
    assert len([t for t in botapi.bot_texts(alice) if "Daily digest" in t]) == 1
    [claim] = [r for r in runner.store.subscriptions.deliveries(alice.id) if r["article_id"] == 0]
    assert claim["status"] == "unconfirmed"
