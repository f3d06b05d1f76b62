"""Question parsing: commands, mentions, markup, phrases and size limits."""

from __future__ import annotations

from datetime import date, datetime

from bot.answer.question import MAX_QUESTION_CHARS, as_date, parse_question

AS_OF = date(2022, 11, 30)


def test_strips_command_with_bot_name_and_mentions() -> None:
    q = parse_question("/ask@news_bot Why did NATO ministers meet in Bucharest yesterday?", AS_OF)
    assert q.text == "Why did NATO ministers meet in Bucharest?"
    assert q.date_from == q.date_to == date(2022, 11, 29)
    assert q.date_label == "yesterday"
    assert parse_question("@news_bot hello there", AS_OF).text == "hello there"
    assert parse_question("/ask", AS_OF).text == ""


def test_keeps_email_like_text_and_quoted_phrases() -> None:
    q = parse_question('what did "Squid Game" win?', AS_OF)
    assert q.phrases == ("Squid Game",)
    assert "Squid Game" in q.text
    assert parse_question("what is “Squid Game” about", AS_OF).phrases == ("Squid Game",)
    assert parse_question('the "word" alone', AS_OF).phrases == ()  # one word is just a term


def test_markup_is_dropped_and_entities_decoded() -> None:
    q = parse_question('<a href="https://x.y/">Apple</a> &amp; <b>Google</b> **news**', AS_OF)
    assert q.text == "Apple & Google news"


def test_only_a_date_leaves_no_text() -> None:
    q = parse_question("yesterday?", AS_OF)
    assert q.text == ""
    assert q.date_label == "yesterday"


def test_long_input_is_capped() -> None:
    q = parse_question("word " * 1000, AS_OF)
    assert len(q.text) <= MAX_QUESTION_CHARS


def test_as_date_accepts_datetime_date_and_none() -> None:
    assert as_date(datetime(2022, 1, 2, 23, 59)) == date(2022, 1, 2)
    assert as_date(date(2022, 1, 2)) == date(2022, 1, 2)
    assert as_date(None) == date.today()
