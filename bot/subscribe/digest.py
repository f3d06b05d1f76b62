"""Scheduled digests without Telegram: what `/digest` and `/timezone` mean, when a digest is due, and what
goes into it.

Time. A digest is scheduled in the chat's local time (``zoneinfo``). Each occurrence is built from a local
*date* (every day, or every chosen weekday) and the chosen wall-clock time, then converted to UTC, and
its key is that date (``daily:2026-03-29``, ``weekly:2026-03-30``). So a daylight-saving change can
neither skip nor double one: every local date yields exactly one instant. A time that does not exist
that day (02:30 when clocks jump to 03:00) falls an hour later; a time that occurs twice (the autumn
change) is taken the first time.

Outages. :func:`due_occurrence` returns the latest occurrence at or before *now* only while it is less
than half a period late (12 hours for a daily digest, 3.5 days for a weekly one). The caller sends it
unless the delivery log already has its key, so a digest goes out at most once, and one missed during
an outage is sent once when the bot is back in time, else skipped (the next one covers the gap).

Content. The period's stories on the topic, ranked by how many distinct sources covered them, then by
recency; at most :data:`MAX_STORIES`. Articles already shown in an earlier digest of the same chat
(topic) are left out, so a late-ingested article still appears once, in the next digest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.models import Article
from bot.store import Store
from bot.store.digests import DigestSetting
from bot.stories import stories_of as grouped_by_story

from .topics import TextAnalyzer, Topic, TopicError, article_tokens, default_analyzer, parse_topic

MAX_STORIES = 10
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS)} | {
    full: i
    for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
USAGE = (
    "Usage: /digest daily 08:00 [topic], /digest weekly mon 08:00 [topic], /digest off, "
    "or /digest alone to see the settings."
)


class DigestError(ValueError):
    """The command cannot be used; the message is a plain sentence for the user."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a digest goes out: ``every`` 'daily' or 'weekly' (on ``weekday``, 0 = Monday) at ``at``."""

    every: str
    at: time
    weekday: int | None = None

    @property
    def period(self) -> timedelta:
        return timedelta(days=7 if self.every == "weekly" else 1)

    def describe(self) -> str:
        """``daily at 08:00`` / ``weekly on Monday at 08:00``."""
        clock = self.at.strftime("%H:%M")
        if self.every == "weekly" and self.weekday is not None:
            day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[self.weekday]
            return f"weekly on {day} at {clock}"
        return f"daily at {clock}"


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """A parsed ``/digest``: ``action`` 'show', 'off' or 'set' (with a schedule and a canonical topic)."""

    action: str
    schedule: Schedule | None = None
    topic: str = ""


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One scheduled digest: its log key, when it was due, and the period it covers (UTC)."""

    key: str
    due: datetime
    since: datetime


def parse_digest(args: str, analyzer: TextAnalyzer | None = None) -> DigestRequest:
    """Parse what follows ``/digest``; raises :class:`DigestError` with a sentence for the user."""
    words = args.split()
    if not words:
        return DigestRequest("show")
    head = words[0].lower()
    if head in ("off", "stop", "none"):
        if len(words) > 1:
            raise DigestError("/digest off takes nothing after it.")
        return DigestRequest("off")
    if head == "daily" and len(words) >= 2:
        schedule, rest = Schedule("daily", parse_clock(words[1])), words[2:]
    elif head == "weekly" and len(words) >= 3:
        day = _WEEKDAY_NAMES.get(words[1].lower())
        if day is None:
            raise DigestError(f"I don't know the day {words[1][:20]!r}: use mon, tue, wed, thu, fri, sat or sun.")
        schedule, rest = Schedule("weekly", parse_clock(words[2]), day), words[3:]
    else:
        raise DigestError(USAGE)
    try:
        topic = parse_topic(" ".join(rest), analyzer)
    except TopicError as exc:
        raise DigestError(str(exc)) from exc
    return DigestRequest("set", schedule, topic.text)


def parse_clock(text: str) -> time:
    """``08:00``, ``8:00``, ``20.30`` or ``7h15`` as a time of day."""
    match = _TIME.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise DigestError(f"{text[:20]!r} is not a time of day: write it like 08:00 (24-hour clock).")
    return time(int(match.group(1)), int(match.group(2)))


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()} | {"utc": "UTC"}


def parse_timezone(text: str) -> str:
    """The canonical IANA name for what the user typed (any case), or :class:`DigestError`."""
    name = _zone_names().get(text.strip().lower())
    if name is None:
        shown = text.strip()[:40]
        raise DigestError(
            f"I don't know the time zone {shown!r}. Use a name like Europe/Berlin, America/New_York or UTC."
        )
    return name


def zone(name: str) -> ZoneInfo:
    """The zone for a stored name; UTC when the name is unknown on this machine."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date (gaps fall later, repeats count once)."""
    local = datetime.combine(day, at, tzinfo=tz)
    return local.astimezone(UTC)


def _occurs_on(schedule: Schedule, day: date) -> bool:
    return schedule.every == "daily" or day.weekday() == schedule.weekday


def occurrence_at_or_before(schedule: Schedule, tz_name: str, now: datetime) -> Occurrence:
    """The latest scheduled occurrence at or before ``now`` (an aware datetime), with its period."""
    tz = zone(tz_name)
    day = now.astimezone(tz).date() + timedelta(days=1)  # a gap-shifted time may lie past local "now"
    while not (_occurs_on(schedule, day) and _instant(day, schedule.at, tz) <= now):
        day -= timedelta(days=1)
    step = schedule.period.days
    previous = day - timedelta(days=step)
    return Occurrence(f"{schedule.every}:{day.isoformat()}", _instant(day, schedule.at, tz),
                      _instant(previous, schedule.at, tz))  # fmt: skip


def next_occurrence(schedule: Schedule, tz_name: str, now: datetime) -> datetime:
    """When the next digest after ``now`` is due (UTC)."""
    tz = zone(tz_name)
    day = now.astimezone(tz).date() - timedelta(days=1)
    while not (_occurs_on(schedule, day) and _instant(day, schedule.at, tz) > now):
        day += timedelta(days=1)
    return _instant(day, schedule.at, tz)


def due_occurrence(
    schedule: Schedule, tz_name: str, now: datetime, *, not_before: datetime | None = None
) -> Occurrence | None:
    """The occurrence to send at ``now``: the latest one, if it is less than half a period late and not
    before ``not_before`` (when the digest was set up: it starts with the next occurrence)."""
    occurrence = occurrence_at_or_before(schedule, tz_name, now)
    if not_before is not None and occurrence.due < not_before:
        return None
    return occurrence if now - occurrence.due < schedule.period / 2 else None


def period_dates(occurrence: Occurrence, tz_name: str) -> tuple[date, date]:
    """The local publication dates a digest covers: from the previous occurrence's day to its own."""
    tz = zone(tz_name)
    return occurrence.since.astimezone(tz).date(), occurrence.due.astimezone(tz).date()


# -- content -------------------------------------------------------------------------------------------


def stories_of(articles: Sequence[Article]) -> list[list[Article]]:
    """Group articles into stories (the first article of each list leads it).

    The seam for story grouping (issue #16 part 3): until it lands every article is its own story.
    """
    return [[a] for a in articles]


def stored_stories(store: Store, articles: Sequence[Article]) -> list[list[Article]]:
    """Articles grouped by the stories the store assigned them (:mod:`bot.stories`), first article first."""
    return [list(story.articles) for story in grouped_by_story(store, articles)]


def _story_key(story: Sequence[Article]) -> tuple[int, date, int]:
    sources = {a.source or a.url for a in story}
    newest = max(story, key=lambda a: (a.published, a.id or 0))
    return len(sources), newest.published, newest.id or 0


def top_stories(
    articles: Sequence[Article],
    topic_text: str,
    *,
    limit: int = MAX_STORIES,
    analyzer: TextAnalyzer | None = None,
    group: Callable[[Sequence[Article]], list[list[Article]]] = stories_of,
) -> list[list[Article]]:
    """The period's stories on a topic: most distinct sources first, then the most recent; ``limit`` of them."""
    analyzer = analyzer or default_analyzer()
    topic: Topic = parse_topic(topic_text, analyzer)
    live = [a for a in articles if not a.deleted and not a.flagged]
    if not topic.is_everything:
        matching = []
        for article in live:
            tokens = article_tokens(article.title, article.text, analyzer)
            if topic.matches(tokens, set(tokens)):
                matching.append(article)
        live = matching
    stories = group(live)
    stories.sort(key=_story_key, reverse=True)
    return stories[:limit]


def digest_stories(store: Store, setting: DigestSetting, occurrence: Occurrence) -> list[list[Article]]:
    """The stories a digest shows: its period's articles on its topic that no earlier digest showed."""
    first, last = period_dates(occurrence, setting.timezone)
    shown = store.digests.shown_before(setting.chat_id, setting.thread_id)
    fresh = [a for a in store.articles.published_between(first, last, limit=None) if a.id not in shown]
    return top_stories(fresh, setting.topic, group=lambda live: stored_stories(store, live))


def created_at(setting: DigestSetting) -> datetime | None:
    """When a digest was set up (None if unknown)."""
    try:
        return datetime.fromisoformat(setting.created_at).astimezone(UTC) if setting.created_at else None
    except ValueError:
        return None


def schedule_of(setting: DigestSetting) -> Schedule:
    """The schedule of a stored setting."""
    hour, minute = (int(x) for x in setting.at.split(":"))
    return Schedule(setting.every, time(hour, minute), setting.weekday)


def digest_title(setting: DigestSetting, occurrence: Occurrence) -> tuple[str, str]:
    """``(title, subtitle)`` of a digest message: what it is, and the dates it covers."""
    what = "Daily" if setting.every == "daily" else "Weekly"
    title = f"{what} digest" + (f": {setting.topic}" if setting.topic else "")
    first, last = period_dates(occurrence, setting.timezone)
    span = last.strftime("%-d %b %Y") if first == last else f"{first.strftime('%-d %b')} – {last.strftime('%-d %b %Y')}"
    return title, f"Top stories, {span}"
