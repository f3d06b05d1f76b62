"""URL checks for ``<a href>`` and inline-button URLs, after tdlib's ``LinkManager::check_link``.

Telegram silently drops a text link whose URL it can't accept, and normalises the rest (lower-case
scheme and host, ``http://`` added to a bare host, ``/`` as the empty path); tests comparing a
``text_link`` url must see the normalised form a user's client gets.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SCHEMES = ("http", "https", "ftp", "tg", "ton", "tonsite")
_HOST = re.compile(
    r"^(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?\.)*"
    r"[a-z0-9\u00a1-\uffff-]{1,63}$|^\d{1,3}(?:\.\d{1,3}){3}$|^localhost$"
)
_USER_LINK = re.compile(r"^tg://user\?id=(\d{1,19})$", re.IGNORECASE)


def link_user_id(href: str) -> int | None:
    """The user id of a ``tg://user?id=N`` link (a text_mention), else None."""
    match = _USER_LINK.match(href.strip())
    return int(match.group(1)) if match else None


def check_link(href: str) -> str | None:
    """Normalised URL Telegram would keep, or None if it would drop the link."""
    href = href.strip()
    if not href or any(ch in href for ch in " \n\t"):
        return None
    if "://" not in href:
        if ":" in href.split("/", 1)[0] and not re.match(r"^[^:/]+:\d+", href):
            return None  # e.g. javascript:alert(1), mailto: — not a link Telegram accepts
        href = "http://" + href
    parts = urlsplit(href)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        return None
    if scheme in ("tg", "ton", "tonsite"):
        return href if parts.netloc else None
    host = (parts.hostname or "").lower()
    if not host or not _HOST.match(host) or ("." not in host and host != "localhost"):
        return None
    port = f":{parts.port}" if parts.port else ""
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{scheme}://{host}{port}{path}{query}{fragment}"
