"""Retrievers over a real store: sync through the change feed, persistence, rebuild, reference parity."""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.config import Settings
from bot.search.hits import SearchFilters
from bot.search.retriever import IndexRetriever, RankBM25Retriever, Retriever, make_retriever
from bot.store import Store

from .search_support import article, filler, paragraphs

STORIES = [
    ("NATO vows support for Ukraine", paragraphs(
        "BUCHAREST",
        "NATO foreign ministers met in Bucharest on Tuesday to discuss more aid for Ukraine over the winter, "
        "as Russian strikes on power plants left millions without heating. " + filler(30, 1),
        "Jens Stoltenberg said the alliance would not back down. " + filler(50, 2)), date(2022, 11, 29), "dw.com"),
    ("Apple hits $3 trillion", paragraphs(
        "Apple became the first U.S. company to be valued at $3 trillion on Monday, as investors bet on "
        "new products. " + filler(40, 3),
        "Shares rose 2.5% in early trading. " + filler(45, 4)), date(2022, 1, 3), "cnn.com"),
    ("Crystal Pepsi returns", paragraphs(
        "Crystal Pepsi, the clear soda of the 1990s, is making a comeback this summer, the company said. "
        + filler(40, 5)), date(2022, 1, 5), "usatoday.com"),
    ("Storm strands drivers on I-95", paragraphs(
        "A winter storm stranded drivers overnight on Interstate 95 in Virginia, some for 24 hours. "
        + filler(50, 6), "Officials defended the response. " + filler(40, 7)), date(2022, 1, 4), "usatoday.com"),
]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "data" / "newsbot.sqlite3")
    for i, (title, text, day, source) in enumerate(STORIES):
        s.articles.upsert(article(i, text, title=title, day=day, source=source))
    yield s
    s.close()


def open_retriever(store: Store, tmp_path: Path) -> IndexRetriever:
    r = IndexRetriever(store, tmp_path / "data" / "index")
    r.open()
    return r


def found(r: Retriever, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[int]:
    return [h.article_id for h in r.search_articles(query, k, filters)]


def test_search_returns_articles_with_titles(store: Store, tmp_path: Path) -> None:
    r = open_retriever(store, tmp_path)
    assert isinstance(r, Retriever)
    hits = r.search_articles("Which company was valued at three trillion dollars?", k=3)
    assert hits and hits[0].title == "Apple hits $3 trillion"
    assert hits[0].published == date(2022, 1, 3) and hits[0].source == "cnn.com"
    arts = r.search_articles("NATO Ukraine", k=2)
    assert arts[0].title == "NATO vows support for Ukraine"
    assert r.articles.idf("nato") > 0


def test_date_and_source_filters(store: Store, tmp_path: Path) -> None:
    r = open_retriever(store, tmp_path)
    assert r.search_articles("NATO Ukraine", 5, SearchFilters(date_to=date(2022, 11, 28))) == []
    assert r.search_articles("NATO Ukraine", 5, SearchFilters(date_to=date(2022, 11, 29)))
    hits = r.search_articles("company soda storm", 10, SearchFilters(sources={"usatoday.com"}))
    assert hits and {h.source for h in hits} == {"usatoday.com"}


def test_refresh_adds_updates_deletes_and_flags(store: Store, tmp_path: Path) -> None:
    r = open_retriever(store, tmp_path)
    assert r.refresh() == 0  # nothing changed: a cheap no-op
    new = store.articles.upsert(article(50, "Zebras escaped from a zoo in Ohio on Friday. " + filler(45, 8),
                                        title="Zebra escape", day=date(2023, 2, 2)))  # fmt: skip
    assert r.refresh() == 1
    assert found(r, "zebras zoo") == [new.article_id]
    # an update replaces the old text
    store.articles.upsert(article(50, "Penguins escaped from a zoo in Ohio on Friday. " + filler(45, 9),
                                  title="Penguin escape", day=date(2023, 2, 2)))  # fmt: skip
    r.refresh()
    assert found(r, "zebras") == []
    assert found(r, "penguins") == [new.article_id]
    assert r.search_articles("penguins")[0].title == "Penguin escape"
    # flagged pages are never indexed, deleted ones stop matching
    store.articles.upsert(article(51, "Giraffes everywhere. " + filler(40, 10), day=date(2023, 2, 3)).__class__(
        url="https://example.com/a/51", title="Giraffes", text="Giraffes everywhere. " + filler(40, 10),
        published=date(2023, 2, 3), flagged="consent form"))  # fmt: skip
    r.refresh()
    assert found(r, "giraffes") == []
    store.articles.delete(new.article_id)
    r.refresh()
    assert found(r, "penguins") == []


def test_reopen_loads_saved_index_without_rebuilding(store: Store, tmp_path: Path, monkeypatch) -> None:
    r = open_retriever(store, tmp_path)
    before = [(h.article_id, h.score) for h in r.search_articles("winter storm Ukraine", 10)]
    r.close()

    def no_rebuild(self: IndexRetriever) -> None:
        raise AssertionError("should have loaded the saved index")

    monkeypatch.setattr(IndexRetriever, "rebuild", no_rebuild)
    again = open_retriever(store, tmp_path)
    assert [(h.article_id, h.score) for h in again.search_articles("winter storm Ukraine", 10)] == before


def test_an_older_index_with_a_passage_index_loads_and_frees_its_space(store: Store, tmp_path: Path,
                                                                        monkeypatch) -> None:  # fmt: skip
    """An index directory saved by the version that also kept passages: its article index is used as it
    is (no rebuild), and the passage index it no longer reads is removed at the next save."""
    r = open_retriever(store, tmp_path)
    before = [(h.article_id, h.score) for h in r.search_articles("winter storm Ukraine", 10)]
    r.close()
    index_dir = tmp_path / "data" / "index"
    shutil.copytree(index_dir / "articles", index_dir / "passages")  # stands in for the old passage index
    monkeypatch.setattr(IndexRetriever, "rebuild", lambda self: pytest.fail("should have loaded the saved index"))
    again = open_retriever(store, tmp_path)
    assert [(h.article_id, h.score) for h in again.search_articles("winter storm Ukraine", 10)] == before
    assert not (index_dir / "passages").exists()


def test_changes_while_closed_are_caught_up(store: Store, tmp_path: Path) -> None:
    open_retriever(store, tmp_path).close()
    store.articles.upsert(article(60, "Llamas paraded through town. " + filler(45, 11), day=date(2023, 3, 3)))
    again = open_retriever(store, tmp_path)
    assert found(again, "llamas")


def test_corrupt_index_is_rebuilt_from_the_store(store: Store, tmp_path: Path, caplog) -> None:
    r = open_retriever(store, tmp_path)
    before = [(h.article_id, h.score) for h in r.search_articles("Apple trillion", 5)]
    r.close()
    root = tmp_path / "data" / "index" / "articles"
    victim = max(root.glob("seg-*.docs.npy"), key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[:-8])
    with caplog.at_level(logging.WARNING):
        again = open_retriever(store, tmp_path)
    assert "rebuilding" in caplog.text
    assert [(h.article_id, h.score) for h in again.search_articles("Apple trillion", 5)] == before


@pytest.mark.parametrize("replaced", ["index/articles", "index", "index/passages"])
def test_an_index_directory_replaced_by_a_file_is_rebuilt(store: Store, tmp_path: Path, replaced: str) -> None:
    """``rm -r data/index/articles; touch data/index/articles``: rebuilt and saved, not a traceback (and a
    file where an older version kept its passage index is just removed)."""
    r = open_retriever(store, tmp_path)
    before = [(h.article_id, h.score) for h in r.search_articles("Apple trillion", 5)]
    r.close()
    path = tmp_path / "data" / replaced
    if path.is_dir():
        shutil.rmtree(path)
    path.touch()
    again = open_retriever(store, tmp_path)
    assert [(h.article_id, h.score) for h in again.search_articles("Apple trillion", 5)] == before
    assert (tmp_path / "data" / "index" / "articles" / "CURRENT").is_file()  # saved again
    assert not (tmp_path / "data" / "index" / "passages").exists()


def test_reference_backend_agrees_with_the_index(store: Store, tmp_path: Path) -> None:
    for i in range(12):
        store.articles.upsert(article(100 + i, paragraphs(filler(50, 100 + i), "Ukraine winter aid " + filler(45, i)),
                                      day=date(2022, 2, 1 + i)))  # fmt: skip
    r = open_retriever(store, tmp_path)
    ref = RankBM25Retriever(store)
    for q in ["Ukraine winter aid", "company valued trillion", "storm drivers Virginia", "garden museum river"]:
        for f in (None, SearchFilters(date_to=date(2022, 2, 6)), SearchFilters(sources={"usatoday.com"})):
            a = [(h.article_id, round(h.score, 9), h.title) for h in r.search_articles(q, 10, f)]
            b = [(h.article_id, round(h.score, 9), h.title) for h in ref.search_articles(q, 10, f)]
            assert a == b


def test_make_retriever_follows_the_setting(tmp_path: Path, store: Store) -> None:
    index = make_retriever(Settings(data_dir=tmp_path / "data", search_backend="index"), store)
    assert isinstance(index, IndexRetriever) and (tmp_path / "data" / "index" / "articles" / "CURRENT").exists()
    ref = make_retriever(Settings(data_dir=tmp_path / "data", search_backend="rank-bm25"), store)
    assert isinstance(ref, RankBM25Retriever)
    assert found(ref, "Crystal Pepsi") == found(index, "Crystal Pepsi")


def test_a_big_backlog_is_applied_in_bulk(store: Store, tmp_path: Path, monkeypatch) -> None:
    import bot.search.retriever as rt

    r = open_retriever(store, tmp_path)
    monkeypatch.setattr(rt, "BULK_REFRESH", 2)
    ids = [store.articles.upsert(article(300 + i, f"Otters number {i} swam upstream. " + filler(45, 300 + i),
                                         day=date(2023, 4, 1 + i))).article_id for i in range(5)]  # fmt: skip
    store.articles.delete(ids[0])
    assert r.refresh() == 5  # five articles changed (one of them then deleted)
    assert sorted(found(r, "otters upstream")) == sorted(ids[1:])
    ref = RankBM25Retriever(store)
    got = [(h.article_id, round(h.score, 9)) for h in r.search_articles("otters winter Apple", 10)]
    assert got == [(h.article_id, round(h.score, 9)) for h in ref.search_articles("otters winter Apple", 10)]
