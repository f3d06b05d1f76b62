"""One bot per store (#13 item 3): a second `python -m bot run` on the same data directory waits, sends
nothing and takes over when the first dies (even by kill -9); with --no-wait it exits with one line."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.config import Settings
from bot.store import Store
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import make_settings, new_article, seed
from tests.e2e.test_bot_run import clean_env

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="flock and kill -9 semantics of Linux"),
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

GRAIN = new_article(20, "Grain exports rise again", "Grain exports through the Black Sea rose again in May.")


async def start(botapi: BotApiServer, settings: Settings, *args: str) -> asyncio.subprocess.Process:
    env = clean_env(
        NEWSBOT_TOKEN=botapi.token, NEWSBOT_BOT_API_BASE_URL=botapi.base_url,
        NEWSBOT_BOT_API_BASE_FILE_URL=botapi.base_file_url, NEWSBOT_DATA_DIR=str(settings.data_dir),
        NEWSBOT_CORPUS_PATHS="[]", NEWSBOT_ANSWER_WORKERS="0",
    )  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, cwd=settings.data_dir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def line_with(proc: asyncio.subprocess.Process, text: str, timeout: float = 60) -> str:
    """The first stderr line of ``proc`` that contains ``text``."""
    assert proc.stderr is not None

    async def scan() -> str:
        while line := (await proc.stderr.readline()).decode():  # type: ignore[union-attr]
            if text in line:
                return line
        raise AssertionError(f"process ended without a line containing {text!r}")

    return await asyncio.wait_for(scan(), timeout)


async def stop(*procs: asyncio.subprocess.Process) -> None:
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_second_bot_waits_sends_nothing_and_takes_over_after_kill_9(
    botapi: BotApiServer, tmp_path
) -> None:
    settings = make_settings(tmp_path, botapi)
    seed(settings)
    first = await start(botapi, settings)
    second = None
    try:
        await botapi.wait_for(lambda: botapi.calls["getUpdates"] > 0, timeout=60, what="the first bot polling")
        alice = botapi.add_user("Alice")
        botapi.send_command(alice, alice, "subscribe", "grain")
        await botapi.wait_for_bot_messages(alice, 1, timeout=10)
        second = await start(botapi, settings)
        line = await line_with(second, "another bot")
        assert f"(pid {first.pid})" in line and "waiting for it to stop" in line and str(settings.data_dir) in line

        store = Store.from_settings(settings)  # a new article while both run: one push, not two
        try:
            store.articles.upsert(GRAIN)
        finally:
            store.close()
        await botapi.wait_for_bot_messages(alice, 2, timeout=30)
        await asyncio.sleep(3)
        assert len(botapi.bot_messages(alice)) == 2 and "Grain exports rise again" in botapi.bot_texts(alice)[1]
        assert second.returncode is None

        first.kill()  # SIGKILL: the lock must not outlive it
        await first.wait()
        botapi.send_text(alice, alice, "Why did NATO ministers meet in Bucharest?")
        replies = await botapi.wait_for_bot_messages(alice, 3, timeout=60)
        assert "Bucharest" in (replies[2].text or "")
        await asyncio.sleep(1)
        assert len(botapi.bot_messages(alice)) == 3
        assert not [r for r in botapi.refused if r.status == 409]  # never two pollers at once
    finally:
        await stop(first, *([second] if second else []))


async def test_no_wait_exits_with_one_line_while_another_bot_runs(botapi: BotApiServer, tmp_path) -> None:
    settings = make_settings(tmp_path, botapi)
    seed(settings)
    first = await start(botapi, settings)
    try:
        await botapi.wait_for(lambda: botapi.calls["getUpdates"] > 0, timeout=60, what="the first bot polling")
        second = await start(botapi, settings, "--no-wait")
        _, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 3
        errors = [line for line in err.decode().splitlines() if "error" in line.lower()]
        assert len(errors) == 1 and f"another bot (pid {first.pid})" in errors[0], err.decode()
        assert "Traceback" not in err.decode()
    finally:
        await stop(first)
