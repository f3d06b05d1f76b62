"""Date expressions resolve against as_of the way people mean them, and leave the query."""

from __future__ import annotations

from datetime import date

import pytest

from bot.answer.dates import combine, find_dates
from bot.answer.question import parse_question

AS_OF = date(2022, 11, 30)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("what happened yesterday?", date(2022, 11, 29), date(2022, 11, 29)),
        ("news from today", AS_OF, AS_OF),
        ("this week", date(2022, 11, 24), AS_OF),
        ("last week", date(2022, 11, 21), date(2022, 11, 27)),
        ("this month", date(2022, 11, 1), AS_OF),
        ("last month", date(2022, 10, 1), date(2022, 10, 31)),
        ("in March", date(2022, 3, 1), date(2022, 3, 31)),
        ("in December", date(2021, 12, 1), date(2021, 12, 31)),  # the most recent December
        ("on 29 November", date(2022, 11, 29), date(2022, 11, 29)),
        ("November 29, 2021", date(2021, 11, 29), date(2021, 11, 29)),
        ("on Monday", date(2022, 11, 28), date(2022, 11, 28)),
        ("announced Tuesday that", date(2022, 11, 29), date(2022, 11, 29)),
        ("last Wednesday", date(2022, 11, 23), date(2022, 11, 23)),
        ("2022", date(2022, 1, 1), date(2022, 12, 31)),
        ("in 2021, who won", date(2021, 1, 1), date(2021, 12, 31)),
        ("2022-11-02", date(2022, 11, 2), date(2022, 11, 2)),
        ("in the past two weeks", date(2022, 11, 16), AS_OF),
        ("3 days ago", date(2022, 11, 27), date(2022, 11, 27)),
    ],
)
def test_expressions(text: str, start: date, end: date) -> None:
    window = combine(find_dates(text, AS_OF))
    assert window is not None, text
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize("text", ["the 2020 election results", "$2022 million", "they may meet", "COVID-19"])
def test_not_dates(text: str) -> None:
    assert find_dates(text, AS_OF) == []


def test_narrowest_window_wins_and_all_are_removed() -> None:
    q = parse_question("What happened in Bucharest on Tuesday this week?", AS_OF)
    assert (q.date_from, q.date_to) == (date(2022, 11, 29), date(2022, 11, 29))
    assert q.text == "What happened in Bucharest?"
    assert "Tuesday" in q.date_label
