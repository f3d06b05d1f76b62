"""Articles into index documents: batch encoding equals one by one, worker processes equal this one."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from bot.search.analyzer import default_analyzer
from bot.search.documents import encode_article, encode_articles
from bot.search.retriever import IndexRetriever
from bot.search.vocabulary import Vocabulary
from bot.store import Store

from .search_support import article, filler, paragraphs


def test_encode_articles_equals_one_by_one() -> None:
    """Batch encoding gives each article the same arrays and the vocabulary the same ids in the same order."""
    pairs = [("Title one", paragraphs(filler(90, 1), filler(200, 2))), ("", filler(30, 3)), ("Only a title", ""),
             ("Ünïcode ﬁ title", paragraphs("Straße x²y café naïve", filler(50, 4))), ("", "")]  # fmt: skip
    one, many = Vocabulary(default_analyzer()), Vocabulary(default_analyzer())
    expected = [encode_article(one, t, x) for t, x in pairs]
    got = encode_articles(many, pairs)
    assert one.terms == many.terms
    for e, g in zip(expected, got, strict=True):
        for name in ("title", "body"):
            assert np.array_equal(getattr(e, name), getattr(g, name)), name


def test_an_article_document_is_its_analyzed_title_then_body() -> None:
    """What the reference backend gives rank-bm25 for an article: analyze(title) + analyze(text)."""
    vocab = Vocabulary(default_analyzer())
    title, text = "Ünïcode ﬁ title", paragraphs("Straße x²y café naïve", filler(50, 4), "The end.")
    enc = encode_article(vocab, title, text)
    analyze = default_analyzer().analyze
    assert [vocab.terms[i] for i in np.concatenate([enc.title, enc.body])] == analyze(title) + analyze(text)


def test_worker_processes_and_in_process_builds_are_identical(tmp_path: Path, monkeypatch) -> None:
    """Whether the bulk build forks tokenizer workers (idle CPUs) or not, terms get the same ids in the
    same order and the index answers the same."""
    import bot.search.documents as docs

    s = Store(tmp_path / "many.sqlite3")
    for i in range(1200):  # past one 500-article batch per worker
        s.articles.upsert(article(i, paragraphs(filler(60, 2 * i), f"Item{i} café naïve. " + filler(50, 2 * i + 1)),
                                  title=f"Report {i} x{i % 7}", day=date(2022, 1, 1) + timedelta(days=i % 300)))  # fmt: skip
    built, here = [], []
    real = docs.encode_articles
    monkeypatch.setattr(docs, "encode_articles", lambda *a: here.append(1) or real(*a))  # counts in this process
    for idle in (4.0, 0.0):
        monkeypatch.setattr(docs, "idle_cpus", lambda idle=idle: idle)
        r = IndexRetriever(s, None)
        r.apply(s.articles.changes_since(0), bulk=True)
        built.append(r)
        here.append(idle)
    assert here[0] == 4.0 and here[-1] == 0.0 and len(here) > 2  # forked: nothing encoded here; then here
    forked, local = built
    assert forked.articles.vocab.terms == local.articles.vocab.terms
    for q in ("item17 café report", "x3 naive", "report 1150"):
        assert [(h.article_id, h.score) for h in forked.search_articles(q, 10)] == [
            (h.article_id, h.score) for h in local.search_articles(q, 10)]
    s.close()
