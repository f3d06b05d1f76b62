"""Shared helpers for the search tests: synthetic corpora, rank-bm25 comparison, store fixtures."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
from rank_bm25 import BM25Okapi

from bot.models import Article
from bot.search.columns import DocInput
from bot.search.hits import Hit
from bot.search.index import BM25Index

REL_TOL = 1e-5  # the tolerance for scores
TIE_TOL = 1e-9  # scores this close are ties (summation order may differ in the last bits)


def zipf_corpus(n_docs: int, vocab: int = 400, seed: int = 1, max_len: int = 60) -> list[list[str]]:
    """Token lists with a Zipf-like vocabulary: a few words in most documents, a long tail of rare ones."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    weights = [1.0 / (i + 1) for i in range(vocab)]
    docs = []
    for _ in range(n_docs):
        length = rng.randint(0, max_len)
        docs.append(rng.choices(words, weights, k=length))
    return docs


def zipf_queries(n: int, vocab: int = 400, seed: int = 2) -> list[list[str]]:
    """Queries mixing frequent, rare, repeated and unknown words."""
    rng = random.Random(seed)
    queries = []
    for _ in range(n):
        q = [f"w{rng.randint(0, vocab - 1)}" for _ in range(rng.randint(1, 8))]
        if rng.random() < 0.2:
            q.append(q[0])  # repeated word counts twice in rank-bm25
        if rng.random() < 0.1:
            q.append("never-seen")
        queries.append(q)
    return queries


def index_of(docs: Sequence[Sequence[str]], days: Sequence[date] | None = None, **kwargs: object) -> BM25Index:
    """An index over token lists, keys 1..n (document i has key i+1)."""
    index = BM25Index(**kwargs)  # type: ignore[arg-type]
    start = date(2022, 1, 1)
    index.add([
        DocInput(key=i + 1, pos=0, published=days[i] if days else start + timedelta(days=i % 300), source="s",
                 terms=list(d))
        for i, d in enumerate(docs)
    ])  # fmt: skip
    return index


def reference_top(bm25: BM25Okapi, docs: Sequence[Sequence[str]], query: Sequence[str], k: int) -> list[tuple[int, float]]:
    """rank-bm25's top k among documents containing a query word: (document index, score)."""
    scores = bm25.get_scores(list(query))
    qset = set(query)
    matching = [i for i, d in enumerate(docs) if not qset.isdisjoint(d)]
    matching.sort(key=lambda i: -scores[i])
    return [(i, float(scores[i])) for i in matching[:k]]


def assert_same_ranking(hits: Sequence[Hit], expected: Sequence[tuple[int, float]], all_scores: np.ndarray) -> None:
    """Same length, same scores at each rank (1e-5 relative) and the same documents except among ties."""
    assert len(hits) == len(expected), (len(hits), len(expected))
    for h, (_, score) in zip(hits, expected):
        assert abs(h.score - score) <= REL_TOL * max(1.0, abs(score)), (h, score)
        # the hit's own score per rank-bm25 must equal what we report
        assert abs(all_scores[h.key - 1] - h.score) <= REL_TOL * max(1.0, abs(h.score))
    got = [h.key - 1 for h in hits]
    want = [i for i, _ in expected]
    if got != want:  # allowed only among ties: identical score multisets per tie group
        for g, w in zip(got, want):
            if g != w:
                assert abs(all_scores[g] - all_scores[w]) <= TIE_TOL * max(1.0, abs(all_scores[w])), (g, w)


def article(aid: int, text: str, title: str = "", day: date = date(2023, 5, 1), source: str = "example.com",
            url: str | None = None) -> Article:  # fmt: skip
    """An Article for the store (``aid`` only names the URL; the store assigns ids)."""
    return Article(url=url or f"https://{source}/a/{aid}", title=title or f"Title {aid}", text=text, published=day,
                   source=source)  # fmt: skip


def paragraphs(*parts: str) -> str:
    """Join paragraphs as cleaned article text."""
    return "\n\n".join(parts)


def filler(n_words: int, seed: int) -> str:
    """Neutral prose-like words (distinct per seed) to size paragraphs."""
    rng = random.Random(seed)
    pool = ["river", "market", "council", "weather", "school", "train", "garden", "museum", "harbor", "bridge",
            "festival", "library", "orchard", "factory", "airport", "stadium", "village", "valley", "island"]  # fmt: skip
    return " ".join(rng.choice(pool) for _ in range(n_words)) + "."
