"""Topic parsing and matching: all words (stemmed), "phrases", -exclusions, the empty topic."""

from __future__ import annotations

import pytest

from bot.subscribe.topics import Topic, TopicError, article_tokens, parse_topic


def matches(topic: str, title: str, text: str = "") -> bool:
    return parse_topic(topic).matches(article_tokens(title, text))


def test_all_words_must_occur_stemmed() -> None:
    assert matches("ukraine grain", "Grain deal", "Ukrainian ports reopen for Ukraine's grains.")
    assert not matches("ukraine grain", "Grain deal", "Ports reopen.")
    assert matches("elections", "The election in Brazil")


def test_quoted_phrase_must_be_consecutive_ignoring_stopwords() -> None:
    assert matches('"black sea"', "Ships in the Black Sea")
    assert not matches('"black sea"', "A black cat by the sea")
    assert matches('"bank of england"', "The Bank of England raised rates")
    assert matches("\u201cblack sea\u201d", "Black Sea fleet")  # curly quotes from phones


def test_phrase_does_not_span_title_and_body() -> None:
    assert not matches('"summit nato"', "Leaders meet at summit", "NATO chief speaks")


def test_exclusions() -> None:
    assert matches("nato -sport", "NATO summit", "Ministers met.")
    assert not matches("nato -sport", "NATO summit", "Also: sports news.")
    assert not matches('nato -"black sea"', "NATO summit", "Talks on the Black Sea.")
    assert matches("\u2212football", "Budget talks")  # a typographic minus counts as exclusion


def test_empty_topic_is_everything() -> None:
    topic = parse_topic("")
    assert topic.is_everything and topic.text == ""
    assert topic.matches(article_tokens("anything", "at all"))


def test_canonical_text_normalises_case_space_and_duplicates() -> None:
    assert parse_topic('  Ukraine   "Black  Sea" -Sport ukraine').text == 'ukraine "black sea" -sport'
    assert parse_topic("Ukraine").text == parse_topic("ukraine").text


def test_hyphenated_word_is_a_phrase() -> None:
    topic = parse_topic("covid-19")
    assert topic.phrases == (("covid", "19"),)
    assert matches("covid-19", "Covid-19 cases rise")
    assert not matches("covid-19", "19 reasons covid is over")


def test_stopwords_only_is_refused_and_long_topics_too() -> None:
    with pytest.raises(TopicError):
        parse_topic("the of and")
    with pytest.raises(TopicError):
        parse_topic("x" * 300)


def test_markup_in_topic_is_just_text() -> None:
    topic = parse_topic("<b>nato</b>")
    assert isinstance(topic, Topic) and topic.text == "<b>nato</b>"  # kept verbatim; escaped when shown
    assert topic.phrases == (("b", "nato", "b"),)
