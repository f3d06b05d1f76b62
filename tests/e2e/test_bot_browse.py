"""Through Telegram: questions without a topic, questions that are only a date, honest refusals, the echo."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.answer.render import fmt_date
from tests.botapi import BotApiServer, StoredMessage
from tests.e2e.bot_fixtures import TODAY, BotRunner, runner_fixture  # noqa: F401

MARKUP_TITLE = "Tags <script>alert(1)</script> & <b>bold</b> claims"  # the newest fixture article, a day old


def _blocks(reply: object) -> list[str]:
    return [text for kind, text in reply.entity_texts() if kind == "blockquote"]  # type: ignore[attr-defined]


async def ask_privately(botapi: BotApiServer, question: str) -> tuple[StoredMessage, str]:
    """A new user asks ``question`` in a private chat; the bot's reply and its text."""
    user = botapi.add_user("Carol")
    botapi.send_text(user, user, question)
    [reply] = await botapi.wait_for_bot_messages(user, 1)
    return reply, reply.text or ""


@pytest.mark.parametrize("question", ["What's going on?", "news", "anything new?"])
async def test_a_question_without_a_topic_gets_the_newest_stories(
    botapi: BotApiServer, runner: BotRunner, question: str
) -> None:
    alice = botapi.add_user("Alice")
    asked = botapi.send_text(alice, alice, question)
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    text = reply.text or ""
    assert reply.reply_to_message_id == asked.message_id
    assert "names no topic, so here are the newest stories" in text
    # Newest first (the markup article is a day old, the grain deal two), rendered as literal text.
    assert text.index(MARKUP_TITLE) < text.index("Black Sea grain deal extended")
    assert ("text_link", MARKUP_TITLE) in reply.entity_texts()
    assert len(_blocks(reply)) == 2  # answer_results=2 cards, with "More" for older stories
    assert [b["text"] for b in reply.buttons()] == ["More ›"]
    assert not [r for r in botapi.refused if r.method == "sendMessage"]


async def test_more_on_the_newest_stories_pages_to_older_ones(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, "what's new")
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    await botapi.wait_for_callback_answer(botapi.press_button(reply, alice, text="More ›"))
    await botapi.wait_for(lambda: reply.is_edited, what="the list edited to page 2")
    assert "NATO chief vows Ukraine support will not wane" in (reply.text or "")  # 3 days old: the next page
    assert MARKUP_TITLE not in (reply.text or "")
    assert len(botapi.bot_messages(alice)) == 1  # edited in place


async def test_only_a_date_gets_that_days_top_stories(botapi: BotApiServer, runner: BotRunner) -> None:
    bob = botapi.add_user("Bob")
    group = botapi.add_group("Friends", members=[bob])
    botapi.send_command(group, bob, "ask", "what happened yesterday")
    [reply] = await botapi.wait_for_bot_messages(group, 1)
    text = reply.text or ""
    day = fmt_date(TODAY - timedelta(days=1))
    assert f"what happened yesterday (yesterday = {day})" in text
    assert f"The top stories of {day}, the most widely covered first" in text
    assert MARKUP_TITLE in text and "Black Sea grain deal" not in text  # only that day's stories


async def test_a_date_without_news_names_the_nearest_day(botapi: BotApiServer, runner: BotRunner) -> None:
    reply, text = await ask_privately(botapi, "What happened today?")
    today, yesterday = fmt_date(TODAY), fmt_date(TODAY - timedelta(days=1))
    assert f"I have no news from today, {today}. The nearest day with news is {yesterday}:" in text
    assert MARKUP_TITLE in text and len(_blocks(reply)) == 1  # that day's one story, quoted by its lead


async def test_a_weak_match_is_refused_with_the_closest_stories_marked_related(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    reply, text = await ask_privately(botapi, "What did the UN say about taxes?")
    assert "I found nothing that answers this. The closest stories, only related:" in text
    assert text.count("only related · ") == len(_blocks(reply)) >= 1
    assert "Try /latest" in text
    assert reply.link_preview_options is None or reply.link_preview_options.get("is_disabled")


async def test_the_echo_keeps_the_users_words_beside_the_understood_date(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    reply, text = await ask_privately(botapi, "What did NATO ministers discuss at this week's Bucharest meeting?")
    question = "What did NATO ministers discuss at this week's Bucharest meeting?"
    assert ("bold", question) in reply.entity_texts()  # the user's words, echoed whole
    start, end = TODAY - timedelta(days=6), TODAY
    assert f"(this week = {start.day}" in text and f"{end.day} {end:%b} {end.year})" in text
    assert "NATO foreign ministers met in Bucharest" in text
