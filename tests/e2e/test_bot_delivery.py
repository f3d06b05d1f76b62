"""Push delivery under Telegram faults: nothing lost, doubled only in the one window (README, "Delivery of
pushes"), with the real Application against the local Bot API server."""

from __future__ import annotations

import asyncio

import pytest

from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import BotRunner, new_article, runner_fixture  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def subscribed(botapi: BotApiServer, name: str) -> object:
    user = botapi.add_user(name)
    botapi.send_command(user, user, "subscribe")
    await botapi.wait_for_bot_messages(user, 1)
    return user


def statuses(runner: BotRunner, chat_id: int) -> list[str]:
    return [r["status"] for r in runner.store.subscriptions.deliveries(chat_id)]


async def test_a_push_whose_answer_is_lost_is_sent_again_once_its_lease_ends(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    """The window: posted, but the answer never came, so it is sent again (it arrives twice); the chat's
    next article waits for it and comes after, once."""
    alice = await subscribed(botapi, "Alice")
    botapi.faults.drop_next(1, methods=["sendMessage"], after=True)  # posted; the answer never comes
    runner.ingest(new_article(1, "Harbour reopens after storm", "The harbour reopened on Monday."))
    await botapi.wait_for(lambda: statuses(runner, alice.id) == ["sending"], timeout=10, what="on the wire")
    runner.ingest(new_article(2, "Bridge closes for repairs", "The bridge closed for repairs on Tuesday."))
    await botapi.wait_for(lambda: statuses(runner, alice.id) == ["sent", "sent"], timeout=15, what="sent")
    await asyncio.sleep(1.0)  # a third copy would show up here
    pushes = botapi.bot_texts(alice)[1:]
    assert [("Harbour" in t, "Bridge" in t) for t in pushes] == [(True, False), (True, False), (False, True)]
    [resent] = runner.store.claims.resent()
    assert resent["attempts"] == 2


async def test_a_push_refused_by_flood_control_is_sent_once_after_the_wait(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    alice = await subscribed(botapi, "Alice")
    botapi.faults.retry_after_next(1, retry_after=1, methods=["sendMessage"])  # certainly not posted
    runner.ingest(new_article(1, "Harbour reopens after storm", "The harbour reopened on Monday."))
    await botapi.wait_for(lambda: statuses(runner, alice.id) == ["sent"], timeout=10, what="sent after the wait")
    await asyncio.sleep(0.5)
    assert len(botapi.bot_messages(alice)) == 2  # the /subscribe reply and one card
