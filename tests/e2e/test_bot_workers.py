"""Answering in worker processes (NEWSBOT_ANSWER_WORKERS): the same replies, "More" pages and inline
results as in process, new articles seen at once, a clean fallback when the workers die, and no process
left behind after a stop."""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest

from bot.chat.context import workers_of
from bot.chat.workers import AnswerWorkers
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import (
    BotRunner,
    make_settings,
    new_article,
    open_test_services,
    seed,
    started_runner,
)

QUESTION = "Why did NATO ministers meet in Bucharest?"


@pytest.fixture(name="runner")
async def pool_runner(botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[BotRunner]:
    """A started bot on the fixture articles that answers in two worker processes."""
    async with started_runner(botapi, tmp_path, answer_workers=2) as bot_runner:
        yield bot_runner


def worker_pids() -> set[int]:
    """Live answer workers: child processes of this test process but multiprocessing's resource tracker
    (one per process that ever started a pool, it lives as long as its parent)."""
    return {
        p.pid
        for p in psutil.Process().children()
        if p.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(p.cmdline())
    }


def child_pids() -> set[int]:
    """Every child process of this test process, zombies included."""
    return {p.pid for p in psutil.Process().children()}


async def test_workers_answer_questions_more_pages_and_inline_queries(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    assert workers_of(runner.app).running and len(worker_pids()) == 2
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, QUESTION)
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    assert "NATO foreign ministers met in Bucharest" in (reply.text or "")
    first_page = reply.text
    press = botapi.press_button(reply, alice, text="More ›")
    await botapi.wait_for_callback_answer(press)
    await botapi.wait_for(lambda: reply.is_edited, what="the answer edited to page 2")
    assert reply.text != first_page and "3." in (reply.text or "")
    inline = await botapi.wait_for_inline_answer(botapi.send_inline_query(alice, "grain deal"))
    assert "grain deal" in inline["results"][0]["title"].lower()


async def test_workers_see_new_articles_as_soon_as_the_bot_does(
    botapi: BotApiServer, runner: BotRunner
) -> None:
    text = "Astronomers at the Paranal observatory catalogued a comet with a green tail."
    runner.ingest(new_article(1, "Green comet catalogued at Paranal", text))
    await runner.wait_planned()  # the bot process has refreshed its index
    alice = botapi.add_user("Alice")
    botapi.send_text(alice, alice, "Which observatory catalogued the green comet?")
    [reply] = await botapi.wait_for_bot_messages(alice, 1)
    assert "Paranal" in (reply.text or "")


async def test_dead_workers_mean_answers_in_the_bot_process(botapi: BotApiServer, runner: BotRunner) -> None:
    killed = worker_pids()
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    alice = botapi.add_user("Alice")
    for n, question in enumerate([QUESTION, "grain deal"], start=1):
        botapi.send_text(alice, alice, question)
        replies = await botapi.wait_for_bot_messages(alice, n)
        assert "Sorry" not in (replies[-1].text or "")
    assert not workers_of(runner.app).running
    assert "Bucharest" in (replies[0].text or "") and "grain" in (replies[1].text or "").lower()
    await botapi.wait_for(lambda: not killed & child_pids(), what="the dead workers reaped, no zombies")


async def test_stop_leaves_no_worker_process(botapi: BotApiServer, runner: BotRunner) -> None:
    pids = worker_pids()
    assert len(pids) == 2
    await runner.stop()
    assert not pids & child_pids()  # exited and reaped: no zombies


async def test_workers_that_cannot_start_leave_answers_in_the_bot_process(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, botapi)
    seed(settings)
    services = open_test_services(settings)
    try:
        unreachable = settings.model_copy(update={"database_url": "sqlite:////dev/null/no/newsbot.sqlite3"})
        workers = AnswerWorkers(dataclasses.replace(services, settings=unreachable), 1)
        assert await workers.start() is False and not workers.running
        answer = await workers.answer(QUESTION, limit=2)
        assert "Bucharest" in answer.items[0].quote.text
        assert not worker_pids()
    finally:
        services.close()


async def test_the_reference_backend_answers_in_the_bot_process(botapi: BotApiServer, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, botapi, search_backend="rank-bm25", answer_workers=2)
    seed(settings)
    bot_runner = BotRunner(botapi, settings)
    await bot_runner.start()
    try:
        assert not workers_of(bot_runner.app).running and not worker_pids()
        alice = botapi.add_user("Alice")
        botapi.send_text(alice, alice, QUESTION)
        [reply] = await botapi.wait_for_bot_messages(alice, 1)
        assert "Bucharest" in (reply.text or "")
    finally:
        await bot_runner.stop()
