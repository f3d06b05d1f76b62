"""`/latest [N] [topic]` with "Older"/"Newer" paging, through the local Bot API server."""

from __future__ import annotations

from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import BotRunner, runner_fixture  # noqa: F401


async def test_latest_default_count_and_paging(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_command(alice, alice, "latest")
    [listing] = await botapi.wait_for_bot_messages(alice, 1)
    text = listing.text or ""
    assert "5." in text and "6." not in text
    assert text.index("Tags <script>alert(1)</script>") < text.index("Black Sea grain deal")  # newest first
    press = botapi.press_button(listing, alice, text="Older ›")
    await botapi.wait_for_callback_answer(press)
    await botapi.wait_for(lambda: listing.is_edited, what="the list edited to older articles")
    older = listing.text or ""
    assert "6. " in older and "NATO members raise defence spending" in older
    assert [b["text"] for b in listing.buttons()] == ["‹ Newer"]
    botapi.press_button(listing, alice, text="‹ Newer")
    await botapi.wait_for(lambda: listing.text == text, what="back to the newest page")
    assert len(botapi.bot_messages(alice)) == 1


async def test_latest_count_and_topic(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_command(alice, alice, "latest", "2 nato")
    [listing] = await botapi.wait_for_bot_messages(alice, 1)
    text = listing.text or ""
    assert "NATO chief vows" in text and "NATO exercise in the Baltic" in text and "3." not in text
    assert "grain" not in text.lower()
    assert [b["text"] for b in listing.buttons()] == ["Older ›"]  # two more NATO articles
    botapi.send_command(alice, alice, "latest", "99")
    _, everything = await botapi.wait_for_bot_messages(alice, 2)
    assert "8." in (everything.text or "") and not everything.buttons()  # capped at 20: all 8 fit


async def test_latest_in_a_group(botapi: BotApiServer, runner: BotRunner) -> None:
    alice = botapi.add_user("Alice")
    group = botapi.add_group("Team", members=[alice])
    ask = botapi.send_command(group, alice, "latest", "1")
    [listing] = await botapi.wait_for_bot_messages(group, 1)
    assert listing.reply_to_message_id == ask.message_id and "1." in (listing.text or "")
