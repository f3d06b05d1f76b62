"""Bot API error replies: ``{"ok": false, "error_code", "description", "parameters"}``.

Handlers raise :class:`ApiError`; the server turns it into the HTTP status and JSON body Telegram
sends, which is what makes PTB raise the matching ``BadRequest``/``Forbidden``/``RetryAfter``/
``ChatMigrated`` in the bot under test.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal with Telegram's status code, description and optional ``parameters``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """The response body Telegram would send."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str, parameters: dict[str, Any] | None = None) -> ApiError:
    """400 "Bad Request: <reason>"."""
    return ApiError(400, f"Bad Request: {reason}", parameters)


def forbidden(reason: str) -> ApiError:
    """403 "Forbidden: <reason>"."""
    return ApiError(403, f"Forbidden: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 with ``parameters.retry_after`` in whole seconds, as Telegram sends it."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def conflict(reason: str) -> ApiError:
    """409 "Conflict: <reason>" (getUpdates vs webhook, two pollers)."""
    return ApiError(409, f"Conflict: {reason}")


def chat_not_found() -> ApiError:
    """The most common refusal: an id the bot never saw or that does not exist."""
    return bad_request("chat not found")


def migrated(new_chat_id: int) -> ApiError:
    """A basic group that became a supergroup; PTB raises ``ChatMigrated(new_chat_id)``."""
    return bad_request("group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": new_chat_id})


def not_found_method(method: str) -> ApiError:
    """404 for a method this server does not implement, so a new call shows up as a failing test."""
    return ApiError(404, f"Not Found: method not found ({method!r} is not implemented by tests.botapi)")
