"""Parity with rank_bm25.BM25Okapi: same top-10 and scores given the same token lists.

Title handling sits on top of the scorer, so these tests feed both sides identical token lists.
"""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bot.search import bm25
from bot.search.analyzer import default_analyzer
from bot.search.columns import DocInput
from bot.search.index import BM25Index
from bot.search.passages import passage_spans
from tools.sample import SHARED_ARTICLES, SHARED_QUESTIONS, read_articles, read_questions

from .search_support import assert_same_ranking, index_of, reference_top, zipf_corpus, zipf_queries


def check_parity(docs: list[list[str]], queries: list[list[str]], k: int = 10, **kwargs: object) -> int:
    """Compare every query; returns how many queries had at least one match."""
    ref = BM25Okapi(docs)
    index = index_of(docs, **kwargs)
    matched = 0
    for q in queries:
        expected = reference_top(ref, docs, q, k)
        hits = index.search(q, k)
        assert_same_ranking(hits, expected, np.asarray(ref.get_scores(q)))
        matched += bool(hits)
    return matched


def test_fixture_parity_zipf_corpus() -> None:
    docs = zipf_corpus(3000, seed=11)
    assert check_parity(docs, zipf_queries(150, seed=12)) > 100


def test_parity_for_k_1_and_k_50() -> None:
    docs = zipf_corpus(800, seed=3)
    queries = zipf_queries(60, seed=4)
    check_parity(docs, queries, k=1)
    check_parity(docs, queries, k=50)


def test_idf_floor_for_terms_in_more_than_half_the_documents() -> None:
    docs = [["common", "x"], ["common", "y"], ["common", "z"], ["rare", "common"], ["other"]]
    ref = BM25Okapi(docs)
    assert ref.idf["common"] == pytest.approx(ref.epsilon * ref.average_idf)  # the floor is in force
    index = index_of(docs)
    assert index.idf("common") == pytest.approx(ref.idf["common"], rel=1e-12)
    check_parity(docs, [["common"], ["common", "rare"], ["rare"], ["common", "common", "x"]])


def test_one_document_corpus_negative_scores() -> None:
    docs = [["only", "words", "only"]]
    ref = BM25Okapi(docs)
    assert ref.get_scores(["only"])[0] < 0  # N=1: every term is in "more than half" the documents
    check_parity(docs, [["only"], ["words", "only"], ["absent"]])


def test_zero_idf_terms_still_match() -> None:
    """A term in exactly half the documents has idf 0: documents matching only it still come back, with
    score 0, once each (the kernel cannot tell a new document by a zero score here)."""
    docs = [["half", "x"], ["half", "y"], ["x", "z"], ["y", "z"]]
    assert BM25Okapi(docs).idf["half"] == 0.0
    assert check_parity(docs, [["half"], ["half", "x"], ["half", "half"], ["z", "half"]], k=4) == 4
    index = index_of(docs)
    assert sorted(h.key for h in index.search(["half"], 10)) == [1, 2]


def test_empty_documents_count_in_n_and_avgdl() -> None:
    docs = [[], ["a", "b"], [], ["b", "c", "c"], []]
    check_parity(docs, [["a"], ["c"], ["b", "c"]])


def test_idf_functions_match_rank_bm25() -> None:
    docs = zipf_corpus(500, seed=5)
    ref = BM25Okapi(docs)
    terms = sorted(ref.idf)
    df = np.array([sum(t in d for d in docs) for t in terms])
    idf, floor = bm25.floored_idf(df, len(docs))
    assert np.allclose(idf, [ref.idf[t] for t in terms], rtol=1e-12)
    assert floor == pytest.approx(ref.epsilon * ref.average_idf)


def test_parity_survives_many_query_terms() -> None:
    docs = zipf_corpus(400, seed=8)
    long_query = [f"w{i}" for i in range(0, 400, 3)] * 2
    check_parity(docs, [long_query])


# -- the real corpus ---------------------------------------------------------------------------------


def shared_passages(min_passages: int) -> list[list[str]]:
    """Analyzed passages (title prefix, as the index uses) of the first articles of the shared corpus."""
    an = default_analyzer()
    docs: list[list[str]] = []
    for a in read_articles(SHARED_ARTICLES):
        if a.flagged:
            continue
        title = an.analyze(a.title)
        docs.extend(title + an.analyze(a.text[s:e]) for s, e in passage_spans(a.text))
        if len(docs) >= min_passages:
            return docs
    return docs


@pytest.mark.shared
@pytest.mark.skipif(not SHARED_ARTICLES.exists(), reason=f"shared corpus not present at {SHARED_ARTICLES}")
def test_parity_on_the_shared_corpus_sample() -> None:
    """≥ 5,000 real passages and ≥ 100 real questions: same top-10 and scores as rank-bm25."""
    docs = shared_passages(5000)
    assert len(docs) >= 5000
    questions = read_questions(SHARED_QUESTIONS)
    an = default_analyzer()
    queries = [an.analyze(q["question"]) for q in itertools.islice(questions, 0, len(questions), 20)][:140]
    assert len(queries) >= 100
    assert check_parity(docs, queries) >= 100


def test_index_built_in_bulk_equals_index_built_one_by_one() -> None:
    docs = zipf_corpus(300, seed=21)
    bulk = BM25Index()
    with bulk.bulk():
        bulk.add([DocInput(i + 1, 0, date(2023, 1, 1), terms=d) for i, d in enumerate(docs)])
    single = BM25Index(fresh_limit=500)
    for i, d in enumerate(docs):
        single.add([DocInput(i + 1, 0, date(2023, 1, 1), terms=d)])
    for q in zipf_queries(40, seed=22):
        a, b = bulk.search(q, 10), single.search(q, 10)
        assert [h.key for h in a] == [h.key for h in b]
        assert [h.score for h in a] == pytest.approx([h.score for h in b], rel=1e-12)
