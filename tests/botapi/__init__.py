"""A local Telegram Bot API server for end-to-end tests of the bot with the real PTB ``Application``.

Usage (the ``botapi`` fixture does start/stop for you)::

    server = await BotApiServer().start()
    app = server.application_builder().build()      # or .base_url(server.base_url) on your own builder
    alice = server.add_user("Alice")
    server.send_command(alice, alice, "ask", "what happened in Bucharest?")
    [reply] = await server.wait_for_bot_messages(alice, 1)
"""

from .config import DEFAULT_TOKEN, ServerConfig
from .entities import Entity
from .errors import ApiError
from .faults import Fault, FaultInjector
from .models import GROUP_ANONYMOUS_BOT_ID, CallbackQueryRecord, Chat, InlineQueryRecord, StoredMessage, User
from .ratelimit import RateLimits
from .records import RequestRecord
from .server import BotApiServer

__all__ = [
    "DEFAULT_TOKEN",
    "GROUP_ANONYMOUS_BOT_ID",
    "ApiError",
    "BotApiServer",
    "CallbackQueryRecord",
    "Chat",
    "Entity",
    "Fault",
    "FaultInjector",
    "InlineQueryRecord",
    "RateLimits",
    "RequestRecord",
    "ServerConfig",
    "StoredMessage",
    "User",
]
