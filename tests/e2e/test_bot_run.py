"""Running the bot: `python -m bot run` (missing token, SIGTERM), the webhook with its secret header,
and the token never reaching the logs."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import psutil
import pytest

from bot.chat.app import build_application
from bot.cli.run import webhook_options
from bot.config import Settings
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import BotRunner, make_settings, open_test_services, runner_fixture, seed  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any bot setting, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NEWSBOT_") and k not in ("TELEGRAM_BOT_TOKEN", "PORT")
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env

async def start_bot(botapi: BotApiServer, settings: Settings, **extra: str) -> asyncio.subprocess.Process:
    """``python -m bot run`` in its own process against the local server, output piped for inspection."""
    env = clean_env(
        NEWSBOT_TOKEN=botapi.token, NEWSBOT_BOT_API_BASE_URL=botapi.base_url,
        NEWSBOT_BOT_API_BASE_FILE_URL=botapi.base_file_url, NEWSBOT_DATA_DIR=str(settings.data_dir),
        NEWSBOT_CORPUS_PATHS="[]", **extra,
    )  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=settings.data_dir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip



def test_missing_token_is_one_clear_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "NEWSBOT_TOKEN" in lines[0] and "Traceback" not in done.stderr


async def test_webhook_requires_the_secret_header(
    botapi: BotApiServer, tmp_path: Path, free_port: int
) -> None:
    url = f"http://127.0.0.1:{free_port}/telegram-hook"
    settings = make_settings(
        tmp_path, botapi, webhook_url=url, webhook_secret="s3cret-Token", NEWSBOT_PORT=free_port,
        webhook_listen="127.0.0.1",
    )  # fmt: skip
    seed(settings)
    options = webhook_options(settings)
    assert options["url_path"] == "telegram-hook" and botapi.token not in str(options)
    services = await asyncio.to_thread(open_test_services, settings)
    app = build_application(settings, services)
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(**options)
    try:
        alice = botapi.add_user("Alice")
        botapi.send_text(
            alice, alice, "Why did NATO ministers meet in Bucharest?"
        )  # delivered via the webhook
        [reply] = await botapi.wait_for_bot_messages(alice, 1)
        assert "Bucharest" in (reply.text or "")
        chat = {"id": 1, "type": "private"}
        update = {"update_id": 999, "message": {"message_id": 1, "date": 0, "chat": chat, "text": "forged"}}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as response:
                assert response.status == 403
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as response:
                assert response.status == 403
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        services.close()


async def test_token_never_appears_in_logs(
    botapi: BotApiServer, runner: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").setLevel(logging.DEBUG)  # as if someone turned everything up
        alice = botapi.add_user("Alice")
        botapi.send_text(alice, alice, "grain deal")
        await botapi.wait_for_bot_messages(alice, 1)
        logging.getLogger("test").error("request to %s/bot%s/getMe failed", botapi.url, botapi.token)
        try:
            raise RuntimeError(f"boom at {botapi.base_url}{botapi.token}/sendMessage")
        except RuntimeError:
            logging.getLogger("test").exception("with a traceback")
    text = caplog.text
    assert "getUpdates" in text or "sendMessage" in text  # debug logging really was on
    assert botapi.token not in text
    assert all(botapi.token not in r.getMessage() for r in caplog.records)
    assert "<token>" in text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_run_polls_answers_and_stops_cleanly_on_sigterm(botapi: BotApiServer, tmp_path: Path) -> None:
    pytest.importorskip("bot.services")
    settings = make_settings(tmp_path, botapi)
    seed(settings)
    proc = await start_bot(botapi, settings, NEWSBOT_LOG_LEVEL="DEBUG")
    try:
        await botapi.wait_for(lambda: botapi.calls["getUpdates"] > 0, timeout=30, what="the bot polling")
        alice = botapi.add_user("Alice")
        botapi.send_text(alice, alice, "Why did NATO ministers meet in Bucharest?")
        [reply] = await botapi.wait_for_bot_messages(alice, 1, timeout=10)
        assert "Bucharest" in (reply.text or "")
        children = psutil.Process(proc.pid).children(recursive=True)  # answer workers (one per CPU)
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=15)
        _, alive = psutil.wait_procs(children, timeout=5)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert not alive, f"processes left after SIGTERM: {alive}"
    log = stderr.decode()
    assert children and "worker processes" in log  # the default: answers came from the workers
    assert "Traceback" not in log and botapi.token not in log
    assert "sendMessage" in log  # DEBUG logging was on, and still no token


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers follow a killed bot on Linux")
async def test_answer_workers_do_not_outlive_a_killed_bot(botapi: BotApiServer, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, botapi)
    seed(settings)
    proc = await start_bot(botapi, settings, NEWSBOT_ANSWER_WORKERS="2")
    try:
        await botapi.wait_for(lambda: botapi.calls["getUpdates"] > 0, timeout=30, what="the bot polling")
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2
        proc.kill()  # SIGKILL: no shutdown code runs in the bot
        await proc.wait()
        _, alive = await asyncio.to_thread(psutil.wait_procs, children, timeout=10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert not alive, f"processes left after the bot was killed: {alive}"
