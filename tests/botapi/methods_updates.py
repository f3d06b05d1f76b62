"""getUpdates, setWebhook, deleteWebhook, getWebhookInfo: the two ways a bot receives updates.

As on Telegram they exclude each other: getUpdates while a webhook is set is a 409 Conflict.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import bad_request, conflict
from .registry import api_method

if TYPE_CHECKING:
    from .params import Params
    from .server import BotApiServer

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_WEBHOOK_PORTS = (80, 88, 443, 8443)


@api_method("getUpdates")
async def get_updates(api: BotApiServer, p: Params) -> list[dict[str, Any]]:
    if api.webhook.active:
        raise conflict(
            "can't use getUpdates method while webhook is active; use deleteWebhook to delete "
            "the webhook first"
        )
    limit = min(max(p.int("limit", 100) or 100, 1), 100)
    timeout = max(p.float("timeout", 0.0) or 0.0, 0.0)
    allowed = p.json("allowed_updates")
    api.updates.set_allowed(allowed if isinstance(allowed, list) else None)
    return await api.updates.poll(p.int("offset"), limit, timeout)


@api_method("setWebhook")
async def set_webhook(api: BotApiServer, p: Params) -> bool:
    url = (p.str("url") or "").strip()
    if not url:
        return await delete_webhook(api, p)
    _check_webhook_url(api, url)
    secret = p.str("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.int("max_connections", 40) or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("invalid max_connections specified")
    if p.bool("drop_pending_updates"):
        api.updates.drop_pending()
    allowed = p.json("allowed_updates")
    api.updates.set_allowed(allowed if isinstance(allowed, list) else None)
    api.webhook.set(url, secret, max_connections, p.str("ip_address"))
    api.changed()
    return True


def _check_webhook_url(api: BotApiServer, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: invalid webhook URL specified")
    if not api.config.strict_webhook_url:
        return
    if parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (parts.port or 443) not in _WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


@api_method("deleteWebhook")
async def delete_webhook(api: BotApiServer, p: Params) -> bool:
    if p.bool("drop_pending_updates"):
        api.updates.drop_pending()
    await api.webhook.delete()
    api.changed()
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(api: BotApiServer, p: Params) -> dict[str, Any]:
    return api.webhook.info()
