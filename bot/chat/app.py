"""The one wiring module: build the python-telegram-bot `Application` for the news bot.

Everything Telegram-specific is configured here, once: the token and Bot API server, defaults (HTML,
no link previews unless a handler asks for one), the rate limiter that also honours ``RetryAfter``,
command menus per scope, the error handler, the handlers of each feature module and the delivery jobs.
Handlers live in their feature modules and stay thin.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import time
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from . import ask, delivery, digests, guard, help, inline, latest, membership, subscriptions
from .context import CONTEXT_TYPES, BotContext, BotOptions, install, workers_of
from .errors import on_error
from .logging import install_token_redaction
from .paging import unknown_button
from .ratelimit import ChatRateLimiter, shared_budget
from .replicas import LEADER_KEY, HandledApplication, HandledQueue, leader_only
from .workers import AnswerWorkers, default_workers

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.leader import Leadership
    from bot.services import Services

log = logging.getLogger(__name__)

NEW_MESSAGE = filters.UpdateType.MESSAGE  # edits of old messages are not new questions or commands
#: HTML everywhere; no link previews unless a handler asks for one; a reply whose question was deleted
#: meanwhile is still sent (as a plain message) instead of failing.
DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML,
    link_preview_options=LinkPreviewOptions(is_disabled=True),
    allow_sending_without_reply=True,
)
HandlerCallback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def build_application(
    settings: Settings, services: Services, *, options: BotOptions | None = None,
    leadership: Leadership | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A ready-to-run Application; the caller starts it (polling or webhook) and closes ``services``.

    ``run_polling``/``run_webhook`` call ``post_init`` (command menus) themselves; code that starts the
    application by hand (``initialize``/``start``) should ``await app.post_init(app)`` after initialize.

    ``leadership`` (several replicas on one store) decides where feed polling, delivery planning and the
    daily jobs run; without it this process is the only one and always the leader.

    Raises :class:`bot.config.SettingsError` (one clear line) when the token is missing.
    """
    options = options or BotOptions(claim_lease=settings.lease_seconds)
    token = settings.require_token()
    install_token_redaction(token)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_base_file_url)
        .defaults(DEFAULTS)
        .context_types(CONTEXT_TYPES)
        .rate_limiter(
            ChatRateLimiter(max_retries=options.rate_limit_retries, budget=shared_budget(settings, token))
        )
        .concurrent_updates(options.concurrent_updates)
        .application_class(HandledApplication)
        .update_queue(HandledQueue())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    if leadership is not None:
        app.bot_data[LEADER_KEY] = leadership
    workers = default_workers() if settings.answer_workers is None else settings.answer_workers
    install(app, services, options, AnswerWorkers(services, workers))
    app.bot_data[delivery.DELIVERER_KEY] = delivery.Deliverer(services)
    register_handlers(app)
    schedule_jobs(app, settings, options)
    return app


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every handler, most specific first; see each module for what it does."""
    app.add_handler(TypeHandler(Update, guard.refuse_contradicting_chat), group=-1)  # before all others
    commands: list[tuple[str | list[str], HandlerCallback]] = [
        (["start", "help"], help.help_command),
        ("sources", help.sources_command),
        ("ask", ask.ask_command),
        ("latest", latest.latest_command),
        ("subscribe", subscriptions.subscribe_command),
        ("unsubscribe", subscriptions.unsubscribe_command),
        ("subscriptions", subscriptions.subscriptions_command),
        ("digest", subscriptions.command("digest")),
        ("timezone", subscriptions.command("timezone")),
    ]
    for names, callback in commands:  # edits of old messages are not new commands
        app.add_handler(CommandHandler(names, callback, filters=NEW_MESSAGE))
    app.add_handler(
        MessageHandler(filters.UpdateType.CHANNEL_POST & filters.COMMAND, subscriptions.channel_command)
    )
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, membership.chat_migrated))
    app.add_handler(MessageHandler(filters.StatusUpdate.FORUM_TOPIC_EDITED, subscriptions.topic_renamed))
    app.add_handler(ChatMemberHandler(membership.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    text = NEW_MESSAGE & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & text, ask.ask_message))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & text & ask.AddressedToBot(), ask.ask_message))
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & NEW_MESSAGE & filters.COMMAND, help.unknown_command)
    )
    app.add_handler(CallbackQueryHandler(ask.more_button, pattern=rf"^{ask.MORE}:"))
    app.add_handler(CallbackQueryHandler(latest.latest_button, pattern=rf"^{latest.PAGE}:"))
    app.add_handler(CallbackQueryHandler(unknown_button))  # any other data: answered all the same
    app.add_handler(InlineQueryHandler(inline.inline_query))
    app.add_error_handler(on_error)


def schedule_jobs(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Settings, options: BotOptions
) -> None:
    """Delivery jobs: watch the store often, poll feeds/folders every N minutes, purge old queries daily."""
    jobs = app.job_queue
    if jobs is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot[job-queue] is required")
    jobs.run_repeating(
        delivery.watch_job, interval=options.watch_interval, first=options.watch_first, name="watch"
    )
    if settings.feed_urls or settings.watch_dirs:
        jobs.run_repeating(
            leader_only(delivery.poll_job),
            interval=settings.poll_interval_minutes * 60,
            first=options.watch_first,
            name="poll",
        )
    jobs.run_repeating(
        leader_only(digests.digest_job), interval=options.digest_interval, first=options.watch_first, name="digests"
    )
    jobs.run_daily(leader_only(delivery.purge_job), time=time(hour=4), name="purge-queries")


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Answer workers started; command menus per scope: private chats, group members, group admins."""
    await workers_of(app).start()
    bot = app.bot
    menus = [
        (help.PRIVATE_COMMANDS, BotCommandScopeAllPrivateChats()),
        (help.GROUP_COMMANDS, BotCommandScopeAllGroupChats()),
        (help.ADMIN_COMMANDS, BotCommandScopeAllChatAdministrators()),
    ]
    for commands, scope in menus:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:  # menus are a convenience; never block start-up on them
            log.warning("could not set the command menu for %s: %s", scope.type, exc)
    log.info("bot @%s is up", bot.username)


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop the answer workers; say what stays queued: those deliveries go out after the next start."""
    await asyncio.to_thread(workers_of(app).close)
    left = delivery.deliverer_of(app).outbox.pending_count()
    log.info("bot stopped; %d deliveries stay queued for the next start", left)
