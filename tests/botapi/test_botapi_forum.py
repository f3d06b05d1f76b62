"""Forum topics in the local Bot API server, checked with PTB's own objects: the fields a bot reads
(``is_forum``, ``message_thread_id``, ``is_topic_message``), the topic methods and Telegram's refusals."""

from __future__ import annotations

import pytest
import telegram
from telegram.error import BadRequest

from tests.botapi import BotApiServer


async def test_topic_messages_carry_thread_and_general_does_not(
    botapi: BotApiServer, tg_bot: telegram.Bot
) -> None:
    alice = botapi.add_user("Alice")
    forum = botapi.add_forum("Newsroom", admins=[alice], bot_admin=True)
    topic = botapi.create_topic(forum, alice, "Ukraine")
    botapi.send_text(forum, alice, "in the topic", topic=topic)
    general = botapi.send_text(forum, alice, "in General")
    botapi.send_text(forum, alice, "a reply in General", reply_to=general)
    created, in_topic, in_general, reply = [u.message for u in await tg_bot.get_updates()]
    assert created.chat.is_forum and created.forum_topic_created.name == "Ukraine"
    assert created.message_thread_id == created.message_id == topic.thread_id
    assert (in_topic.message_thread_id, in_topic.is_topic_message) == (topic.thread_id, True)
    assert in_topic.reply_to_message.forum_topic_created.name == "Ukraine"  # Telegram's implicit reply
    assert (in_general.message_thread_id, in_general.is_topic_message) == (None, None)
    # A reply chain in General has a thread id of its own, which is not a topic.
    assert (reply.message_thread_id, reply.is_topic_message) == (general.message_id, None)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await tg_bot.send_message(forum.id, "into the chain", message_thread_id=reply.message_thread_id)
    # PTB's reply helpers keep a topic message's thread and drop a chain's.
    answer = await in_topic.reply_text("answer in the topic")
    assert (answer.message_thread_id, answer.is_topic_message) == (topic.thread_id, True)
    answer = await reply.reply_text("answer in General")
    assert answer.is_topic_message is None
    assert botapi.bot_topic_texts(forum, topic) == ["answer in the topic"]
    assert botapi.bot_topic_texts(forum, None) == ["answer in General"]


async def test_topic_methods_and_refusals(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user("Alice")
    forum = botapi.add_forum("Newsroom", admins=[alice], bot_admin=True)
    created = await tg_bot.create_forum_topic(forum.id, "Markets")
    assert created.name == "Markets" and created.message_thread_id > 0
    thread = created.message_thread_id
    sent = await tg_bot.send_message(forum.id, "hello topic", message_thread_id=thread)
    assert sent.is_topic_message and sent.message_thread_id == thread
    assert await tg_bot.close_forum_topic(forum.id, thread)
    with pytest.raises(BadRequest, match="(?i)TOPIC_NOT_MODIFIED"):
        await tg_bot.close_forum_topic(forum.id, thread)
    await tg_bot.send_message(forum.id, "admins may still write", message_thread_id=thread)
    assert await tg_bot.reopen_forum_topic(forum.id, thread)
    assert await tg_bot.delete_forum_topic(forum.id, thread)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await tg_bot.send_message(forum.id, "gone", message_thread_id=thread)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await tg_bot.send_message(forum.id, "General is not thread 1", message_thread_id=1)
    group = botapi.add_supergroup("Plain", admins=[alice], bot_admin=True)
    with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
        await tg_bot.create_forum_topic(group.id, "Nope")


async def test_closed_topic_refuses_members_and_plain_bots(
    botapi: BotApiServer, tg_bot: telegram.Bot
) -> None:
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    forum = botapi.add_forum("Club", admins=[alice], members=[bob])  # the bot is a plain member
    topic = botapi.create_topic(forum, alice, "Football")
    with pytest.raises(BadRequest, match="(?i)not enough rights"):
        await tg_bot.create_forum_topic(forum.id, "Mine")
    await tg_bot.send_message(forum.id, "open", message_thread_id=topic.thread_id)
    botapi.close_topic(forum, alice, topic)
    with pytest.raises(BadRequest, match="(?i)TOPIC_CLOSED"):
        await tg_bot.send_message(forum.id, "closed", message_thread_id=topic.thread_id)
    with pytest.raises(ValueError, match="TOPIC_CLOSED"):
        botapi.send_text(forum, bob, "let me in", topic=topic)
    botapi.send_text(forum, alice, "admins may", topic=topic)
    botapi.reopen_topic(forum, alice, topic)
    await tg_bot.send_message(forum.id, "open again", message_thread_id=topic.thread_id)
    kinds = [u.message.forum_topic_closed is not None for u in await tg_bot.get_updates() if u.message]
    assert kinds.count(True) == 1
    botapi.delete_topic(forum, topic)
    assert botapi.topic_messages(forum, topic) == []
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await tg_bot.send_message(forum.id, "deleted", message_thread_id=topic.thread_id)
