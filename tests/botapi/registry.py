"""Bot API method registry: ``@api_method("sendMessage")`` maps a method name to its handler.

Telegram matches method names case-insensitively, so the registry does too; anything not registered
gets a 404 from the server, which makes a new, unimplemented call visible as a failing test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .params import Params
    from .server import BotApiServer

Handler = Callable[["BotApiServer", "Params"], Awaitable[Any]]

#: lower-case method name → (canonical name, handler)
METHODS: dict[str, tuple[str, Handler]] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the implementation of Bot API method ``name``."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def lookup(method: str) -> tuple[str, Handler] | None:
    """Canonical name and handler for ``method`` (any case), or None if not implemented."""
    return METHODS.get(method.lower())
