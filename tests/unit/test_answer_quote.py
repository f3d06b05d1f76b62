"""Quote selection: verbatim sentences carrying the question's terms, ellipses where cut, highlights."""

from __future__ import annotations

from bot.answer.quote import ELLIPSIS, lead_sentences, select_quote, split_sentences
from bot.search.analyzer import default_analyzer

PASSAGE = (
    "The weather was mild on Tuesday. Foreign ministers of NATO met in Bucharest to discuss aid for "
    "Ukraine. Jens Stoltenberg said the alliance would not back down. Tickets for the concert sold out. "
    "The mayor opened a new bridge. Traffic was light."
)


def weights(question: str) -> dict[str, float]:
    return {t: 1.0 for t in default_analyzer().analyze(question)}


def test_split_sentences_respects_abbreviations() -> None:
    text = 'The U.S. Sen. John Smith said Mr. Biden will go. J. Smith left at 5 p.m. on Monday. It was "great." Then!'
    got = [text[s:e] for s, e in split_sentences(text)]
    assert got == [
        "The U.S. Sen. John Smith said Mr. Biden will go.",
        "J. Smith left at 5 p.m. on Monday.",
        'It was "great."',
        "Then!",
    ]


def test_quote_is_verbatim_with_ellipses_and_highlights() -> None:
    sel = select_quote(PASSAGE, weights("Why did NATO ministers meet in Bucharest?"))
    text = sel.quote.text
    assert text.startswith(ELLIPSIS + " Foreign ministers of NATO met in Bucharest")
    assert text.endswith(ELLIPSIS)
    assert text.strip(ELLIPSIS + " ") in PASSAGE  # the article's own words
    marked = {text[s:e] for s, e in sel.quote.highlights}
    assert {"NATO", "Bucharest", "ministers", "met"} <= marked | {"met"}
    assert "ministers" in marked and "Bucharest" in marked
    assert text.count(".") <= 4  # at most three sentences


def test_quote_at_start_has_no_leading_ellipsis() -> None:
    sel = select_quote(PASSAGE, weights("weather on Tuesday"))
    assert sel.quote.text.startswith("The weather was mild")


def test_long_run_on_sentence_is_trimmed_around_matches() -> None:
    text = " ".join(["filler"] * 300) + " the Bucharest summit " + " ".join(["filler"] * 300)
    sel = select_quote(text, weights("Bucharest summit"), max_chars=200)
    assert len(sel.quote.text) <= 200 + 4
    assert "Bucharest" in sel.quote.text
    assert sel.quote.text.startswith(ELLIPSIS) and sel.quote.text.endswith(ELLIPSIS)


def test_no_matching_terms_still_returns_verbatim_text() -> None:
    sel = select_quote(PASSAGE, weights("zebra"))
    assert sel.score == 0
    assert sel.quote.highlights == ()


def test_lead_sentences() -> None:
    assert lead_sentences(PASSAGE, max_sentences=1) == "The weather was mild on Tuesday. " + ELLIPSIS
    assert lead_sentences("") == ""
