"""Passages: verbatim slices along paragraphs and sentences, 40–150 words, no lone headings."""

from __future__ import annotations

import itertools
from datetime import date

from bot.models import Article
from bot.search.passages import MAX_WORDS, passage_spans, split_passages

from .search_support import filler, paragraphs


def make(text: str) -> Article:
    return Article(url="https://example.com/x", title="T", text=text, published=date(2023, 1, 1), id=7)


def test_passages_are_verbatim_slices_in_order() -> None:
    text = paragraphs(filler(60, 1), filler(70, 2), filler(20, 3), filler(90, 4))
    art = make(text)
    ps = split_passages(art)
    assert [p.position for p in ps] == list(range(len(ps)))
    assert all(p.article_id == 7 and p.text == text[p.start : p.end] for p in ps)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ps))


def test_every_paragraph_is_covered() -> None:
    parts = [filler(n, i) for i, n in enumerate([5, 80, 12, 200, 3, 45, 8])]
    text = paragraphs(*parts)
    covered = "".join(text[s:e] for s, e in passage_spans(text))
    assert covered.replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_dateline_and_heading_are_merged_with_what_follows() -> None:
    text = paragraphs("WASHINGTON", "What happened next", filler(60, 5), "Analysis", filler(60, 6))
    ps = split_passages(make(text))
    assert ps[0].text.startswith("WASHINGTON\n\nWhat happened next\n\n")
    assert all(p.words >= 40 for p in ps)
    assert not any(p.text in {"WASHINGTON", "What happened next", "Analysis"} for p in ps)


def test_long_paragraph_is_cut_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} tells about the {filler(12, i)[:-1]} today." for i in range(40)]
    text = " ".join(sentences)
    ps = split_passages(make(text))
    assert len(ps) > 1
    assert all(p.words <= MAX_WORDS for p in ps)
    assert all(p.text.endswith("today.") for p in ps)


def test_abbreviations_do_not_end_sentences() -> None:
    long = " ".join(f"Gov. Smith visited St. Louis with Dr. Jones on trip {i}." for i in range(40))
    ps = split_passages(make(long))
    assert all(not p.text.startswith(("Louis", "Smith", "Jones")) for p in ps)


def test_runaway_sentence_is_cut_at_words() -> None:
    text = " ".join(["word"] * 500)
    ps = split_passages(make(text))
    assert all(p.words <= MAX_WORDS for p in ps)
    assert sum(p.words for p in ps) == 500


def test_short_and_empty_articles() -> None:
    assert [p.text for p in split_passages(make("Just one line."))] == ["Just one line."]
    assert split_passages(make("")) == []
    assert split_passages(make("\n\n  \n\n")) == []


def test_short_tail_joins_the_previous_passage() -> None:
    text = paragraphs(filler(80, 1), filler(5, 2))
    ps = split_passages(make(text))
    assert len(ps) == 1 and ps[0].end == len(text)
