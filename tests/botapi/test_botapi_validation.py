"""Every refusal rule of the fake Bot API, exercised through a real PTB ``telegram.Bot``."""

from __future__ import annotations

import aiohttp
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, EndPointNotFound, Forbidden, InvalidToken

from tests.botapi import BotApiServer


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d or "x", callback_data=d) for d in data]])


async def test_html_message_is_stored_as_users_see_it(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user("Alice")
    sent = await tg_bot.send_message(
        alice.id, "<b>NATO</b> met in 😀 Bucharest\n", parse_mode="HTML", reply_markup=keyboard("more:1")
    )
    [stored] = botapi.bot_messages(alice)
    assert sent.text == stored.text == "NATO met in 😀 Bucharest"
    assert stored.entity_texts() == [("bold", "NATO")]
    assert sent.reply_markup == keyboard("more:1")
    assert sent.from_user.id == botapi.bot_user.id and sent.chat.id == alice.id


@pytest.mark.parametrize("text", ["a < b", "<br>", "<b>open", "<p>para</p>", "<b>x</i>"])
async def test_bad_html_is_refused(botapi: BotApiServer, tg_bot: telegram.Bot, text: str) -> None:
    alice = botapi.add_user()
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await tg_bot.send_message(alice.id, text, parse_mode="HTML")
    assert botapi.bot_messages(alice) == []
    assert botapi.refused[-1].status == 400


async def test_bad_markdown_v2_is_refused(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    with pytest.raises(BadRequest, match="(?i)character '.' is reserved"):
        await tg_bot.send_message(alice.id, "Done.", parse_mode="MarkdownV2")


@pytest.mark.parametrize("text", ["", "   \n ", "<b></b>"])
async def test_empty_text_is_refused(botapi: BotApiServer, tg_bot: telegram.Bot, text: str) -> None:
    alice = botapi.add_user()
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await tg_bot.send_message(alice.id, text, parse_mode="HTML")


async def test_length_limit_counts_utf16_after_parsing(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    await tg_bot.send_message(alice.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    await tg_bot.send_message(alice.id, "😀" * 2048)
    botapi.limits.enabled = False
    for text in ("a" * 4097, "😀" * 2048 + "a"):
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await tg_bot.send_message(alice.id, text)


async def test_callback_data_limit_is_64_bytes(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    await tg_bot.send_message(alice.id, "ok", reply_markup=keyboard("x" * 64))
    for data in ("x" * 65, "ä" * 33):
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            await tg_bot.send_message(alice.id, "too long", reply_markup=keyboard(data))


async def test_text_only_inline_button_is_refused(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    with pytest.raises(BadRequest, match="(?i)text buttons are unallowed"):
        await tg_bot.send_message(alice.id, "x", reply_markup={"inline_keyboard": [[{"text": "plain"}]]})


async def test_chat_and_user_refusals(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    blocker, stranger = botapi.add_user("Bob"), botapi.add_user("Carol", started=False)
    botapi.block_bot(blocker)
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await tg_bot.send_message(123456, "hello")
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await tg_bot.send_message(blocker.id, "hello")
    with pytest.raises(Forbidden, match="(?i)can't initiate conversation"):
        await tg_bot.send_message(stranger.id, "hello")
    botapi.unblock_bot(blocker)
    await tg_bot.send_message(blocker.id, "welcome back")


async def test_group_refusals(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    owner = botapi.add_user("Owner")
    group, supergroup = botapi.add_group(creator=owner), botapi.add_supergroup(creator=owner)
    botapi.kick_bot(group, owner)
    botapi.kick_bot(supergroup, owner)
    with pytest.raises(Forbidden, match="(?i)bot was kicked from the group chat"):
        await tg_bot.send_message(group.id, "hi")
    with pytest.raises(Forbidden, match="(?i)bot was kicked from the supergroup chat"):
        await tg_bot.send_message(supergroup.id, "hi")


async def test_channel_rights(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    admin = botapi.add_channel("News", username="newsch")
    no_post = botapi.add_channel(can_post=False)
    plain = botapi.add_channel(bot_admin=False)
    outside = botapi.add_channel(bot_member=False)
    post = await tg_bot.send_message("@newsch", "posted")
    assert post.sender_chat.id == admin.id and post.from_user is None
    for chat in (no_post, plain):
        with pytest.raises(BadRequest, match="(?i)need administrator rights in the channel chat"):
            await tg_bot.send_message(chat.id, "x")
    with pytest.raises(Forbidden, match="(?i)not a member of the channel chat"):
        await tg_bot.send_message(outside.id, "x")


async def test_migrated_group_raises_chat_migrated(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    owner = botapi.add_user("Owner")
    group = botapi.add_group(creator=owner)
    supergroup = botapi.migrate_to_supergroup(group, owner)
    with pytest.raises(ChatMigrated) as caught:
        await tg_bot.send_message(group.id, "hi")
    assert caught.value.new_chat_id == supergroup.id
    await tg_bot.send_message(supergroup.id, "hi again")
    assert botapi.bot_texts(supergroup) == ["hi again"]


async def test_edits_apply_keep_history_and_refuse_no_op(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    sent = await tg_bot.send_message(alice.id, "draft", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await tg_bot.edit_message_text("draft", alice.id, sent.message_id, reply_markup=keyboard("a"))
    await tg_bot.edit_message_text("<i>final</i>", alice.id, sent.message_id, parse_mode="HTML")
    [stored] = botapi.bot_messages(alice)
    assert (stored.text, stored.entity_texts(), stored.reply_markup) == ("final", [("italic", "final")], None)
    assert [v.text for v in stored.history] == ["draft"] and stored.is_edited
    await tg_bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=keyboard("b"))
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await tg_bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=keyboard("b"))
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await tg_bot.edit_message_text("x", alice.id, 999)
    question = botapi.send_text(alice, alice, "a user's message")
    with pytest.raises(BadRequest, match="(?i)message can't be edited"):
        await tg_bot.edit_message_text("x", alice.id, question.message_id)


async def test_reply_parameters(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    question = botapi.send_text(alice, alice, "what happened?")
    answer = await tg_bot.send_message(
        alice.id, "this", reply_parameters=ReplyParameters(question.message_id)
    )
    assert answer.reply_to_message.text == "what happened?"
    assert botapi.bot_messages(alice)[0].reply_to_message_id == question.message_id
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await tg_bot.send_message(alice.id, "x", reply_parameters=ReplyParameters(999))
    await tg_bot.send_message(
        alice.id, "y", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )


async def test_callback_query_answered_once(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    await tg_bot.send_message(alice.id, "pick", reply_markup=keyboard("one", "two"))
    press = botapi.press_button(botapi.last_bot_message(alice), alice, data="two")
    [update] = await tg_bot.get_updates()
    assert update.callback_query.data == "two" and update.callback_query.message.text == "pick"
    await update.callback_query.answer("noted")
    assert press.answer["text"] == "noted"
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await tg_bot.answer_callback_query(press.id)


async def test_inline_query_limits(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    alice = botapi.add_user()
    query = botapi.send_inline_query(alice, "nato", offset="10")
    [update] = await tg_bot.get_updates()
    assert (update.inline_query.query, update.inline_query.offset) == ("nato", "10")

    def article(i: int) -> telegram.InlineQueryResultArticle:
        return telegram.InlineQueryResultArticle(
            str(i), f"t{i}", telegram.InputTextMessageContent(f"<b>r{i}</b>", parse_mode="HTML")
        )

    with pytest.raises(BadRequest, match="(?i)RESULTS_TOO_MUCH"):
        await tg_bot.answer_inline_query(query.id, [article(i) for i in range(51)])
    with pytest.raises(BadRequest, match="(?i)NEXT_OFFSET_INVALID"):
        await tg_bot.answer_inline_query(query.id, [article(1)], next_offset="x" * 65)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await tg_bot.answer_inline_query(
            query.id,
            [
                telegram.InlineQueryResultArticle(
                    "1", "t", telegram.InputTextMessageContent("<x>", parse_mode="HTML")
                )
            ],
        )
    await tg_bot.answer_inline_query(query.id, [article(i) for i in range(50)], next_offset="60")
    assert len(query.results) == 50 and query.next_offset == "60"
    assert query.results[0]["text"] == "r0" and query.results[0]["entities"][0]["type"] == "bold"
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await tg_bot.answer_inline_query(query.id, [article(1)])


async def test_chat_info_and_admins(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    owner, admin, anon, member = (botapi.add_user(n) for n in ("Owner", "Admin", "Anon", "Member"))
    group = botapi.add_supergroup(
        "Talk", creator=owner, admins=[admin], anonymous_admins=[anon], members=[member]
    )
    info = await tg_bot.get_chat(group.id)
    assert (info.title, info.type) == ("Talk", "supergroup")
    statuses = {m.user.id: m.status for m in await tg_bot.get_chat_administrators(group.id)}
    assert statuses == {owner.id: "creator", admin.id: "administrator", anon.id: "administrator"}
    assert (await tg_bot.get_chat_member(group.id, member.id)).status == "member"
    assert (await tg_bot.get_chat_member(group.id, anon.id)).is_anonymous
    assert (await tg_bot.get_chat_member(group.id, tg_bot.id)).status == "member"
    with pytest.raises(BadRequest, match="(?i)no administrators in the private chat"):
        await tg_bot.get_chat_administrators(owner.id)


async def test_command_menus_per_scope(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    private = telegram.BotCommandScopeAllPrivateChats()
    await tg_bot.set_my_commands([("ask", "Ask about the news")], scope=private)
    await tg_bot.set_my_commands([("help", "Help")])
    assert [c.command for c in await tg_bot.get_my_commands(scope=private)] == ["ask"]
    assert botapi.commands_for({"type": "all_private_chats"}) == [
        {"command": "ask", "description": "Ask about the news"}
    ]
    await tg_bot.delete_my_commands(scope=private)
    assert await tg_bot.get_my_commands(scope=private) == ()
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await tg_bot.set_my_commands([("Ask-Now", "bad")])


async def test_unknown_method_is_a_visible_404(botapi: BotApiServer, tg_bot: telegram.Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await tg_bot.do_api_request("sendHologram", api_kwargs={"chat_id": 1})
    assert botapi.refused[-1].status == 404 and "sendHologram" in botapi.refused[-1].description


async def test_tokens_are_checked(botapi: BotApiServer) -> None:
    wrong = telegram.Bot("777000111:AAAwrongTOKENbutWELLformed000000000", base_url=botapi.base_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{botapi.base_url}123:abc/getMe") as response:
            assert response.status == 404
        async with http.get(
            f"{botapi.base_url}777000111:AAAwrongTOKENbutWELLformed000000000/getMe"
        ) as response:
            assert (response.status, (await response.json())["description"]) == (401, "Unauthorized")


async def test_json_form_and_query_bodies_are_accepted(botapi_no_limits: BotApiServer) -> None:
    botapi = botapi_no_limits
    alice = botapi.add_user()
    url = f"{botapi.base_url}{botapi.token}/sendMessage"
    markup = '{"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}'
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url,
            json={
                "chat_id": alice.id,
                "text": "json",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "url": "t.me"}]]},
            },
        ) as r:
            assert (await r.json())["ok"]
        async with http.post(
            url, data={"chat_id": str(alice.id), "text": "form", "reply_markup": markup}
        ) as r:
            assert (await r.json())["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
        form = aiohttp.FormData({"chat_id": str(alice.id), "text": "multipart"})
        form.add_field("file", b"x", filename="x.txt")
        async with http.post(url, data=form) as r:
            assert (await r.json())["ok"]
        async with http.get(url, params={"chat_id": alice.id, "text": "query"}) as r:
            assert (await r.json())["ok"]
    assert botapi.bot_texts(alice) == ["json", "form", "multipart", "query"]
