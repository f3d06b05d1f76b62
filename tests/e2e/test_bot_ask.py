"""Asking through Telegram: private chats, groups, channels, "More", inline mode, markup safety."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.chat.errors import APOLOGY
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import BotRunner, new_article, runner_fixture  # noqa: F401

QUESTION = "Why did NATO ministers meet in Bucharest?"


async def quiet(botapi: BotApiServer, chat: object, expected: int, settle: float = 0.3) -> None:
    """Give the bot time to (wrongly) say more, then check it said exactly ``expected`` messages."""
    await asyncio.sleep(settle)
    assert len(botapi.bot_messages(chat)) == expected, botapi.bot_texts(chat)


async def test_private_question_gets_quoted_answer_as_reply(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    question = botapi.send_text(alice, alice, QUESTION)
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    assert reply.reply_to_message_id == question.message_id
    assert "NATO foreign ministers met in Bucharest" in (reply.text or "")
    entities = reply.entity_texts()
    assert ("text_link", "NATO chief vows Ukraine support will not wane") in entities
    quotes = [text for kind, text in entities if kind == "blockquote"]
    assert quotes and quotes[0].startswith("NATO foreign ministers met in Bucharest")
    # Answers keep link previews off: the quotes come first.
    assert reply.link_preview_options is not None and reply.link_preview_options.get("is_disabled")
    # More results exist (answer_results=2): a "More" button with short callback data.
    [button] = reply.buttons()
    assert button["text"].startswith("More") and len(button["callback_data"].encode()) <= 64


async def test_ask_command_and_usage_hint(botapi: BotApiServer, runner: BotRunner) -> None:
    bob = botapi.add_user("Bob")
    botapi.send_command(bob, bob, "ask")
    [usage] = await botapi.wait_for_bot_messages(bob, 1)
    assert "/ask" in (usage.text or "")
    botapi.send_command(bob, bob, "ask", "grain deal Black Sea")
    _, answer = await botapi.wait_for_bot_messages(bob, 2)
    assert "Black Sea grain deal extended" in (answer.text or "")


async def test_group_answers_only_when_addressed(botapi: BotApiServer, runner: BotRunner) -> None:
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    # The bot is an admin, so Telegram delivers ordinary chatter too: the bot itself must stay quiet.
    group = botapi.add_group("Friends", members=[alice, bob], bot_admin=True)
    botapi.send_text(group, alice, "Anyone watching the football final tonight?")
    botapi.send_command(group, bob, "ask", "football final", address="otherbot")
    ask = botapi.send_command(group, alice, "ask", QUESTION)  # /ask@thebot
    [reply] = await botapi.wait_for_bot_messages(group, 1)
    assert reply.reply_to_message_id == ask.message_id and "Bucharest" in (reply.text or "")
    await quiet(botapi, group, 1)

    mention = botapi.mention_bot(group, bob, "football final penalties")
    _, second = await botapi.wait_for_bot_messages(group, 2)
    assert second.reply_to_message_id == mention.message_id and "penalty shootout" in (second.text or "")

    chatter = botapi.send_text(
        group, bob, "What about the grain deal in the Black Sea?"
    )  # bot is admin: sees it
    botapi.send_text(group, alice, "/ask@thebot", reply_to=chatter)  # asks the replied-to message
    _, _, asked = await botapi.wait_for_bot_messages(group, 3)
    assert "Black Sea grain deal extended" in (asked.text or "")

    follow_up = botapi.reply(alice, second, "parliament budget taxes")
    *_, third = await botapi.wait_for_bot_messages(group, 4)
    assert third.reply_to_message_id == follow_up.message_id and "Parliament passes budget" in (
        third.text or ""
    )
    botapi.reply(bob, follow_up, "grain deal?")  # a reply to a person, not to the bot
    await quiet(botapi, group, 4)


async def test_channel_posts_are_not_questions(botapi: BotApiServer, runner: BotRunner) -> None:
    channel = botapi.add_channel("News channel", username="newschan")
    botapi.post_to_channel(channel, QUESTION)
    botapi.post_to_channel(channel, "/ask " + QUESTION)
    await quiet(botapi, channel, 0, settle=0.5)


async def test_more_button_edits_in_next_results_and_survives_restart(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, "NATO")
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    first_page = reply.text
    press = botapi.press_button(reply, alice, text="More ›")
    await botapi.wait_for_callback_answer(press)
    await botapi.wait_for(lambda: reply.is_edited, what="the answer edited to page 2")
    assert reply.text != first_page and "3." in (reply.text or "")
    assert reply.buttons()[0]["text"] == "‹ Back"

    await runner.restart()  # the stored query outlives the process
    press = botapi.press_button(reply, alice, text="‹ Back")
    await botapi.wait_for_callback_answer(press)
    await botapi.wait_for(lambda: reply.text == first_page, what="page 1 again after a restart")
    assert len(botapi.bot_messages(alice)) == 1  # edited in place, never a new message


async def test_unknown_results_say_plainly_that_they_expired(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, "NATO")
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    key = reply.buttons()[0]["callback_data"].split(":")[1]
    runner.store.db.conn.execute("DELETE FROM queries WHERE key = ?", (key,))  # expired and purged
    answer = await botapi.wait_for_callback_answer(botapi.press_button(reply, alice, text="More ›"))
    assert "expired" in answer.get("text", "").lower()
    await botapi.wait_for(lambda: not reply.buttons(), what="the stale button removed")


async def test_inline_query_offers_one_result_per_article_with_paging(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    places = [
        "Iceland",
        "Hawaii",
        "Italy",
        "Japan",
        "Chile",
        "Indonesia",
        "Mexico",
        "Peru",
        "Alaska",
        "Congo",
        "Tonga",
        "Vanuatu",
    ]
    text = "A volcano erupted in {0} on day {1}; {0} officials evacuated {2} villages."
    runner.ingest(
        *[
            new_article(100 + i, f"Volcano erupts in {p}", text.format(p, i, i + 2))
            for i, p in enumerate(places)
        ]
    )
    await runner.wait_planned()
    alice = botapi.add_user("Alice")
    first = await botapi.wait_for_inline_answer(botapi.send_inline_query(alice, "volcano erupted"))
    results = first["results"]
    assert len(results) == 5 and len({r["id"] for r in results}) == 5
    assert first["next_offset"] == "5"
    top = results[0]
    assert "Volcano erupts" in top["title"] and top["description"]
    assert top["input_message_content"]["parse_mode"] == "HTML"
    second = await botapi.wait_for_inline_answer(
        botapi.send_inline_query(alice, "volcano erupted", offset="5")
    )
    assert len(second["results"]) == 5 and not second.get("next_offset")  # the pipeline keeps the best 10
    assert not {r["id"] for r in second["results"]} & {r["id"] for r in results}
    empty = await botapi.wait_for_inline_answer(botapi.send_inline_query(alice, ""))  # newest articles
    assert len(empty["results"]) == 5 and empty["next_offset"] == "5"


async def test_markup_in_questions_and_articles_renders_as_text(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, "<i>satellites</i> & <u>rockets</u> <script>x()</script>?")
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    text = reply.text or ""
    # The article's title and body reach the user as literal text; Telegram parsed our HTML without error.
    assert "Tags <script>alert(1)</script> & <b>bold</b> claims" in text
    entities = reply.entity_texts()
    assert ("bold", "bold") not in entities and ("italic", "markup") not in entities
    # Nor is the user's markup in the question obeyed.
    assert ("italic", "satellites") not in entities and ("underline", "rockets") not in entities
    assert not [r for r in botapi.refused if r.method == "sendMessage"]


async def test_help_sources_and_command_menus(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_command(alice, alice, "start")
    [hello] = await botapi.wait_for_bot_messages(alice, 1)
    for word in ("/latest", "/subscribe", "/unsubscribe", "/sources", "@thebot"):
        assert word in (hello.text or "")
    botapi.send_command(alice, alice, "sources")
    _, sources = await botapi.wait_for_bot_messages(alice, 2)
    assert "8 articles" in (sources.text or "") and "example.com" in (sources.text or "")
    private = [c["command"] for c in botapi.commands_for({"type": "all_private_chats"})]
    assert {"ask", "latest", "subscribe", "help"} <= set(private)
    assert "subscribe" not in [c["command"] for c in botapi.commands_for({"type": "all_group_chats"})]
    assert "subscribe" in [c["command"] for c in botapi.commands_for({"type": "all_chat_administrators"})]


async def test_failure_gets_a_short_apology_not_a_traceback(
    botapi: BotApiServer, runner: BotRunner, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("index on fire")

    monkeypatch.setattr(runner.services.answerer, "answer", broken)
    alice = botapi.add_user("Alice")
    with caplog.at_level(logging.ERROR):
        botapi.send_text(alice, alice, QUESTION)
        [reply] = await botapi.wait_for_bot_messages(alice, 1)
    assert reply.text == APOLOGY
    assert "index on fire" in caplog.text


async def test_quick_questions_in_one_chat_are_paced_not_refused(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice = botapi.add_user("Alice")
    questions = ["NATO Bucharest", "grain deal", "football final", "parliament budget", "satellites"]
    asked = [botapi.send_text(alice, alice, q) for q in questions]
    replies = await botapi.wait_for_bot_messages(alice, len(questions), timeout=10)
    assert sorted(r.reply_to_message_id for r in replies) == sorted(m.message_id for m in asked)
    assert not [r for r in botapi.refused if r.status == 429]  # Telegram's ~1 message/s per chat held


async def test_a_result_shows_a_second_excerpt_collapsed(botapi: BotApiServer, runner: BotRunner) -> None:
    filler = "Crews cleared the runway and flights resumed in the afternoon. " * 12
    text = (f"Lava from the Hekla volcano reached the coast road on Monday. {filler}"
            f"Geologists said the Hekla lava flow could reach the harbour <b>within days</b>. {filler}")  # fmt: skip
    runner.ingest(new_article(200, "Hekla volcano: lava flow & the coast", text))
    await runner.wait_planned()
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, "Where did the Hekla lava flow reach?")
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    entities = reply.entity_texts()
    [quote] = [t for kind, t in entities if kind == "blockquote"]
    [more] = [t for kind, t in entities if kind == "expandable_blockquote"]
    assert "Hekla" in quote and "Hekla" in more and quote != more
    assert "the harbour <b>within days</b>" in more or "the harbour <b>within days</b>" in quote  # literal text
    assert not [r for r in botapi.refused if r.method == "sendMessage"]
