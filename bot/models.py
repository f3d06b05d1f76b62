"""The domain objects every layer shares: an article and how it is identified."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit, urlunsplit


@dataclass(slots=True)
class Article:
    """A cleaned news article.

    ``text`` is the cleaned body with paragraphs separated by blank lines; ``flagged`` names why a page
    has no real body (such pages are stored but never indexed). ``summary``: the text is a feed's own
    summary of the article, kept because its page could not be fetched; a later poll replaces it. ``id`` is the store's compact integer key
    (what the search index refers to) and ``seq`` the store's change counter when it was last written.
    """

    url: str
    title: str
    text: str
    published: date
    source: str = ""
    authors: tuple[str, ...] = ()
    credit: str = ""
    flagged: str | None = None
    summary: bool = False
    id: int | None = None
    seq: int = 0
    deleted: bool = False
    removed_lines: int = field(default=0, compare=False)

    @property
    def uid(self) -> str:
        """Stable identity: the first 16 hex digits of SHA-1 of the normalized URL (as the shared corpus)."""
        return article_uid(self.url)

    @property
    def paragraphs(self) -> list[str]:
        """Body paragraphs, in order."""
        return [p for p in self.text.split("\n\n") if p.strip()]


def normalize_url(url: str) -> str:
    """Scheme https, host lower-cased without ``www.``, no query/fragment, no trailing ``/`` or ``/index.html``."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path
    path = path.removesuffix("/index.html")
    path = path.rstrip("/")
    if not host:  # a local file path or an opaque identifier: keep it, minus whitespace
        return url.strip()
    return urlunsplit(("https", host, path, "", ""))


def article_uid(url: str) -> str:
    """First 16 hex digits of SHA-1 of the normalized URL."""
    return hashlib.sha1(normalize_url(url).encode("utf-8")).hexdigest()[:16]


def source_of(url: str) -> str:
    """The host of a URL without a leading ``www.`` (empty for non-URLs)."""
    host = (urlsplit(url.strip()).hostname or "").lower()
    return host.removeprefix("www.")


def body_fingerprint(text: str) -> str:
    """Hash of the normalized body: the same story under two URLs has the same fingerprint."""
    norm = " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()
