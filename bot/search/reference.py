"""The reference backend: ``rank_bm25.BM25Okapi`` over the same article documents and analyzer as the index.

It defines what a correct score is; the parity tests and the benchmark compare the index against it, and
``NEWSBOT_SEARCH_BACKEND=rank-bm25`` serves from it. Rebuilt on every change and scanning every document
per query, it is far too slow for production beyond small corpora.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from bot.models import Article

from .analyzer import Analyzer, default_analyzer
from .documents import indexable
from .hits import ScoredArticle, SearchFilters, day_number

if TYPE_CHECKING:
    from rank_bm25 import BM25Okapi

    from bot.store import Store


class RankBM25Retriever:
    """``rank_bm25.BM25Okapi`` over title + body of every article: the definition of a correct score.

    Rebuilt from the store on every change; the date and source filters are applied to the full score
    vector before ranking. Only articles containing a query term are returned, like the index.
    """

    def __init__(self, store: Store | None, analyzer: Analyzer | None = None) -> None:
        self.store = store
        self.analyzer = analyzer or default_analyzer()
        self.seq = -1
        self._articles: dict[int, Article] = {}
        self._ids: list[int] = []
        self._tokens: list[list[str]] = []
        self._bm25: BM25Okapi | None = None

    def add_articles(self, articles: Iterable[Article]) -> None:
        """Index articles directly (no store); replaces articles with the same id."""
        for a in articles:
            if a.id is not None:
                self._articles.pop(int(a.id), None)
                if indexable(a):
                    self._articles[int(a.id)] = a
        self._build()

    def refresh(self) -> int:
        """Rebuild when the store changed."""
        if self.store is None or self.store.articles.max_seq() == self.seq:
            return 0
        changed = 0
        for a in self.store.articles.changes_since(max(self.seq, 0)):
            changed += 1
            self._articles.pop(int(a.id or 0), None)
            if indexable(a):
                self._articles[int(a.id or 0)] = a
        self.seq = self.store.articles.max_seq()
        self._build()
        return changed

    def _build(self) -> None:
        from rank_bm25 import BM25Okapi

        self._ids = sorted(self._articles)
        self._tokens = [self.analyzer.analyze(self._articles[i].title) + self.analyzer.analyze(self._articles[i].text)
                        for i in self._ids]  # fmt: skip
        self._bm25 = BM25Okapi(self._tokens) if self._tokens else None

    def _mask(self, filters: SearchFilters | None) -> np.ndarray:
        ok = np.ones(len(self._ids), dtype=bool)
        if filters is None:
            return ok
        for i, aid in enumerate(self._ids):
            a = self._articles[aid]
            if filters.date_from is not None and a.published < filters.date_from:
                ok[i] = False
            if filters.date_to is not None and a.published > filters.date_to:
                ok[i] = False
            if filters.sources is not None and a.source not in filters.sources:
                ok[i] = False
        return ok

    def search_articles(
        self, query: str, k: int = 10, filters: SearchFilters | None = None, *,
        terms: Sequence[str] | None = None,
    ) -> list[ScoredArticle]:
        """Top-k articles by rank-bm25 over title + body (ties: newer first, then the higher id)."""
        self.refresh()
        terms = list(terms) if terms is not None else self.analyzer.analyze(query)
        if self._bm25 is None or not terms or k <= 0:
            return []
        scores = np.asarray(self._bm25.get_scores(terms), dtype=np.float64)
        qset = set(terms)
        matches = np.fromiter((not qset.isdisjoint(d) for d in self._tokens), dtype=bool, count=len(self._tokens))
        ok = np.flatnonzero(matches & self._mask(filters))
        days = np.array([day_number(self._articles[self._ids[i]].published) for i in ok], dtype=np.int64)
        keys = np.array([self._ids[i] for i in ok], dtype=np.int64)
        out = []
        for i in np.lexsort((ok, -keys, -days, -scores[ok]))[:k]:
            a = self._articles[self._ids[ok[i]]]
            out.append(ScoredArticle(int(a.id or 0), float(scores[ok[i]]), a.published, a.source, a.title))
        return out

    def idf(self, term: str) -> float:
        """1.0 for every term: this reference backend gives the answer layer flat question-word weights."""
        return 1.0
