"""Subscriptions end to end: private chats, groups (admins, non-admins, anonymous admins), channels
(by channel post and from a private chat), pushes of newly ingested articles exactly once, bursts,
blocked users, group migration, and a restart in the middle of a push."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from tests.botapi import BotApiServer
from tests.botapi.models import Member
from tests.e2e.bot_fixtures import BotRunner, make_settings, new_article, runner_fixture, seed  # noqa: F401

# PTB itself warns when it builds a RetryAfter (flood control is part of these tests).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

NATO = new_article(
    1, "NATO ministers agree on air defence", "NATO ministers agreed to send more air defence."
)
GRAIN = new_article(2, "Grain exports rise", "Grain exports through the Black Sea rose again in May.")
FOOTBALL = new_article(
    3, "Grain & football: a club's sponsor", "A football club found a grain trader as sponsor."
)
MARKUP = new_article(
    4, "NATO <b>summit</b> & <script>x</script>", "Claims about NATO & <i>tags</i> were false."
)


async def settle(botapi: BotApiServer, runner: BotRunner, pause: float = 0.3) -> None:
    """Let the planner catch up and any (wrong) extra pushes arrive."""
    await runner.wait_planned()
    await asyncio.sleep(pause)


async def command(botapi: BotApiServer, chat: object, user: object, name: str, args: str = "") -> str:
    """Send a command and return the bot's reply text."""
    before = len(botapi.bot_messages(chat))
    botapi.send_command(chat, user, name, args)
    messages = await botapi.wait_for_bot_messages(chat, before + 1)
    return messages[before].text or ""


async def test_private_subscriptions_push_matching_articles_once(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice, bob, carol = botapi.add_user("Alice"), botapi.add_user("Bob"), botapi.add_user("Carol")
    assert "Subscribed" in await command(botapi, alice, alice, "subscribe", "NATO")
    assert "Subscribed" in await command(botapi, bob, bob, "subscribe", "grain -football")
    assert "every new article" in await command(botapi, carol, carol, "subscribe")
    assert "Already" in await command(botapi, alice, alice, "subscribe", "nato")
    await runner.ingest_with_cli(NATO, GRAIN, FOOTBALL)  # `python -m bot ingest` while the bot runs
    await botapi.wait_for(lambda: len(botapi.bot_messages(carol)) >= 4, what="carol's three cards")
    await settle(botapi, runner)
    alice_pushes = botapi.bot_texts(alice)[2:]
    assert len(alice_pushes) == 1 and "NATO ministers agree on air defence" in alice_pushes[0]
    assert "news.example.org" in alice_pushes[0] and "https://news.example.org/1" in alice_pushes[0]
    assert "send more air defence" in alice_pushes[0]  # the lead sentence
    bob_pushes = botapi.bot_texts(bob)[1:]
    assert len(bob_pushes) == 1 and "Grain exports rise" in bob_pushes[0]
    assert len(botapi.bot_texts(carol)) == 1 + 3

    # Updating known articles or re-ingesting them pushes nothing again.
    runner.ingest(new_article(1, "NATO ministers agree on air defence (updated)", "Corrected text."), GRAIN)
    await settle(botapi, runner)
    assert len(botapi.bot_texts(alice)) == 3 and len(botapi.bot_texts(carol)) == 4

    listing = await command(botapi, alice, alice, "subscriptions")
    assert "nato" in listing
    assert "Unsubscribed" in await command(botapi, alice, alice, "unsubscribe", "Nato")
    assert "no subscriptions" in (await command(botapi, alice, alice, "subscriptions")).lower()


async def test_markup_in_pushed_articles_renders_as_text(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    await command(botapi, alice, alice, "subscribe", "nato")
    runner.ingest(MARKUP)
    [_, card] = await botapi.wait_for_bot_messages(alice, 2)
    assert "NATO <b>summit</b> & <script>x</script>" in (card.text or "")
    assert "Claims about NATO & <i>tags</i> were false." in (card.text or "")
    assert ("bold", "summit") not in card.entity_texts()


async def test_group_only_admins_change_subscriptions(botapi: BotApiServer, runner: BotRunner) -> None:
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    group = botapi.add_group("Team", admins=[alice], members=[bob])
    refusal = await command(botapi, group, bob, "subscribe", "nato")
    assert "only" in refusal and "administrators" in refusal
    assert "Subscribed" in await command(botapi, group, alice, "subscribe", "nato")
    botapi.send_as_anonymous_admin(group, "/subscribe@thebot grain")
    await botapi.wait_for(lambda: "grain" in botapi.bot_texts(group)[-1], what="anonymous admin subscribed")
    assert "Subscribed" in botapi.bot_texts(group)[-1]
    assert (
        "no subscription" not in (await command(botapi, group, bob, "subscriptions")).lower()
    )  # anyone may look
    refusal = await command(botapi, group, bob, "unsubscribe", "all")
    assert "only" in refusal
    before = len(botapi.bot_messages(group))
    runner.ingest(NATO, GRAIN)
    await botapi.wait_for(
        lambda: len(botapi.bot_messages(group)) >= before + 2, what="two cards in the group"
    )
    await settle(botapi, runner)
    pushes = botapi.bot_texts(group)[before:]
    assert (
        len(pushes) == 2
        and any("NATO ministers" in p for p in pushes)
        and any("Grain exports" in p for p in pushes)
    )


async def test_channel_subscribes_by_channel_post(botapi: BotApiServer, runner: BotRunner) -> None:
    channel = botapi.add_channel("World news", username="worldnews")
    botapi.post_to_channel(channel, "/subscribe@otherbot nato")  # for another bot: ignored
    botapi.post_to_channel(channel, "/subscribe nato")
    [reply] = await botapi.wait_for_bot_messages(channel, 1)
    assert "Subscribed" in (reply.text or "")
    runner.ingest(NATO, GRAIN)
    [_, card] = await botapi.wait_for_bot_messages(channel, 2)
    assert "NATO ministers" in (card.text or "")
    await settle(botapi, runner)
    assert len(botapi.bot_messages(channel)) == 2


async def test_channel_managed_from_a_private_chat(botapi: BotApiServer, runner: BotRunner) -> None:
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    channel = botapi.add_channel("Daily digest", username="dailydigest", creator=alice)
    mute = botapi.add_channel("Read only", username="readonly", creator=alice, can_post=False)
    reply = await command(botapi, alice, alice, "subscribe", "@dailydigest grain")
    assert "Subscribed" in reply and "Daily digest" in reply
    refusal = await command(botapi, bob, bob, "subscribe", "@dailydigest nato")
    assert "only administrators" in refusal
    cannot = await command(botapi, alice, alice, "subscribe", "@readonly grain")
    assert "can't post" in cannot
    assert "can't find" in await command(botapi, alice, alice, "subscribe", "@nosuchchannel grain")
    assert "grain" in await command(botapi, alice, alice, "subscriptions", "@dailydigest")
    runner.ingest(NATO, GRAIN)
    [card] = await botapi.wait_for_bot_messages(channel, 1)
    assert "Grain exports rise" in (card.text or "")
    await settle(botapi, runner)
    assert len(botapi.bot_messages(channel)) == 1 and not botapi.bot_messages(mute)
    assert len(botapi.bot_messages(alice)) == 4  # only the command replies, no pushes


async def test_subscription_limit_and_unusable_topics(botapi: BotApiServer, runner: BotRunner) -> None:
    botapi.limits.enabled = False  # seven commands in a row; pacing is not what this test is about
    alice = botapi.add_user("Alice")
    for topic in ("nato", "grain", "football"):  # the test settings allow 3
        assert "Subscribed" in await command(botapi, alice, alice, "subscribe", topic)
    assert "the most allowed" in await command(botapi, alice, alice, "subscribe", "budget")
    assert "common words" in await command(botapi, alice, alice, "subscribe", "the of and")
    which = await command(botapi, alice, alice, "unsubscribe")
    assert "Which one" in which and "football" in which
    assert "all 3" in await command(botapi, alice, alice, "unsubscribe", "all")


async def test_burst_becomes_a_compact_digest(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    await command(botapi, alice, alice, "subscribe", "volcano")
    events = [  # six events, not one story told six times
        "Iceland evacuates Grindavik as volcano lava nears the fishing town's houses",
        "Hawaii park rangers close Kilauea crater trails after earthquakes",
        "Sicily airport in Catania shuts as Etna ash covers runways",
        "Java villagers flee Semeru pyroclastic flows, dozens injured",
        "Chile raises alert for Villarrica after seismic swarm near the lake",
        "Japan tourists rescued from Sakurajima ferry amid sudden ash plume",
    ]
    runner.ingest(*[new_article(200 + i, f"Volcano update {i}: {e}", f"{e}.") for i, e in enumerate(events)])
    [_, digest] = await botapi.wait_for_bot_messages(alice, 2)
    await settle(botapi, runner)
    assert len(botapi.bot_messages(alice)) == 2
    assert "6 new articles" in (digest.text or "")
    assert all(f"Volcano update {i}" in (digest.text or "") for i in range(6))


async def test_blocked_user_is_paused_and_resumes_when_unblocked(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice = botapi.add_user("Alice")
    await command(botapi, alice, alice, "subscribe", "nato")
    # Alice blocks the bot while it misses the update: the next push gets 403 Forbidden.
    botapi.chat(alice).bot = Member(botapi.bot_user.id, "kicked")
    runner.ingest(NATO)
    await settle(botapi, runner)
    record = runner.store.subscriptions.get_chat(alice.id)
    assert record is not None and record.paused and "blocked" in (record.paused_reason or "")
    assert any(r.method == "sendMessage" and r.status == 403 for r in botapi.requests)
    runner.ingest(MARKUP)  # nothing is even tried while paused
    await settle(botapi, runner)
    assert sum(r.method == "sendMessage" and r.status == 403 for r in botapi.requests) == 1

    botapi.unblock_bot(alice)  # my_chat_member kicked → member
    await botapi.wait_for(lambda: not runner.store.subscriptions.get_chat(alice.id).paused, what="resumed")
    runner.ingest(new_article(5, "NATO after the unblock", "NATO news that Alice receives."))
    [_, card] = await botapi.wait_for_bot_messages(alice, 2)
    assert "NATO after the unblock" in (card.text or "")

    botapi.block_bot(alice)  # with the my_chat_member update this time
    await botapi.wait_for(
        lambda: runner.store.subscriptions.get_chat(alice.id).paused, what="paused by update"
    )


async def test_group_migration_keeps_subscriptions(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    group = botapi.add_group("Club", admins=[alice])
    await command(botapi, group, alice, "subscribe", "grain")
    supergroup = botapi.migrate_to_supergroup(group, alice)
    await botapi.wait_for(lambda: runner.store.subscriptions.list(supergroup.id), what="subscriptions moved")
    assert runner.store.subscriptions.list(group.id) == []
    runner.ingest(GRAIN)
    [card] = await botapi.wait_for_bot_messages(supergroup, 1)
    assert "Grain exports rise" in (card.text or "")


async def test_restart_mid_push_loses_and_repeats_nothing(botapi: BotApiServer, runner: BotRunner) -> None:
    users = [botapi.add_user(f"User{i}") for i in range(3)]
    for user in users:
        await command(botapi, user, user, "subscribe")
    await runner.stop()
    runner.options = replace(runner.options, chat_pace=2.0)  # slow enough to stop between messages
    await runner.start()
    runner.ingest(NATO, GRAIN, FOOTBALL)  # 3 cards for each of the 3 users
    await botapi.wait_for(lambda: sum(len(botapi.bot_messages(u)) for u in users) >= 3 + 1, what="pushing")
    await runner.stop()  # like SIGTERM: the message in flight finishes, the rest stays queued
    sent_before_restart = sum(len(botapi.bot_messages(u)) for u in users) - 3
    assert 0 < sent_before_restart < 9, sent_before_restart
    await runner.start()
    await botapi.wait_for(lambda: sum(len(botapi.bot_messages(u)) for u in users) >= 3 + 9, timeout=10)
    await settle(botapi, runner)
    for user in users:
        pushes = Counter(text.split("\n")[0] for text in botapi.bot_texts(user)[1:])
        assert len(pushes) == 3 and set(pushes.values()) == {1}, pushes


async def test_polled_folder_brings_new_articles_to_subscribers(botapi: BotApiServer, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = make_settings(tmp_path, botapi, watch_dirs=[inbox], poll_interval_minutes=0.005)  # every 0.3 s
    seed(settings)
    bot = BotRunner(botapi, settings)
    await bot.start()
    try:
        alice = botapi.add_user("Alice")
        await command(botapi, alice, alice, "subscribe", "volcano")
        record = {
            "url": "https://news.example.org/volcano",
            "title": "Volcano erupts in Iceland",
            "text": "A volcano erupted in Iceland on Sunday, sending lava towards a town.",
            "published": new_article(0, "", "").published.isoformat(),
            "source": "news.example.org",
        }
        (inbox / "new.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
        [_, card] = await botapi.wait_for_bot_messages(alice, 2, timeout=10)
        assert "Volcano erupts in Iceland" in (card.text or "")
        await asyncio.sleep(1)  # several more polls of the same folder push nothing again
        assert len(botapi.bot_messages(alice)) == 2
    finally:
        await bot.stop()
