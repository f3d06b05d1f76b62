"""Cleaning rules that need no learning: markup, control characters, titles, dates, stamps, datelines."""

from __future__ import annotations

from datetime import date

import pytest

from bot.ingest.clean import (
    DateError,
    cap_paragraphs,
    clean_title,
    date_from_url,
    is_relative_time,
    is_timestamp_line,
    parse_date,
    sanitize,
    site_label,
    split_lines,
    strip_dateline,
)

TODAY = date(2024, 6, 1)


def test_sanitize_strips_markup_keeps_paragraphs_and_words() -> None:
    raw = "<p>Prices rose 5% &amp; wages&nbsp;fell.</p><p>A &lt; B, said <b>Smith</b>.</p><script>var x=1;</script>"
    assert split_lines(sanitize(raw)) == ["Prices rose 5% & wages fell.", "A < B, said Smith."]


def test_sanitize_strips_control_characters_and_normalises_breaks() -> None:
    raw = "Line\x00 one\x07\r\nLine\u200b two\rThree\x1b"
    assert split_lines(sanitize(raw)) == ["Line one", "Line two", "Three"]


def test_sanitize_leaves_plain_text_alone() -> None:
    text = "AT&T and R&D: 3 < 4 and x > y, \u201cquoted\u201d \u2014 caf\u00e9 \U0001f600"
    assert sanitize(text) == text


def test_site_label() -> None:
    assert site_label("cnn.com") == "cnn"
    assert site_label("edition.cnn.com") == "cnn"
    assert site_label("college.usatoday.com") == "usatoday"
    assert site_label("theweek.co.uk") == "theweek"
    assert site_label("p.dw.com") == "dw"


@pytest.mark.parametrize(
    ("title", "source", "expected"),
    [
        ("Fed raises rates again - CNN", "cnn.com", "Fed raises rates again"),
        ("Judge blocks law | CNN Politics", "cnn.com", "Judge blocks law"),
        ("Apple hits $3 trillion | CNN Business", "cnn.com", "Apple hits $3 trillion"),
        (
            "Judge says Florida law is unconstitutional | CNN ...",
            "cnn.com",
            "Judge says Florida law is unconstitutional",
        ),
        ("Storm hits coast - USA Today", "usatoday.com", "Storm hits coast"),
        ("Storm hits coast - USA TODAY", "college.usatoday.com", "Storm hits coast"),
        ("Sex toy ad is banned | The Week UK", "theweek.co.uk", "Sex toy ad is banned"),
        # not the site: kept verbatim
        ("Trump - CNN poll finds slump", "cnn.com", "Trump - CNN poll finds slump"),
        ("Women have rights | ELAINE HARRIS ..", "usatoday.com", "Women have rights | ELAINE HARRIS .."),
        ("Fact check: Biden - Trump", "usatoday.com", "Fact check: Biden - Trump"),
        ("CNN", "cnn.com", "CNN"),
        ("<b>Bold</b> news &amp; views - CNN", "cnn.com", "Bold news & views"),
    ],
)
def test_clean_title_strips_site_suffix_only(title: str, source: str, expected: str) -> None:
    assert clean_title(title, source) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-11-29", date(2022, 11, 29)),
        ("2022-11-29T23:10:00+00:00", date(2022, 11, 29)),
        ("Tue, 20 Jun 2023 18:30:00 GMT", date(2023, 6, 20)),
        ("June 20, 2023", date(2023, 6, 20)),
        (date(2020, 1, 2), date(2020, 1, 2)),
    ],
)
def test_parse_date_accepts_common_forms(value: object, expected: date) -> None:
    assert parse_date(value, TODAY) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing date"),
        ("", "missing date"),
        ("someday", "unparseable"),
        ("2022-13-45", "unparseable"),
        ("2099-01-01", "in the future"),
        ("1066-10-14", "before 1900"),
    ],
)
def test_parse_date_rejects_bad_dates(value: object, reason: str) -> None:
    with pytest.raises(DateError, match=reason):
        parse_date(value, TODAY)


def test_date_from_url() -> None:
    assert date_from_url("https://cnn.com/2022/10/25/politics/x/index.html") == date(2022, 10, 25)
    assert date_from_url("https://example.com/news/x") is None


@pytest.mark.parametrize(
    "line", ["17 minutes ago", "Politics1 hour ago", "an hour ago", "Business 5 hours ago", "2 days ago"]
)
def test_relative_time_lines(line: str) -> None:
    assert is_relative_time(line)
    assert is_timestamp_line(line, header=False)


def test_relative_time_does_not_match_sentences() -> None:
    assert not is_relative_time("The war began 2 years ago")
    assert not is_relative_time("He said it happened three hours ago in the city center")


@pytest.mark.parametrize(
    "line",
    [
        "Updated Oct. 5, 2023, 3:04 p.m. ET",
        "Dec. 22, 2013, 9:47 p.m. ET",
        "June 22, 2022 Updated June 24, 2022, 1:34 p.m. ET",
        "11/29/2022",
    ],
)
def test_timestamp_lines_in_header(line: str) -> None:
    assert is_timestamp_line(line, header=True)


def test_bare_dates_below_the_header_are_kept() -> None:
    assert not is_timestamp_line("March 4, 2020", header=False)
    assert is_timestamp_line("Updated March 4, 2020, 9:00 a.m. ET", header=False)
    assert not is_timestamp_line("8:48 pm ET May 25, 2026 Share this update Knicks lead by 20.", header=True)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CNN —", ""),
        ("Washington CNN —", ""),
        ("New York CNN Business —", ""),
        ("Seoul, South Korea CNN —", ""),
        ("(CNN) The House committee met.", "The House committee met."),
        (
            "Paris (CNN) French President Emmanuel Macron will face Le Pen.",
            "French President Emmanuel Macron will face Le Pen.",
        ),
        ("London (CNN Business) Europe has five years.", "Europe has five years."),
    ],
)
def test_strip_dateline_of_own_site(line: str, expected: str) -> None:
    assert strip_dateline(line, "cnn") == expected


@pytest.mark.parametrize(
    "line",
    [
        "CHICAGO (AP) — San Antonio Spurs win the NBA draft lottery.",
        "Biden said the plan — which CNN reported first — would pass.",
        "The CNN poll (CNN) found nothing.",
        "In the end — as always — the voters decide.",
    ],
)
def test_strip_dateline_keeps_other_text(line: str) -> None:
    assert strip_dateline(line, "cnn") is None


def test_cap_paragraphs_keeps_whole_paragraphs() -> None:
    paragraphs = ["a" * 400, "b" * 400, "c" * 400]
    kept, cut = cap_paragraphs(paragraphs, limit=1000)
    assert cut and kept[:2] == paragraphs[:2] and sum(len(p) for p in kept) + 2 * (len(kept) - 1) <= 1000
    giant = " ".join(["word"] * 10_000)
    kept, cut = cap_paragraphs([giant], limit=1000)
    assert cut and len(kept) == 1 and len(kept[0]) <= 1000 and kept[0].endswith("word")
    assert cap_paragraphs(["short"], limit=1000) == (["short"], False)
