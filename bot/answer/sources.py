"""What the corpus covers (article count, date range, sources, last update): what `/sources` and
``python -m bot sources`` report, read through the answer layer's view of the store."""

from __future__ import annotations

from bot.store.articles import CorpusStats

from .protocols import ArticleStore


def corpus_stats(store: ArticleStore) -> CorpusStats:
    """Counts, date range and sources of the live corpus."""
    return store.articles.stats()
