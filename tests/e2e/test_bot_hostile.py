"""Hostile input from Telegram clients: forged callback data, odd digits, unmatched buttons, forged chats."""

from __future__ import annotations

import time

from bot.chat.common import APOLOGY, STALE_BUTTON
from tests.botapi import BotApiServer
from tests.botapi.models import CallbackQueryRecord, StoredMessage, User
from tests.botapi.shapes import message_json, user_json
from tests.e2e.bot_fixtures import BotRunner, runner_fixture  # noqa: F401

_forged = iter(range(1, 1_000_000))


def forge_press(botapi: BotApiServer, message: StoredMessage, user: User, data: str) -> CallbackQueryRecord:
    """``user`` presses a button of ``message`` whose callback data a modified client replaced by ``data``."""
    record = CallbackQueryRecord(
        f"forged{next(_forged)}", user.id, message.chat_id, message.message_id, data, time.monotonic()
    )
    botapi.callback_queries[record.id] = record
    payload = {
        "id": record.id,
        "from": user_json(user),
        "message": message_json(message, botapi.world),
        "chat_instance": str(abs(message.chat_id) * 7 + 13),
        "data": data,
    }
    botapi.updates.push("callback_query", payload)
    botapi.changed()
    return record


async def test_a_more_key_from_another_chat_does_nothing_and_is_answered(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice, bob = botapi.add_user("Alice"), botapi.add_user("Bob")
    botapi.send_text(alice, alice, "NATO")
    [alice_reply] = await botapi.wait_for_bot_messages(alice, 1)
    more = next(b["callback_data"] for b in alice_reply.buttons() if b["text"] == "More ›")
    botapi.send_text(bob, bob, "NATO")  # Bob's own answer carries buttons of its own
    botapi.send_command(bob, bob, "latest", "2")
    bob_reply, bob_latest = await botapi.wait_for_bot_messages(bob, 2)
    before = (bob_reply.text, bob_latest.text, bob_reply.buttons())
    for target, data in ((bob_reply, more), (bob_latest, more.replace("more:", "lat:"))):
        answer = await botapi.wait_for_callback_answer(forge_press(botapi, target, bob, data))
        assert "expired" in answer.get("text", "").lower()
    assert (bob_reply.text, bob_latest.text, bob_reply.buttons()) == before  # nothing rewritten or removed
    assert not bob_reply.is_edited and not bob_latest.is_edited
    # Alice's own key still pages in Alice's chat.
    await botapi.wait_for_callback_answer(botapi.press_button(alice_reply, alice, text="More ›"))
    await botapi.wait_for(lambda: alice_reply.is_edited, what="Alice's answer paged")


async def test_superscript_digits_in_callback_data_and_inline_offsets_do_not_crash(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, "NATO")
    botapi.send_command(alice, alice, "latest", "2")
    reply, listing = await botapi.wait_for_bot_messages(alice, 2)
    more_key = reply.buttons()[-1]["callback_data"].split(":")[1]
    latest_key = listing.buttons()[-1]["callback_data"].split(":")[1]
    for message, data in ((reply, f"more:{more_key}:²"), (listing, f"lat:{latest_key}:²"), (reply, "more:x:١٢")):
        answer = await botapi.wait_for_callback_answer(forge_press(botapi, message, alice, data))
        assert answer.get("text") != APOLOGY
    inline = await botapi.wait_for_inline_answer(botapi.send_inline_query(alice, "NATO", offset="²"))
    assert inline.get("results")  # the first page, not an error
    assert not reply.is_edited and not listing.is_edited
    assert botapi.bot_messages(alice)[-1] is listing  # no apology message either


async def test_every_callback_query_is_answered_even_unmatched_data(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, "NATO")
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    for data in ("nonsense", "", "x" * 64, "more", "lat:", "☃:☃:☃"):
        answer = await botapi.wait_for_callback_answer(forge_press(botapi, reply, alice, data))
        assert answer.get("text") in (STALE_BUTTON, "These results expired. Please ask the question again.",
                                      "This list expired. Send /latest again.")  # fmt: skip
    assert len(botapi.bot_messages(alice)) == 1 and not reply.is_edited
