"""pytest fixtures for the local Bot API server (loaded via ``pytest_plugins`` in tests/conftest.py).

- ``botapi``: a started :class:`BotApiServer` with Telegram's default flood limits, stopped afterwards.
- ``botapi_no_limits``: the same with flood control off (for tests that don't care about pacing).
- ``tg_bot``: an initialized ``telegram.Bot`` pointed at ``botapi`` (shut down afterwards).
- ``free_port``: a free TCP port on 127.0.0.1 (for a webhook listener).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
import telegram

from .server import BotApiServer


@pytest.fixture
async def botapi() -> AsyncIterator[BotApiServer]:
    server = await BotApiServer().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def botapi_no_limits(botapi: BotApiServer) -> BotApiServer:
    botapi.limits.enabled = False
    return botapi


@pytest.fixture
async def tg_bot(botapi: BotApiServer) -> AsyncIterator[telegram.Bot]:
    bot = botapi.make_bot()
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
