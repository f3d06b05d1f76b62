"""One card per story, end to end: three outlets' articles on one event pushed as one card with "also:"
links and the first article's own link preview (small, above the text); a fourth outlet later the same
day pushes nothing; /latest lists the story once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.chat.delivery import STORY_REPEAT
from bot.models import Article
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import TODAY, BotRunner, runner_fixture  # noqa: F401
from tests.story_articles import other_articles, story_articles

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def command(botapi: BotApiServer, chat: object, user: object, name: str, args: str = "") -> str:
    before = len(botapi.bot_messages(chat))
    botapi.send_command(chat, user, name, args)
    messages = await botapi.wait_for_bot_messages(chat, before + 1)
    return messages[before].text or ""


async def settle(runner: BotRunner, pause: float = 0.5) -> None:
    await runner.wait_planned()
    await asyncio.sleep(pause)


def reuters(day_articles: list[Article]) -> Article:
    """A fourth outlet's telling of the same meeting, published after the first card went out."""
    dw = day_articles[0]
    return Article(
        url="https://www.reuters.com/world/europe/nato-bucharest-winter-ukraine-2022-11-30/",
        title="NATO ministers in Bucharest pledge to help Ukraine through winter of Russian strikes",
        text=(
            "BUCHAREST, Nov 30 (Reuters) - NATO foreign ministers meeting in Bucharest pledged winter help "
            "for Ukraine, Secretary-General Jens Stoltenberg said, sending generators after Russian strikes "
            "on power plants left millions without heating."
        ),
        published=dw.published + timedelta(days=1),
        source="reuters.com",
    )


async def test_three_outlets_on_one_story_are_one_card(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    assert "Subscribed" in await command(botapi, alice, alice, "subscribe", "NATO")
    nato = story_articles(TODAY - timedelta(days=1))
    dw, ap, cnn = nato
    runner.ingest(*nato, other_articles(TODAY)[1])  # the story, and another NATO article

    await botapi.wait_for(lambda: len(botapi.bot_messages(alice)) >= 3, what="two cards")
    await settle(runner)
    pushes = botapi.bot_messages(alice)[1:]
    assert len(pushes) == 2, botapi.bot_texts(alice)
    card = next(m for m in pushes if dw.title in (m.text or ""))
    text = card.text or ""
    assert ap.title not in text and cnn.title not in text  # one card, by the first article
    assert "also: apnews.com, cnn.com" in text
    labels = [text for kind, text in card.entity_texts() if kind == "text_link"]
    urls = [e["url"] for e in card.entity_dicts() if e["type"] == "text_link"]
    links = dict(zip(labels, urls, strict=True))
    assert links["apnews.com"] == ap.url and links["cnn.com"] == cnn.url
    assert links[dw.title] == dw.url
    preview = card.link_preview_options or {}
    assert preview.get("url") == dw.url and not preview.get("is_disabled")
    assert preview.get("prefer_small_media") and preview.get("show_above_text")
    other = next(m for m in pushes if m is not card)
    assert "NATO members raise defence spending" in (other.text or "")
    rows = {r["article_id"]: r["status"] for r in runner.store.subscriptions.deliveries(alice.id)}
    assert sorted(rows.values()) == ["sent"] * 4  # the three articles went out in one message

    # A fourth outlet on the same story, within 24 hours of the card: no second card.
    assert STORY_REPEAT == timedelta(hours=24)
    (late_id,) = runner.ingest(reuters(nato))
    await settle(runner)
    assert len(botapi.bot_messages(alice)) == 3
    rows = {r["article_id"]: r["status"] for r in runner.store.subscriptions.deliveries(alice.id)}
    assert rows[late_id] == "dropped"

    # /latest shows the story once, by its newest article, with the other outlets as "also:".
    latest = await command(botapi, alice, alice, "latest")
    assert "NATO members raise defence spending" in latest and reuters(nato).title in latest
    assert dw.title not in latest and ap.title not in latest and cnn.title not in latest
    assert "also: dw.com, apnews.com, cnn.com" in latest
