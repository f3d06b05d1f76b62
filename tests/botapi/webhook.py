"""Webhook delivery: POST each pending update to the bot's URL, in order, until it answers 2xx.

Like Telegram, the secret token travels in ``X-Telegram-Bot-Api-Secret-Token``, a failed delivery is
retried (with back-off) and reported through getWebhookInfo's ``last_error_message``, and an update
leaves the queue only once the bot's server accepted it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import aiohttp

from .updates import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class WebhookState:
    """What setWebhook configured and how delivery has gone so far."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    attempts: list[tuple[int, int | str]] = field(default_factory=list)  # (update_id, status or error)


class WebhookSender:
    """Background task pushing updates from an :class:`UpdateQueue` to the webhook URL."""

    def __init__(
        self, queue: UpdateQueue, *, retry_delay: float = 0.2, max_delay: float = 2.0, timeout: float = 10.0
    ) -> None:
        self.queue = queue
        self.state = WebhookState()
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def active(self) -> bool:
        return bool(self.state.url)

    def set(self, url: str, secret_token: str | None, max_connections: int, ip_address: str | None) -> None:
        """Point delivery at ``url`` (replacing any previous webhook) and start the sender task."""
        self.state = WebhookState(
            url=url, secret_token=secret_token, max_connections=max_connections, ip_address=ip_address
        )
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="botapi-webhook")

    async def delete(self) -> None:
        """Stop delivering; pending updates stay queued for getUpdates."""
        self.state = WebhookState()
        await self._stop_task()

    async def close(self) -> None:
        await self.delete()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def info(self) -> dict[str, Any]:
        """The WebhookInfo object getWebhookInfo returns."""
        info: dict[str, Any] = {
            "url": self.state.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue.pending),
        }
        if self.state.url:
            info["max_connections"] = self.state.max_connections
            if self.state.ip_address:
                info["ip_address"] = self.state.ip_address
            if self.queue.allowed_explicit:
                info["allowed_updates"] = sorted(self.queue.allowed)
        if self.state.last_error_date is not None:
            info["last_error_date"] = self.state.last_error_date
            info["last_error_message"] = self.state.last_error_message
        return info

    async def _stop_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = self.retry_delay
        while self.state.url:
            await self.queue.wait_nonempty()
            if not self.queue.pending or not self.state.url:
                if self.queue.closed:
                    return
                continue
            update = self.queue.pending[0]
            if await self._post(update):
                self.queue.confirm(update["update_id"] + 1)
                self.state.delivered += 1
                delay = self.retry_delay
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)

    async def _post(self, update: dict[str, Any]) -> bool:
        headers = {SECRET_HEADER: self.state.secret_token} if self.state.secret_token else {}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.post(self.state.url, json=update, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return self._failed(update, type(exc).__name__, _describe(exc))
        if 200 <= status < 300:
            self.state.attempts.append((update["update_id"], status))
            return True
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        return self._failed(update, status, f"Wrong response from the webhook: {status} {phrase}")

    def _failed(self, update: dict[str, Any], status: int | str, message: str) -> bool:
        self.state.attempts.append((update["update_id"], status))
        self.state.last_error_date = int(time.time())
        self.state.last_error_message = message
        return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return "Read timeout expired"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    return f"Connection error: {exc}"
