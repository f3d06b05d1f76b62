"""What a search takes and gives back: filters, the index's raw hits, the retrievers' article hits.

Plain values with no behaviour, so the answer code can import them without loading the index machinery.
Dates travel as ``datetime.date``; the index stores them as int32 days since 1970-01-01
(:func:`day_number`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

_EPOCH = date(1970, 1, 1).toordinal()


def day_number(d: date) -> int:
    """Days since 1970-01-01 (the index stores dates as int32 days)."""
    return d.toordinal() - _EPOCH


def day_to_date(day: int) -> date:
    """Inverse of :func:`day_number`."""
    return date.fromordinal(int(day) + _EPOCH)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions applied inside the index before top-k (so k results come back when k exist).

    ``date_to`` is inclusive: it is the *as of* day of a question ("published on or before").
    """

    date_from: date | None = None
    date_to: date | None = None
    sources: frozenset[str] | set[str] | None = None


@dataclass(slots=True)
class Hit:
    """One scored document of a :class:`~bot.search.index.BM25Index`: ``key`` is the article id, ``pos``
    the passage number (0 for articles), ``start``/``end`` its character offsets in the article."""

    key: int
    pos: int
    score: float
    published: date
    source: str
    slot: int
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class ScoredArticle:
    """An article hit (title + body scored as one document)."""

    article_id: int
    score: float
    published: date
    source: str
    title: str
