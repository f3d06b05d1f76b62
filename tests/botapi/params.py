"""Request parameters as the Bot API reads them: JSON body, form fields, multipart or query string.

PTB posts ``application/x-www-form-urlencoded`` (``multipart/form-data`` with files) where nested values
(reply_markup, entities, reply_parameters, ...) are JSON-encoded strings and numbers are text, so every
accessor accepts both the raw JSON value and its string form, as api.telegram.org does.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import bad_request

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_params(request: web.Request) -> Params:
    """Collect parameters from the query string and the body, whatever its content type."""
    values: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("invalid JSON in request body") from exc
            if isinstance(body, dict):
                values.update(body)
        elif request.content_type in _FORM_TYPES:
            form = await request.post()
            values.update({k: v for k, v in form.items() if isinstance(v, str)})
            values.update({k: "<file>" for k, v in form.items() if not isinstance(v, str)})
    return Params(values)


class Params:
    """Typed, Telegram-lenient access to one request's parameters."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        """The value as received (string from a form, any JSON type from a JSON body)."""
        return self.values.get(name)

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def float(self, name: str, default: float | None = None) -> float | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def json(self, name: str, what: str | None = None) -> Any:
        """A nested object: decoded if it arrived as a JSON string (PTB's form encoding)."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {what or name} JSON object") from exc

    def chat_id(self, name: str = "chat_id") -> int | str:
        """``chat_id``: an integer id or ``@username`` of a public supergroup/channel."""
        value = self.values.get(name)
        if value in (None, ""):
            raise bad_request("chat_id is empty")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError as exc:
            raise bad_request("chat not found") from exc
