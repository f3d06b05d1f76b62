"""The reference backend: ``rank_bm25.BM25Okapi`` over the same documents and analyzer as the index.

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
from .documents import DEFAULT_TITLE_MODE, indexable
from .hits import ScoredArticle, ScoredPassage, SearchFilters, day_number
from .passages import passage_spans

if TYPE_CHECKING:
    from bot.store import Store


class RankBM25Retriever:
    """``rank_bm25.BM25Okapi`` over the same passages and analyzer: the definition of a correct score.

    Rebuilt from the store on every change; the date and source filters are applied to the full score
    vector before ranking. Only passages containing a query term are returned, like the index.
    """

    def __init__(self, store: Store | None, analyzer: Analyzer | None = None,
                 title_mode: str = DEFAULT_TITLE_MODE) -> None:  # fmt: skip
        self.store = store
        self.analyzer = analyzer or default_analyzer()
        self.title_mode = title_mode
        self.seq = -1
        self._articles: dict[int, Article] = {}
        self._rows: list[tuple[int, int, int, int]] = []  # (article id, position, start, end)
        self._tokens: list[list[str]] = []
        self._bm25 = None
        self._art_bm25 = None
        self._art_ids: list[int] = []

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

        self._rows, self._tokens = [], []
        art_tokens: list[list[str]] = []
        self._art_ids = []
        for aid in sorted(self._articles):
            a = self._articles[aid]
            title = self.analyzer.analyze(a.title)
            body: list[str] = []
            for pos, (s, e) in enumerate(passage_spans(a.text)):
                toks = self.analyzer.analyze(a.text[s:e])
                body.extend(toks)
                self._rows.append((aid, pos, s, e))
                self._tokens.append(title + toks if self.title_mode == "prefix" else toks)
            self._art_ids.append(aid)
            art_tokens.append(title + body)
        self._bm25 = BM25Okapi(self._tokens) if self._tokens else None
        self._art_bm25 = BM25Okapi(art_tokens) if art_tokens else None

    def _mask(self, ids: Sequence[int], filters: SearchFilters | None) -> np.ndarray:
        ok = np.ones(len(ids), dtype=bool)
        if filters is None:
            return ok
        for i, aid in enumerate(ids):
            a = self._articles[aid]
            if filters.date_from is not None and a.published < filters.date_from:
                ok[i] = False
            if filters.date_to is not None and a.published > filters.date_to:
                ok[i] = False
            if filters.sources is not None and a.source not in filters.sources:
                ok[i] = False
        return ok

    def _rank(self, bm25: object, docs: list[list[str]], ids: list[int], query: list[str], k: int,
              filters: SearchFilters | None) -> list[tuple[int, float]]:  # fmt: skip
        if bm25 is None or not query or k <= 0:
            return []
        scores = np.asarray(bm25.get_scores(query), dtype=np.float64)  # type: ignore[attr-defined]
        qset = set(query)
        matches = np.fromiter((not qset.isdisjoint(d) for d in docs), dtype=bool, count=len(docs))
        ok = np.flatnonzero(matches & self._mask(ids, filters))
        days = np.array([day_number(self._articles[ids[i]].published) for i in ok], dtype=np.int64)
        keys = np.array([ids[i] for i in ok], dtype=np.int64)
        order = np.lexsort((ok, -keys, -days, -scores[ok]))[:k]
        return [(int(ok[i]), float(scores[ok[i]])) for i in order]

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredPassage]:
        """Top-k passages by rank-bm25 (see :class:`Retriever`)."""
        self.refresh()
        ids = [r[0] for r in self._rows]
        ranked = self._rank(self._bm25, self._tokens, ids, self.analyzer.analyze(query), k, filters)
        return [self._passage(i, s) for i, s in ranked]

    def _passage(self, row: int, score: float) -> ScoredPassage:
        aid, pos, s, e = self._rows[row]
        a = self._articles[aid]
        return ScoredPassage(aid, pos, score, a.text[s:e], s, e, a.published, a.source, a.title)

    def search_articles(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredArticle]:
        """Top-k articles by rank-bm25 over title + body."""
        self.refresh()
        docs = [self.analyzer.analyze(self._articles[i].title) + self.analyzer.analyze(self._articles[i].text)
                for i in self._art_ids]  # fmt: skip
        ranked = self._rank(self._art_bm25, docs, self._art_ids, self.analyzer.analyze(query), k, filters)
        out = []
        for i, s in ranked:
            a = self._articles[self._art_ids[i]]
            out.append(ScoredArticle(int(a.id or 0), s, a.published, a.source, a.title))
        return out

    def score_passages(self, query: str, article_ids: Iterable[int]) -> list[ScoredPassage]:
        """Scores of every passage of these articles."""
        self.refresh()
        if self._bm25 is None:
            return []
        wanted = set(article_ids)
        rows = [i for i, r in enumerate(self._rows) if r[0] in wanted]
        scores = self._bm25.get_batch_scores(self.analyzer.analyze(query), rows) if rows else []
        return [self._passage(i, float(s)) for i, s in zip(rows, scores)]
