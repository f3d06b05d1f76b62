"""The local Telegram Bot API server: real HTTP on 127.0.0.1, driven by PTB like api.telegram.org.

``BotApiServer`` owns the world (users, chats, messages), the update queue, flood control and fault
rules, and exposes them to tests through plain methods (see :mod:`.scenario` for making things happen
and :mod:`.observe` for reading back what the bot did).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any, Self

from aiohttp import web

from . import (  # noqa: F401
    methods_bot,
    methods_chats,
    methods_forum,
    methods_interactive,
    methods_messages,
    methods_updates,
)
from .config import TOKEN_FORMAT, ServerConfig
from .errors import ApiError, not_found_method, too_many_requests
from .faults import NGINX_PAGE, Fault, FaultInjector
from .models import CallbackQueryRecord, Chat, InlineQueryRecord, User
from .observe import Observer
from .params import Params, read_params
from .ratelimit import FloodControl, RateLimits
from .records import RequestLog, RequestRecord
from .registry import Handler, lookup
from .scenario import Scenario
from .updates import UpdateQueue
from .webhook import WebhookSender
from .world import World


class BotApiServer(Scenario, Observer):
    """A fake api.telegram.org for one bot: ``await start()``, point PTB at :attr:`base_url`, ``stop()``."""

    def __init__(self, config: ServerConfig | None = None, *, limits: RateLimits | None = None) -> None:
        self.config = config or ServerConfig()
        bot = User(
            self.config.bot_id,
            self.config.bot_first_name,
            username=self.config.bot_username,
            language_code=None,
            is_bot=True,
        )
        self.world = World(bot)
        self.updates = UpdateQueue()
        self.limits = limits or RateLimits()
        self.flood = FloodControl(self.limits)
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.webhook = WebhookSender(self.updates, retry_delay=self.config.webhook_retry_delay)
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.inline_queries: dict[str, InlineQueryRecord] = {}
        self.inline_edits: list[dict[str, Any]] = []
        self.chat_actions: list[tuple[int, str]] = []
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._started_at = time.monotonic()
        self.port = self.config.port

    # ---- lifecycle --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``: the token is appended."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def token(self) -> str:
        return self.config.token

    @property
    def bot_user(self) -> User:
        return self.world.bot_user

    def uptime(self) -> float:
        return time.monotonic() - self._started_at

    async def start(self) -> BotApiServer:
        """Listen on a free port of 127.0.0.1 (or ``config.port``)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._started_at = time.monotonic()
        return self

    async def stop(self) -> None:
        """Release long polls, stop webhook delivery and close the listener."""
        self.updates.close()
        await self.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def make_bot(self, **kwargs: Any) -> Any:
        """A ``telegram.Bot`` talking to this server (extra kwargs go to ``Bot``)."""
        import telegram

        return telegram.Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url, **kwargs)

    def application_builder(self) -> Any:
        """``ApplicationBuilder`` with token, base_url and base_file_url already pointing here."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder().token(self.token).base_url(self.base_url).base_file_url(self.base_file_url)
        )

    # ---- helpers used by method handlers ------------------------------------------------------------
    def check_flood(self, method: str, chat: Chat) -> None:
        """Raise 429 if Telegram's flood control would refuse this message now."""
        retry_after = self.flood.check(method, chat.id, chat.type)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def changed(self) -> None:
        """Wake :meth:`wait_for` callers; called after every state change."""
        self._changed.set()
        self._changed = asyncio.Event()

    # ---- HTTP -----------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        if not TOKEN_FORMAT.match(token):
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if token != self.config.token:
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        found = lookup(method)
        name = found[0] if found else method
        self.log.calls[name] += 1
        fault = self.faults.pick(name)
        if fault is not None and not fault.after:
            early = await self._fault_before(fault, request, name)
            if early is not None:
                return early
        status, body = await self._execute(name, found, request)
        if fault is not None and fault.after:
            return await self._fault_after(fault, request, status, body)
        return _json(status, body)

    async def _execute(
        self, name: str, found: tuple[str, Handler] | None, request: web.Request
    ) -> tuple[int, dict[str, Any]]:
        params = Params({})
        try:
            params = await read_params(request)
            if found is None:
                raise not_found_method(name)
            status, body = 200, {"ok": True, "result": await found[1](self, params)}
        except ApiError as exc:
            status, body = exc.code, exc.to_json()
        self.log.add(
            RequestRecord(
                name,
                params.values,
                status,
                body.get("description"),
                body.get("parameters"),
                abandoned=status != 200 and _client_gone(request),
            )
        )
        self.changed()
        return status, body

    async def _fault_before(self, fault: Fault, request: web.Request, name: str) -> web.StreamResponse | None:
        """Answer with the fault instead of executing; None means "slow, then execute"."""
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
            if not _client_gone(request):
                return None
            self._record_fault(name, 0, "client went away during slow response", abandoned=True)
            return web.Response(status=504)
        if fault.kind == "drop":
            self._record_fault(name, 0, "connection dropped")
            return _drop(request)
        if fault.kind == "retry_after":
            error = too_many_requests(fault.retry_after)
            self._record_fault(name, 429, error.description, error.parameters)
            return _json(429, error.to_json())
        self._record_fault(name, fault.status, fault.reason)
        return _fault_page(fault)

    async def _fault_after(
        self, fault: Fault, request: web.Request, status: int, body: dict[str, Any]
    ) -> web.StreamResponse:
        """The request was executed; now lose or delay its answer."""
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
            return _json(status, body)
        if fault.kind == "drop":
            return _drop(request)
        return (
            _fault_page(fault)
            if fault.kind == "status"
            else _json(429, too_many_requests(fault.retry_after).to_json())
        )

    def _record_fault(
        self,
        name: str,
        status: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        *,
        abandoned: bool = False,
    ) -> None:
        self.log.add(
            RequestRecord(name, {}, status, description, parameters, injected=True, abandoned=abandoned)
        )
        self.changed()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        return _json(
            404,
            {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: file downloads are not implemented by tests.botapi",
            },
        )


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


def _fault_page(fault: Fault) -> web.Response:
    if fault.html:
        return web.Response(
            status=fault.status,
            content_type="text/html",
            text=NGINX_PAGE.format(code=fault.status, reason=fault.reason),
        )
    return _json(fault.status, {"ok": False, "error_code": fault.status, "description": fault.reason})


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the TCP connection without an HTTP answer (the client sees "server disconnected")."""
    transport = request.transport
    if transport is not None:
        with contextlib.suppress(Exception):
            transport.abort()
    return web.Response(status=499)


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
