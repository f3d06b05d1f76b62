"""RSS and Atom feeds, parsed with feedparser; entries become articles.

Many feeds carry only a summary per entry. An entry whose own text (``<content:encoded>``, else
``<description>``/``<summary>``) is shorter than :data:`FULL_TEXT_MIN_WORDS` words is fetched from its
link and extracted like any HTML page, keeping the feed's title and date (they are cleaner than what a
page's metadata gives). When the page cannot be fetched (offline, a paywall's error, a dead site), the
entry's own text is stored, marked as a summary, with a warning: a short true text beats nothing, and
the next poll fetches the page again and replaces it. A host that does not answer at all is not asked
again for the other entries of the same run. An entry with neither text nor a fetchable page is an issue
for that entry alone.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

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
    """The entry's own text: its full content when the feed has one, else its description/summary."""
    parts = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
    text = sanitize("\n".join(parts)) if parts else ""
    summary = sanitize(entry.get("summary") or "")
    return text if len(text.split()) >= len(summary.split()) else summary


def _entry_date(entry: Any) -> object:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        if entry.get(key):
            return entry.get(key)
    return entry.get("published") or entry.get("updated")


def never_known(url: str) -> bool:
    """The default ``known`` check: treat every entry as new."""
    return False


Item = RawRecord | RecordIssue | Known


def _entry_records(
    entry: Any, where: str, fetcher: Fetcher, known: Callable[[str], bool], down: dict[str, str]
) -> list[Item]:
    """The entry as a record (its own full text, or its fetched page, or its summary) and any warning.

    ``known(url)`` is true when the full article is stored already; ``down`` maps hosts that did not
    answer in this run to the reason, so their other entries are not fetched again.
    """
    link = (entry.get("link") or "").strip()
    title = sanitize(entry.get("title") or "")
    published = _entry_date(entry)
    authors = tuple(a for a in [(entry.get("author") or "").strip()] if a)
    text = _entry_text(entry)
    own = RawRecord(where, url=link or where, title=title, text=text, published=published, authors=authors)
    if len(text.split()) >= FULL_TEXT_MIN_WORDS:
        return [own]
    if not link.startswith(("http://", "https://")):
        return [RecordIssue(where, "entry has neither full text nor a link to fetch it from")]
    if known(link):
        return [Known(where, link)]
    host = urlsplit(link).hostname or ""
    try:
        if host in down:
            raise FetchError(f"not tried: {host} did not answer earlier in this run ({down[host]})")
        page = fetcher.get(link)
    except FetchError as exc:
        if exc.unreachable:
            down[host] = str(exc)
        if not text.strip():
            return [RecordIssue(where, f"fetching the entry's article failed: {exc}")]
        own.summary = True
        note = f"stored the feed's summary; fetching the article failed ({exc}); the next poll tries again"
        return [RecordIssue(where, note[:300], fatal=False), own]
    record = extract_html(page.content, where, link)
    if isinstance(record, RecordIssue):
        return [record]
    record.title = title or record.title
    record.published = published or record.published
    record.authors = authors or record.authors
    return [record]


def parse_feed(
    data: bytes, where: str, fetcher: Fetcher, known: Callable[[str], bool] = never_known
) -> list[RawRecord | RecordIssue | Known]:
    """Every entry of a feed document as a record or an issue; one issue if it is not a feed.

    ``known(url)`` tells whether an article is already stored in full: such summary-only entries are
    not fetched again (see :class:`Known`); one stored as a summary is, to replace it with the page.
    """
    import feedparser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = feedparser.parse(data)
    if not parsed.get("version") and not parsed.entries:
        return [RecordIssue(where, "not an RSS/Atom feed")]
    items: list[Item] = []
    down: dict[str, str] = {}
    for number, entry in enumerate(parsed.entries, start=1):
        entry_where = (entry.get("link") or "").strip() or f"{where}#entry-{number}"
        items.extend(_entry_records(entry, entry_where, fetcher, known, down))
    return items
