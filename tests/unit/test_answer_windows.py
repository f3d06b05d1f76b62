"""Sentence windows: per-article analysis, window features, answer-type cues, window picking."""

from __future__ import annotations

import numpy as np

from bot.answer.rank import WINDOW_WEIGHTS
from bot.answer.windows import (
    WINDOW_FEATURES,
    QuestionProfile,
    answer_type,
    index_sentences,
    linear,
    pick_windows,
    question_rows,
    window_features,
)
from bot.search.analyzer import default_analyzer

AN = default_analyzer()
TEXT = (
    "Air New Zealand is asking 10,000 passengers to step on a scale.\n"
    "The airline said the survey is voluntary. Passengers will be weighed before they board.\n"
    "Weather was mild on Tuesday."
)


def profile(question: str) -> QuestionProfile:
    number, name = answer_type(question)
    return QuestionProfile({t: 1.0 for t in AN.analyze(question)}, number, name)


def test_answer_type_cues() -> None:
    assert answer_type("How many people were evacuated?") == (True, False)
    assert answer_type("In what year did the war end?") == (True, False)
    assert answer_type("Which airline will weigh passengers?") == (False, True)
    assert answer_type("Who won the election?") == (False, True)
    assert answer_type("Why did the markets fall?") == (False, False)


def test_index_records_terms_names_numbers_and_breaks() -> None:
    idx = index_sentences(TEXT, AN, "Airline weighs passengers")
    assert idx.size == 4
    assert TEXT[idx.starts[1] : idx.ends[1]] == "The airline said the survey is voluntary."
    rows = question_rows(idx.sentences, TEXT, ["passeng", "zealand", "10"], {"airlin", "passeng"}, AN)
    assert np.flatnonzero(rows.matrix[:, 0]).tolist() == [0, 2]
    # "Air New Zealand": air, new, zealand; "The" is a stopword; "Passengers" opens sentence 2 (a capital)
    assert idx.sentences.n_names.tolist() == [3, 0, 1, 2] and rows.names_in_question.tolist() == [1, 0, 1, 0]
    assert idx.sentences.n_names_untitled.tolist() == [3, 0, 0, 2]
    assert idx.sentences.n_numbers.tolist() == [2, 0, 0, 0]  # "10,000" is two number terms
    assert list(idx.sentences.breaks) == [1, 0, 1] and idx.sentences.chunked


def test_windows_cover_matches_and_the_lead_within_budget() -> None:
    idx = index_sentences(TEXT, AN)
    found = window_features(
        idx, profile("Which airline will weigh passengers before they board?"), set(), max_chars=120
    )
    spans = set(zip(found.lo.tolist(), found.hi.tolist()))
    assert (0, 1) in spans and (2, 3) in spans
    assert (3, 4) not in spans  # no question term, not the lead
    assert all(idx.ends[h - 1] - idx.starts[lo] <= 120 for lo, h in spans if h - lo > 1)
    assert found.features.shape == (len(spans), len(WINDOW_FEATURES))
    cov = found.features[:, WINDOW_FEATURES.index("cov")]
    assert cov.max() <= 1.0 and found.article_cov == 1.0


def test_model_prefers_the_window_with_the_missing_name() -> None:
    idx = index_sentences(TEXT, AN)
    found = window_features(idx, profile("Which airline will weigh passengers?"), set(), max_sentences=1)
    best = pick_windows(found.lo, found.hi, linear(found.features, WINDOW_WEIGHTS), 1)[0]
    assert found.lo[best] == 0  # the lead names the airline; the others only repeat the question


def test_pick_windows_never_overlap() -> None:
    lo, hi = np.array([0, 1, 2, 3]), np.array([2, 3, 3, 4])
    chosen = pick_windows(lo, hi, np.array([1.0, 0.9, 0.5, 0.1]), 3)
    assert chosen == [0, 2, 3]


def test_empty_text_and_question() -> None:
    idx = index_sentences("", AN)
    assert window_features(idx, profile("airline"), set()).lo.shape[0] == 0
    idx = index_sentences(TEXT, AN)
    assert window_features(idx, QuestionProfile({}), set()).lo.shape[0] == 0


def test_question_head_and_its_feature() -> None:
    from bot.answer.windows import question_head

    assert question_head("Which airline will weigh passengers?", AN.analyze) == "airlin"
    assert question_head("Who won?", AN.analyze) == ""
    prof = QuestionProfile({"airlin": 1.0, "passeng": 1.0}, head="airlin")
    idx = index_sentences(TEXT, AN)
    found = window_features(idx, prof, set(), max_sentences=1)
    head = found.features[:, WINDOW_FEATURES.index("head")]
    assert {int(lo) for lo, h in zip(found.lo, head) if h} == {1}


def test_headings_questions_and_local_rarity() -> None:
    text = (
        "Passengers: what to know?\n"
        "Air New Zealand will weigh passengers before they board.\n"
        "Passengers said the airline was polite. Passengers were calm\n"
        "Weather was mild."
    )
    idx = index_sentences(text, AN)
    assert list(idx.sentences.asks) == [1, 0, 0, 0, 0] and list(idx.sentences.headings) == [0, 0, 0, 1, 0]
    terms = AN.analyze("Which airline will weigh passengers?")
    prof = QuestionProfile({t: 1.0 for t in terms})
    found = window_features(idx, prof, set(), max_sentences=1)
    col = {name: found.features[:, WINDOW_FEATURES.index(name)] for name in ("local_cov", "asks")}
    by_lo = {int(lo): i for i, lo in enumerate(found.lo)}
    assert col["asks"][by_lo[0]] == 1.0
    # "passengers" is in four sentences, "airline" in one: the rarer term counts for more locally
    assert col["local_cov"][by_lo[2]] > col["local_cov"][by_lo[4 - 1]]
