"""Start-up: wait until the Bot API answers ``getMe`` before the bot starts, retrying with backoff.

A service under a process supervisor often starts before the network is up (boot, a container on a
flaky link). Exiting then only makes the supervisor restart it in a loop with a traceback each time;
instead the bot waits here, one log line per failed attempt, and comes up when the Bot API does. A
token the Bot API rejects (401, or 404 from a wrong server URL) is not something waiting can fix: that
stops start-up at once with one clear line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from dataclasses import dataclass

from telegram import Bot, User
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.config import Settings, SettingsError

log = logging.getLogger(__name__)

#: Logs its own traceback (with the whole page) when a proxy answers with HTML instead of JSON; while
#: probing, the one line per attempt below says all of it.
_PROBE_QUIET = ("telegram.request.BaseRequest",)


def _short(error: TelegramError) -> str:
    """The error's first line, without the raw page PTB appends when a proxy's error page is not JSON."""
    text = error.message.split(". Parsing the server response", 1)[0]
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds between attempts: ``first``, doubling up to ``most``, each spread by ±``jitter``."""

    first: float = 1.0
    most: float = 60.0
    jitter: float = 0.1

    def delay(self, failures: int) -> float:
        """The wait after the ``failures``-th failed attempt in a row (1-based)."""
        base = min(self.most, self.first * 2 ** max(failures - 1, 0))
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)


async def wait_for_bot_api(
    settings: Settings, token: str, *, backoff: Backoff = Backoff(), stop: asyncio.Event | None = None
) -> User | None:
    """The bot's own user once ``getMe`` succeeds; None when ``stop`` was set while waiting.

    Network trouble (refused connection, timeout, 5xx, a proxy's error page) and flood control are
    retried forever; a rejected token raises :class:`SettingsError`, as does any other refusal.
    """
    where = settings.bot_api_base_url
    failures = 0
    while stop is None or not stop.is_set():
        try:
            me = await _get_me(settings, token)
        except InvalidToken:
            raise SettingsError(
                f"NEWSBOT_TOKEN was rejected by the Bot API at {where} (401 Unauthorized): check the token "
                "from @BotFather (or NEWSBOT_BOT_API_BASE_URL, if you set it)"
            ) from None
        except RetryAfter as exc:
            failures += 1
            wait = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
            log.warning("Bot API at %s asks to wait %.0f s (attempt %d); retrying then", where, wait, failures)
        except NetworkError as exc:  # includes timeouts and 5xx answers
            failures += 1
            wait = backoff.delay(failures)
            log.warning("Bot API not reachable at %s (attempt %d: %s); retrying in %.0f s",
                        where, failures, _short(exc), wait)  # fmt: skip
        except TelegramError as exc:
            raise SettingsError(f"the Bot API at {where} refused getMe: {_short(exc)}") from None
        else:
            if failures:
                log.warning("Bot API reachable at %s after %d failed attempts", where, failures)
            return me
        if stop is None:
            await asyncio.sleep(wait)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
    return None


async def _get_me(settings: Settings, token: str) -> User:
    """One ``getMe`` with a client of its own (closed again whatever happens)."""
    bot = Bot(token, base_url=settings.bot_api_base_url, base_file_url=settings.bot_api_base_file_url)
    quiet = [logging.getLogger(name) for name in _PROBE_QUIET]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        return await bot.get_me()
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
        with contextlib.suppress(Exception):
            await bot.shutdown()


def wait_until_reachable(settings: Settings, token: str, *, backoff: Backoff = Backoff()) -> bool:
    """:func:`wait_for_bot_api` for a command line: True once reachable, False after SIGTERM/SIGINT."""

    async def main() -> bool:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            return await wait_for_bot_api(settings, token, backoff=backoff, stop=stop) is not None
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)

    return asyncio.run(main())
