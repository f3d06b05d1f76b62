"""What the answer layer needs of the search backend and of the store, as typed protocols.

:class:`bot.answer.pipeline.Answerer` is built on these, not on the concrete classes, so the boundary is
written down in one place: the search side offers article hits for a question already analysed (the
pipeline analyses each question once) and the IDF of a term; the store side offers reads of live
articles. ``bot.search.retriever``'s backends and ``bot.store.Store`` satisfy them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from bot.models import Article
from bot.search.hits import ScoredArticle, SearchFilters
from bot.store.articles import CorpusStats


class ArticleSearch(Protocol):
    """The search backend, as the answer layer uses it."""

    def search_articles(
        self, query: str, k: int = 10, filters: SearchFilters | None = None, *,
        terms: Sequence[str] | None = None,
    ) -> list[ScoredArticle]:
        """Top-k articles for ``query`` (or for its ``terms``, when the caller analysed it already)."""
        ...

    def idf(self, term: str) -> float:
        """How rare ``term`` is among the articles (what a question word weighs)."""
        ...


class ArticleReader(Protocol):
    """Reads of stored articles (``Store.articles``)."""

    def get_many(self, ids: Iterable[int]) -> dict[int, Article]:
        """Articles by id (missing ids are left out)."""
        ...

    def latest(self, limit: int = 5, offset: int = 0, before: date | None = None) -> list[Article]:
        """Newest live articles first."""
        ...

    def published_between(self, start: date, end: date, limit: int = 500) -> list[Article]:
        """Live articles published from ``start`` to ``end``, newest first."""
        ...

    def nearest_days(self, start: date, end: date, until: date) -> tuple[date | None, date | None]:
        """The closest days with live articles before ``start`` and after ``end`` (not after ``until``)."""
        ...

    def stats(self) -> CorpusStats:
        """Counts and date range of the live corpus."""
        ...


class ArticleStore(Protocol):
    """The store, as the answer layer uses it: its articles, read only."""

    @property
    def articles(self) -> ArticleReader:
        """The article table's reads."""
        ...
