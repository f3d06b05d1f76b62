"""Webhook delivery: POST each pending update to the bot's URL until it answers 2xx.

Like Telegram, the secret token travels in ``X-Telegram-Bot-Api-Secret-Token``, a failed delivery is
retried (with back-off) and reported through getWebhookInfo's ``last_error_message``, and an update
leaves the queue only once the bot's server accepted it. Up to ``max_connections`` updates are on the
way at once, but never two of one chat: a chat's updates arrive in order.

Test-only: :meth:`WebhookSender.balance` stands for a load balancer in front of several replicas of
the bot. Updates then go to those URLs round robin (whatever URL setWebhook named), and an update whose
delivery fails (connection refused, a dropped connection, a timeout, a non-2xx answer) is sent at once
to the next replica, as Telegram re-delivers through the balancer; only when every replica failed does
the sender back off.
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


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST of an update to one target (balanced mode keeps these across setWebhook calls)."""

    update_id: int
    target: str
    status: int | str  # the HTTP status, or the name of the connection error
    at: float  # time.monotonic()


class WebhookSender:
    """Background task pushing updates from an :class:`UpdateQueue` to the webhook URL(s)."""

    def __init__(
        self, queue: UpdateQueue, *, retry_delay: float = 0.2, max_delay: float = 2.0, timeout: float = 10.0
    ) -> None:
        self.queue = queue
        self.state = WebhookState()
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.targets: list[str] = []  # balanced mode: the replicas' own URLs
        self.log: list[Attempt] = []  # every POST in balanced mode, in order
        self._next_target = 0
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # update_id -> its delivery
        self._busy_chats: set[int] = set()
        self._wake = asyncio.Event()
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
        self._wake.set()

    def balance(self, targets: list[str]) -> None:
        """Test-only: deliver to these URLs round robin (a load balancer before N replicas); [] ends it."""
        self.targets = list(targets)
        self._next_target = 0
        self._wake.set()

    def delivered_to(self) -> dict[str, int]:
        """Balanced mode: updates each target accepted (2xx)."""
        counts = dict.fromkeys(self.targets, 0)
        for attempt in self.log:
            if isinstance(attempt.status, int) and 200 <= attempt.status < 300:
                counts[attempt.target] = counts.get(attempt.target, 0) + 1
        return counts

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
        tasks = [t for t in (self._task, *self._in_flight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._in_flight.clear()
        self._busy_chats.clear()

    async def _run(self) -> None:
        """Start a delivery for each pending update whose chat has none on the way, up to max_connections."""
        while self.state.url:
            started = False
            for update in list(self.queue.pending):
                if len(self._in_flight) >= self.state.max_connections:
                    break
                update_id, chat = update["update_id"], _chat_of(update)
                if update_id in self._in_flight or chat in self._busy_chats:
                    continue
                if chat is not None:
                    self._busy_chats.add(chat)
                task = asyncio.get_running_loop().create_task(self._deliver(update, chat))
                self._in_flight[update_id] = task
                started = True
            if self.queue.closed:
                return
            if started:
                continue
            self._wake = asyncio.Event()
            waits = [
                asyncio.ensure_future(self._wake.wait()),
                asyncio.ensure_future(self.queue.wait_changed()),
            ]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()

    async def _deliver(self, update: dict[str, Any], chat: int | None) -> None:
        """POST one update until a target accepts it (next target at once; back off after a full round)."""
        delay = self.retry_delay
        try:
            while self.state.url:
                targets = self._round()
                for target in targets:
                    if not self.state.url:
                        return
                    if await self._post(update, target):
                        self.queue.remove(update["update_id"])
                        self.state.delivered += 1
                        return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)
        finally:
            self._in_flight.pop(update["update_id"], None)
            self._busy_chats.discard(chat)  # type: ignore[arg-type]
            self._wake.set()

    def _round(self) -> list[str]:
        """The targets to try for one update, in order: the next replica first, then the others."""
        if not self.targets:
            return [self.state.url]
        n = len(self.targets)
        first = self._next_target % n
        self._next_target += 1
        return [self.targets[(first + i) % n] for i in range(n)]

    async def _post(self, update: dict[str, Any], target: str) -> bool:
        headers = {SECRET_HEADER: self.state.secret_token} if self.state.secret_token else {}
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout), connector=aiohttp.TCPConnector(limit=0)
            )
        try:
            async with self._session.post(target, json=update, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return self._failed(update, target, type(exc).__name__, _describe(exc))
        if 200 <= status < 300:
            self._record(update, target, status)
            return True
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        return self._failed(update, target, status, f"Wrong response from the webhook: {status} {phrase}")

    def _record(self, update: dict[str, Any], target: str, status: int | str) -> None:
        self.state.attempts.append((update["update_id"], status))
        if self.targets:
            self.log.append(Attempt(update["update_id"], target, status, time.monotonic()))

    def _failed(self, update: dict[str, Any], target: str, status: int | str, message: str) -> bool:
        self._record(update, target, status)
        self.state.last_error_date = int(time.time())
        self.state.last_error_message = message
        return False


def _chat_of(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its updates are delivered one at a time, in order), if any."""
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict) and "id" in chat:
                return int(chat["id"])
            sender = value.get("from")
            if isinstance(sender, dict) and "id" in sender:
                return int(sender["id"])
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return "Read timeout expired"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    return f"Connection error: {exc}"
