"""Forum supergroups end to end: questions answered in the topic they were asked in (and their "More"
pages), subscriptions per topic, and topics that are deleted or closed while subscribed."""

from __future__ import annotations

import asyncio

import pytest

from tests.botapi import BotApiServer
from tests.botapi.models import Chat, ForumTopic, User
from tests.e2e.bot_fixtures import BotRunner, new_article, runner_fixture  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

NATO = new_article(
    11, "NATO ministers agree on air defence", "NATO ministers agreed to send more air defence."
)
GRAIN = new_article(12, "Grain exports rise", "Grain exports through the Black Sea rose again in May.")
NATO_2 = new_article(13, "NATO opens a new base", "NATO opened a new base in Romania on Tuesday.")
NATO_3 = new_article(14, "NATO drills in the north", "NATO troops drilled in Norway this week.")


#: A forum is one group to Telegram: past a burst of 8 messages the bot sends 12 a minute (bot/chat/ratelimit.py),
#: so a wait late in a long scenario may take a few seconds more than the usual 5.
GROUP_PACED = 20.0


async def in_topic(
    botapi: BotApiServer, forum: Chat, topic: ForumTopic | None, user: User, name: str, args: str = ""
) -> str:
    """Send a command inside ``topic`` (None: General) and return the bot's reply in that same topic."""
    before = len(botapi.bot_topic_texts(forum, topic))
    botapi.send_command(forum, user, name, args, topic=topic)
    await botapi.wait_for(
        lambda: len(botapi.bot_topic_texts(forum, topic)) > before,
        timeout=GROUP_PACED,
        what=f"reply to /{name}",
    )
    return botapi.bot_topic_texts(forum, topic)[before]


async def test_two_topics_two_subscriptions_and_a_question_in_each(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    # The bot is an admin: Telegram shows it all chatter, so it must tell questions from talk itself.
    forum = botapi.add_forum("Newsroom", admins=[alice], members=[bob], bot_admin=True)
    politics = botapi.create_topic(forum, alice, "Politics")
    created = await runner.app.bot.create_forum_topic(forum.id, "Markets")  # a topic the bot made
    markets = forum.topics[created.message_thread_id]

    assert "in this topic" in await in_topic(botapi, forum, politics, alice, "subscribe", "nato")
    assert "in this topic" in await in_topic(botapi, forum, markets, alice, "subscribe", "grain")
    assert "only" in await in_topic(botapi, forum, markets, bob, "subscribe", "football")
    listing = await in_topic(botapi, forum, politics, bob, "subscriptions")
    assert "nato" in listing and "grain" not in listing
    overview = await in_topic(botapi, forum, None, bob, "subscriptions")
    assert "Politics" in overview and "Markets" in overview and "nato" in overview and "grain" in overview

    # Questions: /ask in one topic, a mention in the other, each answered where it was asked.
    botapi.send_command(forum, bob, "ask", "Why did NATO ministers meet in Bucharest?", topic=politics)
    botapi.mention_bot(forum, bob, "grain deal Black Sea", topic=markets)
    botapi.send_text(forum, bob, "Chatter in the bot's own topic is not a question", topic=markets)
    await botapi.wait_for(
        lambda: (
            len(botapi.bot_topic_texts(forum, politics)) == 3
            and len(botapi.bot_topic_texts(forum, markets)) == 3
        ),
        timeout=GROUP_PACED,
        what="an answer in each topic",
    )
    [answer] = [m for m in botapi.topic_messages(forum, politics) if m.by_bot][-1:]
    assert "Bucharest" in (answer.text or "")
    assert "Black Sea grain deal extended" in botapi.bot_topic_texts(forum, markets)[-1]
    # "More" pages edit the answer in place, so they stay in the topic.
    botapi.press_button(answer, bob, text=answer.buttons()[0]["text"])
    await botapi.wait_for(lambda: answer.is_edited, timeout=GROUP_PACED, what="the next page")
    assert answer in botapi.topic_messages(forum, politics)
    # A reply to the bot's answer is a question too, answered in the topic.
    botapi.reply(bob, answer, "and what about the grain deal?")
    await botapi.wait_for(
        lambda: len(botapi.bot_topic_texts(forum, politics)) == 4, timeout=GROUP_PACED, what="reply answered"
    )

    # Pushes: each topic gets its own subscription's articles; General gets none.
    runner.ingest(NATO, GRAIN)
    await botapi.wait_for(
        lambda: (
            len(botapi.bot_topic_texts(forum, politics)) == 5
            and len(botapi.bot_topic_texts(forum, markets)) == 4
        ),
        timeout=GROUP_PACED,
        what="one card per topic",
    )
    await runner.wait_planned()
    await asyncio.sleep(0.3)
    assert "NATO ministers agree" in botapi.bot_topic_texts(forum, politics)[-1]
    assert "Grain exports rise" in botapi.bot_topic_texts(forum, markets)[-1]
    assert (
        len(botapi.bot_topic_texts(forum, politics)) == 5 and len(botapi.bot_topic_texts(forum, markets)) == 4
    )
    assert len(botapi.bot_topic_texts(forum, None)) == 1  # the /subscriptions overview only
    assert botapi.refused == []

    # A reply chain in General carries a message_thread_id too; it is no topic: answered in General.
    [overview_message] = [m for m in botapi.topic_messages(forum, None) if m.by_bot]
    botapi.reply(bob, overview_message, "What about the NATO meeting in Bucharest?")
    await botapi.wait_for(
        lambda: len(botapi.bot_topic_texts(forum, None)) == 2,
        timeout=GROUP_PACED,
        what="an answer in General",
    )
    assert "Bucharest" in botapi.bot_topic_texts(forum, None)[-1] and botapi.refused == []

    assert "Unsubscribed" in await in_topic(botapi, forum, politics, alice, "unsubscribe", "all")
    assert runner.store.subscriptions.list(forum.id)[0].topic == "grain"  # the other topic keeps its own


async def test_deleted_and_closed_topics_pause_only_themselves(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice = botapi.add_user("Alice")
    forum = botapi.add_forum("Club", admins=[alice])  # the bot is a plain member: closed topics refuse it
    doomed = botapi.create_topic(forum, alice, "Doomed")
    closing = botapi.create_topic(forum, alice, "Closing")
    lasting = botapi.create_topic(forum, alice, "Lasting")
    for topic in (doomed, closing, lasting):
        assert "Subscribed" in await in_topic(botapi, forum, topic, alice, "subscribe", "nato")

    botapi.rename_topic(forum, alice, doomed, "Doomed (old)")
    names = runner.store.subscriptions.topic_names
    await botapi.wait_for(
        lambda: names(forum.id).get(doomed.thread_id) == "Doomed (old)", timeout=GROUP_PACED, what="renamed"
    )
    botapi.delete_topic(forum, doomed)
    botapi.close_topic(forum, alice, closing)
    runner.ingest(NATO)
    await botapi.wait_for(
        lambda: len(botapi.bot_topic_texts(forum, lasting)) == 2, timeout=GROUP_PACED, what="the card"
    )
    await botapi.wait_for(
        lambda: len(botapi.bot_topic_texts(forum, None)) == 2, timeout=GROUP_PACED, what="two notices"
    )
    runner.ingest(NATO_2)  # paused topics are not even tried again, and not announced again
    await botapi.wait_for(
        lambda: len(botapi.bot_topic_texts(forum, lasting)) == 3, timeout=GROUP_PACED, what="the second card"
    )
    await runner.wait_planned()
    await asyncio.sleep(0.3)
    notices = botapi.bot_topic_texts(forum, None)
    assert len(notices) == 2
    assert any("Doomed (old)" in n and "deleted" in n for n in notices)
    assert any("Closing" in n and "closed" in n and "reopen" in n for n in notices)
    refused = [r.description for r in botapi.refused]
    assert sorted(refused) == ["Bad Request: TOPIC_CLOSED", "Bad Request: message thread not found"]
    listing = await in_topic(botapi, forum, None, alice, "subscriptions")
    assert "Doomed (old) (paused)" in listing and "Lasting\n" in listing

    # Reopened and subscribed again: delivery resumes there.
    botapi.reopen_topic(forum, alice, closing)
    assert "Resumed" in await in_topic(botapi, forum, closing, alice, "subscribe", "nato")
    runner.ingest(NATO_3)
    await botapi.wait_for(
        lambda: "NATO drills" in botapi.bot_topic_texts(forum, closing)[-1],
        timeout=GROUP_PACED,
        what="resumed",
    )
    await botapi.wait_for(
        lambda: "NATO drills" in botapi.bot_topic_texts(forum, lasting)[-1],
        timeout=GROUP_PACED,
        what="still on",
    )
