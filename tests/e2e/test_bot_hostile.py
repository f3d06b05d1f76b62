"""Hostile input from Telegram clients: forged callback data, odd digits, unmatched buttons, forged chats."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.chat.app import build_application
from bot.chat.errors import APOLOGY
from bot.chat.logging import MAX_LIBRARY_MESSAGE, WEBHOOK_SECRET_REDACTED
from bot.chat.paging import STALE_BUTTON
from bot.cli.run import webhook_options
from tests.botapi import BotApiServer
from tests.botapi.models import CallbackQueryRecord, StoredMessage, User
from tests.botapi.shapes import message_json, user_json
from tests.e2e.bot_fixtures import BotRunner, make_settings, open_test_services, runner_fixture, seed  # noqa: F401

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


# -- forged chats -------------------------------------------------------------------------------------


def forge_message(botapi: BotApiServer, chat: dict, user: User, text: str) -> None:
    """A message update a forger made up (e.g. with a stolen webhook secret): any chat, any type."""
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text[0] == "/" else []
    payload = {
        "message_id": 900_000 + next(_forged), "date": int(time.time()), "chat": chat,
        "from": user_json(user), "text": text, "entities": entities,
    }  # fmt: skip
    botapi.updates.push("message", payload)
    botapi.changed()


async def test_an_update_whose_chat_type_contradicts_the_store_is_refused(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice, mallory = botapi.add_user("Alice"), botapi.add_user("Mallory")
    group = botapi.add_group("Team", members=[mallory], admins=[alice])
    botapi.send_command(group, alice, "subscribe", "NATO")
    await botapi.wait_for_bot_messages(group, 1)
    assert [s.topic for s in runner.store.subscriptions.list(group.id)] == ["nato"]
    # Mallory, no admin, claims the group is a private chat (where everyone may subscribe).
    forge_message(botapi, {"id": group.id, "type": "private", "first_name": "Mallory"}, mallory, "/subscribe football")
    # ...and an unknown negative id claiming to be private contradicts itself.
    forge_message(botapi, {"id": -4242, "type": "private", "first_name": "Mallory"}, mallory, "/subscribe grain")
    botapi.send_text(mallory, mallory, "grain deal")  # a real update after the forged ones
    await botapi.wait_for_bot_messages(mallory, 1)
    await asyncio.sleep(0.5)  # the forged updates were fetched with the real one; let handlers finish
    assert [s.topic for s in runner.store.subscriptions.list(group.id)] == ["nato"]
    assert runner.store.subscriptions.list(-4242) == []
    assert len(botapi.bot_messages(group)) == 1  # nothing was sent to the group for the forger
    assert [r.method for r in botapi.requests if str(r.params.get("chat_id")) == "-4242"] == []


# -- logs -----------------------------------------------------------------------------------------------


async def test_user_texts_and_payloads_are_redacted_in_debug_logs(
    botapi: BotApiServer, runner: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").setLevel(logging.DEBUG)  # as if someone turned everything up
        alice = botapi.add_user("Zoltanova")
        botapi.send_text(alice, alice, "my private diary 4242 about the grain deal")
        await botapi.wait_for_bot_messages(alice, 1)
    text = caplog.text
    assert "Processing update" in text and "getUpdates" in text  # debug logging really was on
    assert "diary 4242" not in text and "Zoltanova" not in text
    assert all(len(r.getMessage()) <= MAX_LIBRARY_MESSAGE + 40 for r in caplog.records if r.name.startswith("telegram"))
    assert not [r for r in caplog.records if r.levelno > logging.DEBUG and "grain deal" in r.getMessage()]


async def test_webhook_secret_is_redacted_in_debug_logs(
    botapi: BotApiServer, tmp_path: Path, free_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{free_port}/hook"
    secret = "Very-secret-webhook-value-0123456789"
    settings = make_settings(tmp_path, botapi, webhook_url=url, webhook_secret=secret, NEWSBOT_PORT=free_port,
                             webhook_listen="127.0.0.1")  # fmt: skip
    seed(settings)
    services = await asyncio.to_thread(open_test_services, settings)
    with caplog.at_level(logging.DEBUG):
        options = webhook_options(settings)
        app = build_application(settings, services)
        await app.initialize()
        await app.start()
        await app.updater.start_webhook(**options)
        try:
            alice = botapi.add_user("Alice")
            botapi.send_text(alice, alice, "grain deal")
            await botapi.wait_for_bot_messages(alice, 1)
            logging.getLogger("test").debug("the secret %s in a message of our own", secret)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            services.close()
    text = caplog.text
    assert "setWebhook" in text and f"the secret {WEBHOOK_SECRET_REDACTED} in" in text
    assert secret not in text and botapi.token not in text
