"""`python -m bot run` at start-up when the Bot API cannot be reached (yet), or refuses the token.

The bot is its own process, pointed first at a closed port of 127.0.0.1, then at the local Bot API
server started on that port, or made to answer with errors; nothing of the bot is mocked.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.config import Settings
from tests.botapi import BotApiServer
from tests.botapi.config import ServerConfig
from tests.e2e.bot_fixtures import make_settings, seed

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "Bot API not reachable at"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def bot_env(base_url: str, settings: Settings, token: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_") and k not in ("TELEGRAM_BOT_TOKEN", "PORT")}
    env.update(
        PYTHONPATH=str(ROOT), NEWSBOT_TOKEN=token, NEWSBOT_BOT_API_BASE_URL=base_url,
        NEWSBOT_BOT_API_BASE_FILE_URL=base_url.replace("/bot", "/file/bot"), NEWSBOT_DATA_DIR=str(settings.data_dir),
        NEWSBOT_CORPUS_PATHS="[]", NEWSBOT_ANSWER_WORKERS="0", **extra,
    )  # fmt: skip
    return env


async def start_bot(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def read_until(proc: asyncio.subprocess.Process, lines: list[str], predicate, timeout: float) -> None:
    """Collect stderr lines into ``lines`` until ``predicate(lines)`` holds."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    while not predicate(lines):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("waited in vain; stderr so far:\n" + "\n".join(lines[-30:]))
        raw = await asyncio.wait_for(proc.stderr.readline(), timeout=left)
        if not raw:
            raise AssertionError(f"the bot exited ({await proc.wait()}); stderr:\n" + "\n".join(lines[-30:]))
        lines.append(raw.decode().rstrip("\n"))


async def stop(proc: asyncio.subprocess.Process, lines: list[str]) -> int:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, rest = await asyncio.wait_for(proc.communicate(), timeout=20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines.extend(rest.decode().splitlines())
    return proc.returncode


async def test_run_waits_for_an_unreachable_bot_api_and_comes_up_with_it(tmp_path: Path, free_port: int) -> None:
    config = ServerConfig(port=free_port)
    base_url = f"http://127.0.0.1:{free_port}/bot"
    settings = make_settings(tmp_path, BotApiServer(config))
    seed(settings)
    proc = await start_bot(bot_env(base_url, settings, config.token), tmp_path)
    lines: list[str] = []
    try:
        # Nothing listens on the port yet: one log line per attempt, with growing waits.
        await read_until(proc, lines, lambda ls: sum(UNREACHABLE in line for line in ls) >= 2, timeout=30)
        assert proc.returncode is None
        botapi = await BotApiServer(config).start()  # the network comes up
        try:
            await botapi.wait_for(lambda: botapi.calls["getUpdates"] > 0, timeout=30, what="the bot polling")
            alice = botapi.add_user("Alice")
            botapi.send_text(alice, alice, "Why did NATO ministers meet in Bucharest?")
            [reply] = await botapi.wait_for_bot_messages(alice, 1, timeout=15)
            assert "Bucharest" in (reply.text or "")
            status = await stop(proc, lines)
        finally:
            await botapi.stop()
    finally:
        if proc.returncode is None:
            await stop(proc, lines)
    log = "\n".join(lines)
    assert status == 0, log[-3000:]
    assert "Traceback" not in log and config.token not in log
    attempts = [line for line in lines if UNREACHABLE in line]
    assert [f"attempt {n}:" in line for n, line in enumerate(attempts, 1)] == [True] * len(attempts)
    assert "retrying in 1 s" in attempts[0] and "retrying in 2 s" in attempts[1]  # backoff doubles
    assert any("Bot API reachable" in line for line in lines)


async def test_run_retries_bot_api_errors_then_starts(botapi: BotApiServer, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, botapi)
    seed(settings)
    botapi.faults.fail_next(2, status=502, methods=["getMe"])  # a proxy in front of the Bot API, not ready
    proc = await start_bot(bot_env(botapi.base_url, settings, botapi.token), tmp_path)
    lines: list[str] = []
    try:
        await botapi.wait_for(lambda: botapi.calls["getUpdates"] > 0, timeout=40, what="the bot polling")
    finally:
        status = await stop(proc, lines)
    log = "\n".join(lines)
    assert status == 0, log[-3000:]
    assert sum(UNREACHABLE in line for line in lines) == 2 and "Bad Gateway" in log
    assert "Traceback" not in log and botapi.token not in log


async def test_run_with_a_rejected_token_exits_at_once_with_one_line(botapi: BotApiServer, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, botapi)
    wrong = "123456:AAHwrongTOKENwrongTOKENwrongTOKEN00"
    proc = await start_bot(bot_env(botapi.base_url, settings, wrong), tmp_path)
    started = time.monotonic()
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    took = time.monotonic() - started
    log = err.decode()
    assert proc.returncode == 2, log
    assert log.strip().splitlines() == [
        (f"error: NEWSBOT_TOKEN was rejected by the Bot API at {botapi.base_url} (401 Unauthorized): check the "
         "token from @BotFather (or NEWSBOT_BOT_API_BASE_URL, if you set it)")
    ]
    assert wrong not in log
    assert took < 20  # no retrying: a generous bound for a loaded machine, not a speed measure


async def test_sigterm_while_waiting_for_the_bot_api_stops_cleanly(tmp_path: Path, free_port: int) -> None:
    config = ServerConfig(port=free_port)
    settings = make_settings(tmp_path, BotApiServer(config))
    proc = await start_bot(bot_env(f"http://127.0.0.1:{free_port}/bot", settings, config.token), tmp_path)
    lines: list[str] = []
    await read_until(proc, lines, lambda ls: any(UNREACHABLE in line for line in ls), timeout=30)
    status = await stop(proc, lines)
    log = "\n".join(lines)
    assert status == 0 and "Traceback" not in log, log
