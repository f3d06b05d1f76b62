"""RSS and Atom feeds, parsed with feedparser; entries become articles.

Many feeds carry only a summary per entry. An entry whose own content is shorter than
:data:`FULL_TEXT_MIN_WORDS` words is fetched from its link and extracted like any HTML page, keeping the
feed's title and date (they are cleaner than what a page's metadata gives). An entry that cannot be
fetched is an issue for that entry alone.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

from .clean import sanitize
from .fetch import Fetcher, FetchError
from .html import extract_html
from .records import Known, RawRecord, RecordIssue

FULL_TEXT_MIN_WORDS = 150
"""Below this an entry's content is a teaser, not the article."""

_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)\b", re.IGNORECASE)
FEED_CONTENT_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/x-rss+xml",
}


def looks_like_feed(head: bytes) -> bool:
    """True when the document's root element is an RSS/Atom/RDF feed."""
    return _FEED_ROOT.search(head[:4096]) is not None


def _entry_text(entry: Any) -> str:
    parts = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
    return sanitize("\n".join(parts)) if parts else ""


def _entry_date(entry: Any) -> object:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        if entry.get(key):
            return entry.get(key)
    return entry.get("published") or entry.get("updated")


def never_known(url: str) -> bool:
    """The default ``known`` check: treat every entry as new."""
    return False


def _entry_record(
    entry: Any, where: str, fetcher: Fetcher, known: Callable[[str], bool]
) -> RawRecord | RecordIssue | Known:
    link = (entry.get("link") or "").strip()
    title = sanitize(entry.get("title") or "")
    published = _entry_date(entry)
    authors = tuple(a for a in [(entry.get("author") or "").strip()] if a)
    text = _entry_text(entry)
    if len(text.split()) >= FULL_TEXT_MIN_WORDS:
        return RawRecord(
            where, url=link or where, title=title, text=text, published=published, authors=authors
        )
    if not link.startswith(("http://", "https://")):
        return RecordIssue(where, "entry has neither full text nor a link to fetch it from")
    if known(link):
        return Known(where, link)
    try:
        page = fetcher.get(link)
    except FetchError as exc:
        return RecordIssue(where, f"fetching the entry's article failed: {exc}")
    record = extract_html(page.content, where, link)
    if isinstance(record, RecordIssue):
        return record
    record.title = title or record.title
    record.published = published or record.published
    record.authors = authors or record.authors
    return record


def parse_feed(
    data: bytes, where: str, fetcher: Fetcher, known: Callable[[str], bool] = never_known
) -> list[RawRecord | RecordIssue | Known]:
    """Every entry of a feed document as a record or an issue; one issue if it is not a feed.

    ``known(url)`` tells whether an article is already stored: such summary-only entries are not
    fetched again (see :class:`Known`).
    """
    import feedparser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = feedparser.parse(data)
    if not parsed.get("version") and not parsed.entries:
        return [RecordIssue(where, "not an RSS/Atom feed")]
    items: list[RawRecord | RecordIssue | Known] = []
    for number, entry in enumerate(parsed.entries, start=1):
        entry_where = (entry.get("link") or "").strip() or f"{where}#entry-{number}"
        items.append(_entry_record(entry, entry_where, fetcher, known))
    return items
