"""The test API itself: membership flows, read-back helpers, waiting, and smaller methods."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import CallbackQueryHandler, ContextTypes

from tests.botapi import BotApiServer

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_bot_added_to_group_from_outside(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    owner = botapi.add_user("Owner")
    group = botapi.add_group(creator=owner, bot_member=False)
    with pytest.raises(Forbidden, match="(?i)not a member of the group chat"):
        await tg_bot.send_message(group.id, "hi")
    botapi.send_text(group, owner, "/ask@thebot before joining")  # not delivered: the bot isn't there
    botapi.add_bot(group, owner)
    member_update, joined = await tg_bot.get_updates()
    assert (
        member_update.my_chat_member.old_chat_member.status,
        member_update.my_chat_member.new_chat_member.status,
    ) == ("left", "member")
    assert joined.message.new_chat_members[0].username == "thebot"
    await tg_bot.send_message(group.id, "hello group")
    assert await tg_bot.leave_chat(group.id)
    with pytest.raises(Forbidden):
        await tg_bot.send_message(group.id, "still here?")


async def test_promote_and_demote_in_channel(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    owner = botapi.add_user("Owner")
    channel = botapi.add_channel(bot_admin=False, creator=owner)
    botapi.promote_bot(channel, owner, can_post_messages=True)
    await tg_bot.send_message(channel.id, "now I can post")
    botapi.demote_bot(channel, owner)
    with pytest.raises(BadRequest, match="(?i)need administrator rights"):
        await tg_bot.send_message(channel.id, "and now I can't")
    statuses = [u.my_chat_member.new_chat_member.status for u in await tg_bot.get_updates()]
    assert statuses == ["administrator", "member"]


async def test_delete_chat_action_member_count(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    group = botapi.add_group(members=[alice])
    sent = await tg_bot.send_message(group.id, "temporary")
    user_message = botapi.send_text(group, alice, "hi all")
    assert await tg_bot.send_chat_action(group.id, "typing")
    assert botapi.chat_actions == [(group.id, "typing")]
    with pytest.raises(BadRequest, match="(?i)message can't be deleted"):
        await tg_bot.delete_message(group.id, user_message.message_id)
    assert await tg_bot.delete_message(group.id, sent.message_id)
    assert botapi.bot_messages(group) == []
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await tg_bot.delete_message(group.id, sent.message_id)
    assert await tg_bot.get_chat_member_count(group.id) == 2


async def test_edits_count_against_flood_limits(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    sent = await tg_bot.send_message(alice.id, "v0")
    await tg_bot.edit_message_text("v1", alice.id, sent.message_id)
    await tg_bot.edit_message_text("v2", alice.id, sent.message_id)
    with pytest.raises(RetryAfter):
        await tg_bot.edit_message_text("v3", alice.id, sent.message_id)


async def test_wait_for_times_out_with_diagnostics(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    with pytest.raises(BadRequest):
        await tg_bot.send_message(alice.id, "<b>", parse_mode="HTML")
    with pytest.raises(TimeoutError, match="can't parse entities"):
        await botapi.wait_for_bot_messages(alice, 1, timeout=0.2)


async def _more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("loading")
    await query.edit_message_text(f"page {query.data}")


async def test_button_round_trip_through_application(botapi: BotApiServer) -> None:
    app = botapi.application_builder().build()
    app.add_handler(CallbackQueryHandler(_more))
    alice = botapi.add_user()
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1, poll_interval=0)
        await app.bot.send_message(
            alice.id,
            "page 1",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Next", callback_data="2")]]),
        )
        press = botapi.press_button(botapi.last_bot_message(alice), alice, text="Next")
        assert (await botapi.wait_for_callback_answer(press))["text"] == "loading"
        await botapi.wait_for(lambda: botapi.last_bot_message(alice).text == "page 2")
        await app.updater.stop()
        await app.stop()
    [message] = botapi.bot_messages(alice)
    assert message.reply_markup is None and [v.text for v in message.history] == ["page 1"]
    assert botapi.refused == []
