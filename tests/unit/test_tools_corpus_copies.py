"""The scaling bench's corpus generator: copies are new articles to the store and the same words to the index."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.search.hits import SearchFilters
from bot.search.retriever import IndexRetriever
from bot.store import Store
from tools.corpus_copies import copies, copy_of

from .search_support import article, filler, paragraphs

ORIGINALS = [
    article(0, paragraphs("NATO foreign ministers met in Bucharest to discuss aid for Ukraine. " + filler(30, 1)),
            title="NATO in Bucharest", day=date(2022, 11, 29), source="dw.com"),
    article(1, paragraphs("Crystal Pepsi, the clear soda, is back this summer. " + filler(40, 2)),
            title="Crystal Pepsi returns", day=date(2022, 1, 5), source="usatoday.com"),
    article(2, paragraphs("A storm stranded drivers on Interstate 95 overnight. " + filler(35, 3)),
            title="Storm on I-95", day=date(2022, 1, 4), source="usatoday.com"),
]  # fmt: skip


def test_three_times_the_corpus_is_stored_and_searched_as_three_times_each_article(store: Store) -> None:
    store.articles.upsert_many(ORIGINALS)
    originals = list(store.articles.changes_since(0))
    outcomes = store.articles.upsert_many(list(copies(originals, 3)))
    assert [r.outcome.value for r in outcomes] == ["added"] * 6  # none taken for a duplicate of its original
    assert store.articles.count() == 9
    stored = list(store.articles.changes_since(0))
    assert len({a.uid for a in stored}) == 9 and len({a.url for a in stored}) == 9
    for original in originals:
        family = [a for a in stored if a.title == original.title]
        assert sorted(a.published for a in family) == [
            original.published - timedelta(days=n) for n in (2, 1, 0)
        ]

    retriever = IndexRetriever(store, None)
    retriever.open()
    hits = retriever.search_articles("Bucharest ministers Ukraine", 10)
    assert [h.title for h in hits] == ["NATO in Bucharest"] * 3
    assert len({round(h.score, 9) for h in hits}) == 1  # the same words: the same score
    # a date filter sees the copies dated before it, as the bench's questions do
    dated = retriever.search_articles("Bucharest", 10, SearchFilters(date_to=date(2022, 11, 28)))
    assert [h.published for h in dated] == [date(2022, 11, 28), date(2022, 11, 27)]


def test_a_copy_keeps_the_words_and_the_original_stays_untouched() -> None:
    original = ORIGINALS[0]
    copy = copy_of(original, 4)
    assert copy.title == original.title and copy.source == original.source
    assert copy.text.startswith(original.text.rstrip()) and copy.text.endswith(" ****")
    assert copy.url.endswith("/copy-4") and copy.uid != original.uid and copy.id is None
    assert original.published == date(2022, 11, 29) and "*" not in original.text
    assert list(copies(ORIGINALS, 1)) == []
    with pytest.raises(ValueError):
        copy_of(original, 0)
