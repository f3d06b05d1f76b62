"""Receiving updates: getUpdates semantics, update shapes, privacy mode, and full PTB Application round
trips by polling and by webhook."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
import telegram
from telegram import Update
from telegram.error import Conflict
from telegram.ext import Application, CommandHandler, ContextTypes

from tests.botapi import GROUP_ANONYMOUS_BOT_ID, BotApiServer, ServerConfig


async def test_offset_confirms_updates(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    botapi.send_text(alice, alice, "one")
    botapi.send_text(alice, alice, "two")
    first = await tg_bot.get_updates()
    assert [u.message.text for u in first] == ["one", "two"]
    assert [u.message.text for u in await tg_bot.get_updates()] == ["one", "two"]  # not confirmed yet
    assert await tg_bot.get_updates(offset=first[-1].update_id + 1) == ()
    assert len(botapi.updates.pending) == 0


async def test_long_poll_waits_and_returns_on_arrival(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    started = time.monotonic()
    assert await tg_bot.get_updates(timeout=0.4) == ()
    assert 0.35 < time.monotonic() - started < 2
    asyncio.get_running_loop().call_later(0.2, botapi.send_text, alice, alice, "late")
    started = time.monotonic()
    [update] = await tg_bot.get_updates(timeout=5)
    assert update.message.text == "late" and time.monotonic() - started < 1.5


async def test_allowed_updates_filters_new_updates(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    await tg_bot.get_updates(allowed_updates=["message"])
    botapi.block_bot(alice)
    botapi.unblock_bot(alice)
    botapi.send_text(alice, alice, "hi")
    assert [u.message.text for u in await tg_bot.get_updates()] == ["hi"]
    await tg_bot.get_updates(allowed_updates=[])  # back to Telegram's default set
    botapi.block_bot(alice)
    [update] = await tg_bot.get_updates(offset=-1)
    assert update.my_chat_member.new_chat_member.status == "kicked"


async def test_second_poller_conflicts_the_first(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    first = asyncio.create_task(tg_bot.get_updates(timeout=3))
    await asyncio.sleep(0.1)
    async with botapi.make_bot() as second_instance:
        await second_instance.get_updates(timeout=0)
    with pytest.raises(Conflict, match="(?i)terminated by other getUpdates"):
        await first


async def test_update_shapes_parse_in_ptb(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    owner = botapi.add_user("Owner", username="owner")
    group = botapi.add_group("Friends", creator=owner)
    channel = botapi.add_channel("News")
    botapi.send_command(owner, owner, "start")
    botapi.send_as_anonymous_admin(group, "/ask@thebot who?")
    botapi.post_to_channel(channel, "breaking")
    botapi.kick_bot(group, owner)
    botapi.add_bot(group, owner, as_admin=True)
    updates = await tg_bot.get_updates()
    command, anonymous, post, kicked, added, joined = updates
    assert command.message.text == "/start" and command.message.entities[0].type == "bot_command"
    assert command.message.from_user.id == owner.id and command.message.chat.type == "private"
    assert anonymous.message.sender_chat.id == group.id
    assert anonymous.message.from_user.id == GROUP_ANONYMOUS_BOT_ID
    assert post.channel_post.text == "breaking" and post.channel_post.chat.id == channel.id
    assert (kicked.my_chat_member.old_chat_member.status, kicked.my_chat_member.new_chat_member.status) == (
        "member",
        "kicked",
    )
    assert added.my_chat_member.new_chat_member.status == "administrator"
    assert added.my_chat_member.new_chat_member.can_delete_messages
    assert joined.message.new_chat_members[0].id == tg_bot.id


async def test_migration_sends_both_service_messages(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    owner = botapi.add_user("Owner")
    group = botapi.add_group(creator=owner)
    supergroup = botapi.migrate_to_supergroup(group, owner)
    old, new = await tg_bot.get_updates()
    assert (old.message.chat.id, old.message.migrate_to_chat_id) == (group.id, supergroup.id)
    assert (new.message.chat.id, new.message.migrate_from_chat_id) == (supergroup.id, group.id)
    assert str(supergroup.id).startswith("-100")


async def test_privacy_mode_in_groups(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user("Alice")
    group = botapi.add_group(members=[alice])
    reply_target = await tg_bot.send_message(group.id, "I am the bot")
    botapi.send_text(group, alice, "just chatting")
    botapi.send_command(group, alice, "ask", "addressed", address=True)
    botapi.send_command(group, alice, "ask", "bare", address=False)
    botapi.send_command(group, alice, "ask", "other bot", address="otherbot")
    botapi.reply(alice, botapi.chat(group).messages[reply_target.message_id], "a reply")
    botapi.mention_bot(group, alice, "hello")
    seen = [u.message.text for u in await tg_bot.get_updates()]
    assert seen == ["/ask@thebot addressed", "/ask bare", "a reply", "@thebot hello"]
    assert [m.text for m in botapi.history(group)][1] == "just chatting"  # stored, just not delivered


async def test_admin_bot_or_privacy_off_sees_everything(tg_bot: telegram.Bot, botapi: BotApiServer) -> None:
    alice = botapi.add_user()
    group = botapi.add_group(members=[alice], bot_admin=True)
    botapi.send_text(group, alice, "chatter")
    assert [u.message.text for u in await tg_bot.get_updates()] == ["chatter"]
    async with BotApiServer(ServerConfig(privacy_mode=False)) as open_server:
        bot = open_server.make_bot()
        bob = open_server.add_user()
        open_group = open_server.add_group(members=[bob])
        open_server.send_text(open_group, bob, "chatter")
        async with bot:
            assert bot.can_read_all_group_messages is True
            assert [u.message.text for u in await bot.get_updates()] == ["chatter"]


async def _ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html(f"<b>Answer</b> to {' '.join(context.args)}", do_quote=True)


async def test_polling_application_round_trip(botapi: BotApiServer) -> None:
    app = botapi.application_builder().build()
    app.add_handler(CommandHandler("ask", _ask))
    alice = botapi.add_user()
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1, poll_interval=0)
        question = botapi.send_command(alice, alice, "ask", "nato")
        [reply] = await botapi.wait_for_bot_messages(alice, 1)
        await app.updater.stop()
        await app.stop()
    assert reply.text == "Answer to nato" and reply.entity_texts() == [("bold", "Answer")]
    assert reply.reply_to_message_id == question.message_id
    assert botapi.refused == [] and botapi.updates.pending == []
    assert {"getMe", "deleteWebhook", "getUpdates", "sendMessage"} <= set(botapi.calls)


async def test_webhook_application_round_trip(botapi: BotApiServer, free_port: int) -> None:
    app: Application = botapi.application_builder().build()
    app.add_handler(CommandHandler("ask", _ask))
    alice = botapi.add_user()
    hook = f"http://127.0.0.1:{free_port}/hook"
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1", port=free_port, url_path="hook", webhook_url=hook, secret_token="s3cret"
        )
        info = await app.bot.get_webhook_info()
        assert info.url == hook
        botapi.send_command(alice, alice, "ask", "via webhook")
        [reply] = await botapi.wait_for_bot_messages(alice, 1)
        async with aiohttp.ClientSession() as http, http.post(hook, json={"update_id": 1}) as response:
            assert response.status == 403  # PTB rejects a request without the secret header
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await app.bot.get_updates()
        await app.updater.stop()
        await app.stop()
    assert reply.text == "Answer to via webhook"
    assert botapi.webhook.state.attempts[-1][1] == 200


async def test_webhook_errors_are_reported_and_retried(botapi: BotApiServer, free_port: int) -> None:
    app = botapi.application_builder().build()
    app.add_handler(CommandHandler("ask", _ask))
    alice = botapi.add_user()
    hook = f"http://127.0.0.1:{free_port}/hook"
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1", port=free_port, url_path="hook", webhook_url=hook, secret_token="right"
        )
        botapi.webhook.state.secret_token = "wrong"  # as if the bot restarted with another secret
        botapi.send_command(alice, alice, "ask", "x")
        await botapi.wait_for(lambda: botapi.webhook.state.last_error_message, 3)
        info = await app.bot.get_webhook_info()
        assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
        assert info.pending_update_count == 1
        botapi.webhook.state.secret_token = "right"
        await botapi.wait_for_bot_messages(alice, 1, timeout=5)
        await app.updater.stop()
        await app.stop()
