"""HTML article pages (a saved file or a fetched URL), extracted with trafilatura.

trafilatura finds the main text and the metadata. When metadata is missing the fallbacks are, for the
title, the page's ``<title>``/``<h1>`` and then the first line of text; for the date, a date in the URL
(/2022/11/29/), then the HTTP Last-Modified or the file's modification time. A page whose main text
cannot be found is an issue, never an empty article.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from .clean import date_from_url, sanitize
from .records import RawRecord, RecordIssue

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # its per-page chatter is not our summary
logging.getLogger("htmldate").setLevel(logging.CRITICAL)

_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"}
"""Metadata and markup only: htmldate's text search turns "approved in 2019" into a publication date."""
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1_TAG = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_MARKERS = re.compile(rb"<!doctype\s+html|<html\b|<head\b|<body\b|<article\b|<p\b|<div\b", re.IGNORECASE)


def looks_like_html(head: bytes) -> bool:
    """True when the first bytes of a document are HTML markup."""
    return _HTML_MARKERS.search(head) is not None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _extract(data: bytes, url: str | None) -> dict:
    """trafilatura's bare extraction as a dict ({} when it finds no main text)."""
    try:
        import trafilatura
    except ImportError as exc:  # a broken install must be an issue per page, not a crash
        raise RuntimeError(f"trafilatura is unavailable ({exc})") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = trafilatura.bare_extraction(
            data,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            deduplicate=False,
            date_extraction_params=_DATE_PARAMS,
        )
    if doc is None:
        return {}
    return doc if isinstance(doc, dict) else doc.as_dict()


def _fallback_title(markup: str, text: str) -> str:
    for pattern in (_H1_TAG, _TITLE_TAG):
        m = pattern.search(markup)
        if m:
            title = " ".join(sanitize(m.group(1)).split())
            if title:
                return title
    first = text.strip().split("\n", 1)[0]
    return first[:120]


def http_date(value: str | None) -> date | None:
    """A date from an HTTP date header (Last-Modified), or None."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC).date()
    except (TypeError, ValueError, IndexError):
        return None


def mtime_date(timestamp: float) -> date:
    """A file's modification time as a UTC date (when a saved page was saved)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).date()


def extract_html(
    data: bytes, where: str, url: str, fallback_date: date | None = None
) -> RawRecord | RecordIssue:
    """One article page as a raw record, or an issue when no main text is found."""
    if not data.strip():
        return RecordIssue(where, "empty page")
    try:
        found = _extract(data, url if url.startswith("http") else None)
    except RuntimeError as exc:
        return RecordIssue(where, str(exc))
    except Exception as exc:  # noqa: BLE001 - a parser crash on one hostile page must not end the ingest
        return RecordIssue(where, f"HTML extraction failed: {type(exc).__name__}")
    text = found.get("text") or ""
    if not text.strip():
        return RecordIssue(where, "no article text found in the HTML page")
    page_url = url if url.startswith("http") else (found.get("url") or url)
    title = found.get("title") or _fallback_title(_decode(data), text)
    published = found.get("date") or date_from_url(page_url) or fallback_date
    authors = tuple(a.strip() for a in (found.get("author") or "").split(";") if a.strip())
    return RawRecord(
        where=where,
        url=page_url,
        title=title,
        text=text,
        published=published,
        authors=authors,
    )
