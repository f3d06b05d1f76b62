"""Digest rules without Telegram: parsing /digest and /timezone, when a digest is due (daylight-saving
changes, outages, weeks), and which stories it shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.answer.render import TELEGRAM_LIMIT, story_digest_html, visible_length
from bot.models import Article
from bot.subscribe.digest import (
    DigestError,
    Schedule,
    due_occurrence,
    next_occurrence,
    occurrence_at_or_before,
    parse_digest,
    parse_timezone,
    top_stories,
)

BERLIN = "Europe/Berlin"
DAILY_8 = Schedule("daily", time(8, 0))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_parse_commands_and_refusals() -> None:
    assert parse_digest("").action == "show" and parse_digest("OFF").action == "off"
    request = parse_digest("weekly Monday 7h30 nato -football")
    assert request.schedule == Schedule("weekly", time(7, 30), 0) and request.topic == "nato -football"
    assert parse_digest("daily 20.15").schedule == Schedule("daily", time(20, 15))
    for bad, says in [("daily 24:00", "not a time"), ("weekly xyz 08:00", "day"), ("hourly 08:00", "Usage"),
                      ("daily 08:00 the of", "common words"), ("off now", "nothing after")]:  # fmt: skip
        with pytest.raises(DigestError, match=says):
            parse_digest(bad)
    assert parse_timezone("america/new_york") == "America/New_York" and parse_timezone("utc") == "UTC"
    with pytest.raises(DigestError, match="time zone"):
        parse_timezone("Mars/Olympus_<b>")


def every_due(schedule: Schedule, tz: str, start: datetime, hours: int) -> list[tuple[str, datetime]]:
    """Walk time minute by minute (as the job would, for a digest set up at ``start``) and list the
    digests that become due, each once, with the minute they became due."""
    seen: dict[str, datetime] = {}
    now = start
    while now < start + timedelta(hours=hours):
        occurrence = due_occurrence(schedule, tz, now, not_before=start)
        if occurrence is not None and occurrence.key not in seen:
            seen[occurrence.key] = now
        now += timedelta(minutes=1)
    return list(seen.items())


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-03-27T12:00", ["2026-03-28T07:00", "2026-03-29T06:00", "2026-03-30T06:00"]),  # spring forward
        ("2026-10-24T12:00", ["2026-10-25T07:00", "2026-10-26T07:00"]),  # fall back: 08:00 CET, then CET
    ],
)
def test_dst_neither_skips_nor_doubles(start: str, expected: list[str]) -> None:
    due = every_due(DAILY_8, BERLIN, utc(start), hours=24 * len(expected))
    assert [when for _, when in due][: len(expected)] == [utc(e) for e in expected][: len(expected)]
    assert len({key for key, _ in due}) == len(due)


def test_times_missing_or_repeated_on_the_change_day_count_once() -> None:
    gap = Schedule("daily", time(2, 30))  # 02:30 does not exist on 29 March in Berlin
    due = every_due(gap, BERLIN, utc("2026-03-28T12:00"), hours=48)
    assert [k for k, _ in due] == ["daily:2026-03-29", "daily:2026-03-30"]
    assert due[0][1] == utc("2026-03-29T01:30")  # 03:30 CEST, the first moment after the gap
    repeated = every_due(gap, BERLIN, utc("2026-10-24T12:00"), hours=48)  # 02:30 happens twice on 25 Oct
    assert [k for k, _ in repeated] == ["daily:2026-10-25", "daily:2026-10-26"]


def test_outage_sends_a_missed_digest_only_when_less_than_half_a_period_late() -> None:
    assert due_occurrence(DAILY_8, "UTC", utc("2026-03-10T19:59")).key == "daily:2026-03-10"
    assert due_occurrence(DAILY_8, "UTC", utc("2026-03-10T20:00")) is None
    weekly = Schedule("weekly", time(8, 0), 0)  # Mondays
    assert due_occurrence(weekly, "UTC", utc("2026-03-12T19:59")).key == "weekly:2026-03-09"
    assert due_occurrence(weekly, "UTC", utc("2026-03-12T20:00")) is None
    created = utc("2026-03-10T09:00")  # set up after today's time: starts tomorrow
    assert due_occurrence(DAILY_8, "UTC", utc("2026-03-10T09:01"), not_before=created) is None
    occurrence = occurrence_at_or_before(weekly, "UTC", utc("2026-03-12T00:00"))
    assert (occurrence.since, occurrence.due) == (utc("2026-03-02T08:00"), utc("2026-03-09T08:00"))
    assert next_occurrence(weekly, BERLIN, utc("2026-03-27T12:00")) == utc("2026-03-30T06:00")


def art(n: int, day: int, title: str, source: str) -> Article:
    return Article(url=f"https://site{n}.example/{n}", title=title, text=f"{title}. More text.",
                   published=date(2026, 3, day), source=source, id=n)  # fmt: skip


def test_top_stories_rank_by_sources_then_recency_at_most_ten() -> None:
    articles = [art(i, 1 + i % 20, f"Volcano report {i}", "a.example") for i in range(1, 30)]
    articles.append(art(99, 2, "Budget vote", "b.example"))
    stories = top_stories(articles, "volcano")
    assert len(stories) == 10 and all("Volcano" in s[0].title for s in stories)
    days = [s[0].published for s in stories]
    assert days == sorted(days, reverse=True)

    def grouped(found: list[Article]) -> list[list[Article]]:  # two outlets on one story beat any single one
        return [[a for a in found if a.id in (3, 4)]] + [[a] for a in found if a.id not in (3, 4)]

    two_sources = [art(3, 1, "Volcano old", "a.example"), art(4, 1, "Volcano old too", "c.example"),
                   art(5, 9, "Volcano new", "a.example")]  # fmt: skip
    assert [s[0].id for s in top_stories(two_sources, "", group=grouped)] == [3, 5]


def test_digest_message_fits_and_escapes_hostile_text() -> None:
    nasty = 'Tom & <script>x</script> "quotes" 😀 ' * 30
    stories = [[art(i, 1, f"{nasty} {i}", f"s{i}.example"), art(100 + i, 1, "Other", "<b>x</b>")]
               for i in range(10)]  # fmt: skip
    html = story_digest_html(stories, title="Daily digest: <nato>", subtitle="Top stories, 1 Mar 2026")
    assert visible_length(html) <= TELEGRAM_LIMIT
    assert "<script>" not in html and "&lt;nato&gt;" in html and "also:" in html
