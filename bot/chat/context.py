"""What every handler shares, typed: the services, the Telegram layer's options and the answer workers.

PTB's custom context idiom (``ContextTypes(context=...)``): the application is built with
:data:`CONTEXT_TYPES`, so each handler and job receives a :class:`BotContext` and reads
``context.services``, ``context.options`` and ``context.workers`` instead of digging in ``bot_data``.
Code that holds the ``Application`` itself (start-up, shutdown, a task a job spawned) uses
:func:`services_of`, :func:`options_of` and :func:`workers_of`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.subscribe.planner import BurstPolicy

if TYPE_CHECKING:
    from bot.services import Services

    from .workers import AnswerWorkers

SERVICES_KEY = "newsbot.services"
OPTIONS_KEY = "newsbot.options"
WORKERS_KEY = "newsbot.workers"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True, slots=True)
class BotOptions:
    """Tuning knobs of the Telegram layer that are not user settings (tests shorten the intervals).

    ``watch_interval`` is how often the bot looks for articles another process (``python -m bot
    ingest``) added; ``chat_pace`` the pause between two pushes to the same chat (Telegram allows about
    one message per second per chat; groups are additionally held to 20/min by PTB's rate limiter).
    """

    watch_interval: float = 5.0
    watch_first: float = 2.0
    chat_pace: float = 1.0
    delivery_concurrency: int = 16
    claim_lease: float = 30.0  # seconds a replica's claim on a chat's deliveries lasts unrenewed
    burst: BurstPolicy = field(default_factory=BurstPolicy)
    rate_limit_retries: int = 3
    concurrent_updates: int = 64
    query_ttl_days: float = 7.0
    inline_results: int = 5  # per page; the answer pipeline keeps 10 results, so two pages
    inline_cache_seconds: int = 60
    latest_default: int = 5
    latest_max: int = 20
    digest_interval: float = 30.0  # seconds between checks for due digests
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # tests drive time with it


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context every handler and job of this bot receives, with its shared objects typed."""

    @property
    def services(self) -> Services:
        """Settings, store, retriever and answerer, opened once for the process."""
        return services_of(self.application)

    @property
    def options(self) -> BotOptions:
        """The Telegram layer's tuning knobs."""
        return options_of(self.application)

    @property
    def workers(self) -> AnswerWorkers:
        """The answer workers (processes, or a thread of this one)."""
        return workers_of(self.application)


#: Passed to ``ApplicationBuilder.context_types`` so handlers receive a :class:`BotContext`.
CONTEXT_TYPES = ContextTypes(context=BotContext)


def _app_of(holder: CallbackContext[Any, Any, Any, Any] | AnyApplication) -> AnyApplication:
    return holder if isinstance(holder, Application) else holder.application


def services_of(holder: CallbackContext[Any, Any, Any, Any] | AnyApplication) -> Services:
    """The services the application was built with."""
    return _app_of(holder).bot_data[SERVICES_KEY]


def options_of(holder: CallbackContext[Any, Any, Any, Any] | AnyApplication) -> BotOptions:
    """The options the application was built with."""
    return _app_of(holder).bot_data[OPTIONS_KEY]


def workers_of(holder: CallbackContext[Any, Any, Any, Any] | AnyApplication) -> AnswerWorkers:
    """The answer workers the application was built with."""
    return _app_of(holder).bot_data[WORKERS_KEY]


def install(app: AnyApplication, services: Services, options: BotOptions, workers: AnswerWorkers) -> None:
    """Give the application its shared objects (once, while building it)."""
    app.bot_data[SERVICES_KEY] = services
    app.bot_data[OPTIONS_KEY] = options
    app.bot_data[WORKERS_KEY] = workers
