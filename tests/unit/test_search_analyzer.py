"""The analyzer: normalization, tokenization, stopwords, stemming, spans that point into the original."""

from __future__ import annotations

import pytest

from bot.search.analyzer import Analyzer, default_analyzer, split_chunks


@pytest.fixture(scope="module")
def an() -> Analyzer:
    return Analyzer()


def test_stopwords_case_and_stemming(an: Analyzer) -> None:
    assert an.analyze("The Presidents were RUNNING for the elections") == ["presid", "run", "elect"]


def test_possessives_and_contractions_drop_to_stems(an: Analyzer) -> None:
    assert an.analyze("Biden's plan didn't pass") == ["biden", "plan", "pass"]
    assert an.analyze("Biden\u2019s plan") == ["biden", "plan"]


def test_unicode_normalization(an: Analyzer) -> None:
    assert an.analyze("ﬁnance") == an.analyze("finance")  # NFKC ligature
    assert an.analyze("ＮＡＴＯ") == an.analyze("nato")  # full width
    assert an.analyze("cafe\u0301") == an.analyze("café")  # combining accent
    assert an.analyze("STRASSE") == an.analyze("straße")  # case folding


def test_numbers_hyphens_and_punctuation(an: Analyzer) -> None:
    assert an.analyze("COVID-19 cost $3 trillion (2022).") == ["covid", "19", "cost", "3", "trillion", "2022"]


@pytest.mark.parametrize("text", ["", "   ", "the and of", "😀🎉", "!!! ??? ...", "\u200b\u200b"])
def test_empty_results(an: Analyzer, text: str) -> None:
    assert an.analyze(text) == []
    assert an.analyze_with_spans(text) == []


def test_rtl_and_other_scripts(an: Analyzer) -> None:
    assert an.analyze("مرحبا بالعالم") == ["مرحبا", "بالعالم"]
    assert an.analyze("שלום עולם") == ["שלום", "עולם"]
    assert an.analyze("Путин заявил") != []


TRICKY = [
    "Biden's “Squid Game” covid-19 ﬁnance café cafe\u0301 İstanbul STRASSE straße ΟΔΟΣ x²",
    "snake_case words, e-mail, U.S. officials, 10,000 people\u00a0said 3.5%",
    "RTL: مرحبا بالعالم and emoji 😀 mixed; tab\tand\nnewlines",
    "Ünïcödé ＦＵＬＬ ｗｉｄｔｈ ①②③ and ligatures ﬂ ﬀ",
]


@pytest.mark.parametrize("text", TRICKY)
def test_spans_give_the_same_terms_and_point_at_words(an: Analyzer, text: str) -> None:
    spans = an.analyze_with_spans(text)
    assert [t for t, _, _ in spans] == an.analyze(text)
    for _, start, end in spans:
        word = text[start:end]
        assert word and not word[0].isspace() and not word[-1].isspace()


def test_spans_on_a_highlight_example(an: Analyzer) -> None:
    text = "Apple became the first U.S. company"
    spans = an.analyze_with_spans(text)
    assert ("appl", 0, 5) in spans
    assert [text[s:e] for t, s, e in spans if t == "compani"] == ["company"]


def test_cache_is_consistent_and_shared() -> None:
    a = default_analyzer()
    assert a is default_analyzer()
    first = a.analyze("Markets rallied as investors cheered")
    assert a.analyze("Markets rallied as investors cheered") == first
    assert a.cache_size > 0


def test_split_chunks_never_splits_inside_a_word() -> None:
    assert split_chunks("Hello, world! A-b") == [b"hello", b"world", b"a", b"b"]
    assert split_chunks("") == []


def test_ten_thousand_words_is_fast_enough(an: Analyzer) -> None:
    text = " ".join(f"word{i % 3000} news" for i in range(10_000))
    terms = an.analyze(text)
    assert len(terms) == 20_000


@pytest.mark.parametrize(
    "hidden",
    ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202a", "\u2066", "\u200f", "\ufe0f"],
)
def test_invisible_characters_inside_words_do_not_split_them(an: Analyzer, hidden: str) -> None:
    """Questions and articles alike: "tril\u00adlion" is the word a reader sees, "trillion"."""
    plain = "Apple valued trillion"
    text = f"Ap{hidden}ple valued tril{hidden}lion{hidden}"
    assert an.analyze(text) == an.analyze(plain) == ["appl", "valu", "trillion"]
    spans = an.analyze_with_spans(text)
    assert [t for t, _, _ in spans] == an.analyze(text)
    assert text[spans[0][1] : spans[0][2]] == f"Ap{hidden}ple"
    assert an.analyze(f"{hidden}NATO {hidden}{hidden} summit") == ["nato", "summit"]
