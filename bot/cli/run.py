"""`python -m bot run`: the Telegram bot, long polling by default or a webhook server.

Polling is the default (Procfile ``worker:``). With ``NEWSBOT_WEBHOOK_URL`` set, or ``--webhook``, it
serves a webhook on ``NEWSBOT_WEBHOOK_LISTEN:$PORT`` (Procfile ``web:``); Telegram must send the secret
token header, and requests without it are rejected. A missing or rejected token is one clear line, not a
traceback. SIGTERM/SIGINT stop it gracefully: the push in flight finishes, the rest stays queued.

A polling bot is alone on its store (:meth:`bot.store.Store.bot_lock`): Telegram allows one poller, so a
second `run` on the same data directory says so in one line and waits, its index loaded, until the first
stops (or dies), then takes over, which is what an overlapping deploy needs; ``--no-wait`` exits at once
instead (status 3).

Webhook replicas run side by side (README "Running several replicas"): each answers the updates the load
balancer gives it and acknowledges an update only once it is handled (:mod:`bot.chat.replicas`), and the
one holding the store's leader lease polls feeds, plans deliveries and runs the daily jobs. All replicas
share the webhook secret: the configured one, or one derived from the token (so every replica sets the
same one without configuration).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.leader import Leadership
    from bot.services import Services

log = logging.getLogger(__name__)

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
_QUIET = ("httpx", "httpcore", "apscheduler")  # chatty at INFO/DEBUG; httpx logs URLs with the token


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `run` subcommand."""
    p = sub.add_parser(
        "run",
        help="run the Telegram bot (polling; a webhook when NEWSBOT_WEBHOOK_URL is set)",
        description="Run the Telegram bot until SIGTERM/SIGINT.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--webhook", action="store_true", help="serve a webhook (needs NEWSBOT_WEBHOOK_URL)")
    mode.add_argument("--polling", action="store_true", help="long polling even if a webhook URL is set")
    p.add_argument("--no-wait", action="store_true",
                   help="exit (status 3) instead of waiting when another bot runs on the same data directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the bot; returns when it was stopped."""
    settings = load_settings()
    token = settings.require_token()  # before anything slow: a missing token is one line at once
    configure_logging(settings, token, verbose=bool(getattr(args, "verbose", False)))
    webhook = use_webhook(settings, webhook=args.webhook, polling=args.polling)
    options = webhook_options(settings) if webhook else None
    check_redis(settings)
    from bot.chat.bootstrap import wait_until_reachable
    from bot.services import open_services
    from bot.store import LockBusy

    if not wait_until_reachable(settings, token):  # backoff while the network is down; a bad token stops here
        log.info("stopped while waiting for the Bot API")
        return 0
    services = open_services(settings)
    try:
        if options is not None:  # webhook replicas: any number side by side, one of them leads
            from bot.leader import Leadership

            leadership = Leadership(services.store.leases, ttl=settings.lease_seconds)
            return _serve(settings, services, options, leadership)
        with services.store.bot_lock(wait=not args.no_wait, on_wait=_waiting(settings)):
            services.store.claims.expire_claims()  # alone on the store: any claim is a dead process's
            return _serve(settings, services, options)
    except LockBusy as busy:
        print(f"error: another bot ({busy.holder}) is running on the store {settings.database_label}; stop it "
              "first, or run without --no-wait to take over when it stops", file=sys.stderr)  # fmt: skip
        return 3
    finally:
        services.close()


def check_redis(settings: Settings) -> None:
    """A Redis URL that Redis refuses (password, database) stops start-up with one line; an unreachable
    Redis does not (the bot starts on its fallback budget and says so)."""
    if settings.redis_url is not None:
        import asyncio

        from bot.subscribe.budget_redis import WrongRedisUrl, check

        try:
            asyncio.run(check(settings.redis_url.get_secret_value()))
        except WrongRedisUrl as exc:
            raise SettingsError(str(exc)) from None


def _waiting(settings: Settings) -> Callable[[str], None]:
    def say(holder: str) -> None:
        log.warning("another bot (%s) is running on the store %s: waiting for it to stop, then taking over "
                    "(Ctrl-C to give up)", holder, settings.database_label)  # fmt: skip

    return say


def _serve(
    settings: Settings, services: Services, options: dict[str, Any] | None, leadership: Leadership | None = None
) -> int:
    """Build the application and run it until stopped."""
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.chat.app import build_application
    from bot.chat.replicas import HandledQueue
    from bot.follower import IndexFollower

    follower = IndexFollower(services)
    follower.start()  # an article ingested by any process is answerable here within about a second
    try:
        app = build_application(settings, services, leadership=leadership)
        # Reachable a moment ago: a blip before the first getMe is retried quietly rather than fatal.
        if options is not None:
            if isinstance(app.update_queue, HandledQueue):
                app.update_queue.wait_for_handling = True
            log.info("serving a webhook on %s:%s", settings.webhook_listen, settings.port)
            if leadership is not None:
                leadership.start()
            try:
                app.run_webhook(**options, bootstrap_retries=-1)
            finally:
                if leadership is not None:
                    leadership.stop()
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
    except InvalidToken:
        raise SettingsError(
            "NEWSBOT_TOKEN was rejected by the Bot API (401 Unauthorized): check the token from @BotFather"
        ) from None
    except NetworkError as exc:
        raise SettingsError(f"cannot reach the Bot API at {settings.bot_api_base_url}: {exc}") from None
    finally:
        follower.stop()
    return 0


def use_webhook(settings: Settings, *, webhook: bool = False, polling: bool = False) -> bool:
    """Webhook mode when asked for or configured (unless --polling); raises if it lacks its URL."""
    if polling:
        return False
    if webhook and not settings.webhook_url:
        raise SettingsError(
            "NEWSBOT_WEBHOOK_URL is not set: --webhook needs the public HTTPS URL Telegram calls"
        )
    return bool(webhook or settings.webhook_url)


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Application.run_webhook``: listen address, port, path, URL, secret.

    The local path is the URL's path (never the token). Without a configured secret one is derived from
    the token (an HMAC, which does not reveal the token): every replica of the bot sets the same one,
    Telegram learns it from setWebhook, and anyone else's requests are refused. The secret is redacted
    from the logs like the token.
    """
    from telegram import Update

    url = settings.webhook_url or ""
    if not url.startswith(("https://", "http://")):
        raise SettingsError("NEWSBOT_WEBHOOK_URL: must be the public https:// URL Telegram should call")
    secret = settings.webhook_secret.get_secret_value().strip() if settings.webhook_secret else ""
    if secret and not _SECRET.match(secret):
        raise SettingsError("NEWSBOT_WEBHOOK_SECRET: use 1-256 characters A-Z, a-z, 0-9, _ and - only")
    secret = secret or derived_secret(settings.require_token())
    from bot.chat.logging import install_secret_redaction

    install_secret_redaction(secret)  # setWebhook's parameters are logged at DEBUG
    return {
        "listen": settings.webhook_listen,
        "port": settings.port,
        "url_path": urlsplit(url).path.strip("/"),
        "webhook_url": url,
        "secret_token": secret,
        "allowed_updates": Update.ALL_TYPES,
    }


def derived_secret(token: str) -> str:
    """The webhook secret of a bot whose operator set none: the same for every replica, not the token."""
    return hmac.new(token.encode(), b"newsbot webhook secret", hashlib.sha256).hexdigest()


def configure_logging(settings: Settings, token: str, *, verbose: bool = False) -> None:
    """The bot's log level from settings, chatty libraries quieter, and the token redacted everywhere."""
    from bot.chat.logging import install_token_redaction

    install_token_redaction(token)
    root = logging.getLogger()
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    root.setLevel(logging.DEBUG if verbose else level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
