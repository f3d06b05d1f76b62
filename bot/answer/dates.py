"""Date expressions the way people ask about news, turned into a date window relative to ``as_of``.

"yesterday", "last week", "this month", "in March", "on 29 November", "Tuesday", "2022": a question about
the news almost always places itself in time relative to *now*, so every expression is resolved against an
``as_of`` date (the question's date in the eval, today in the bot). The matched text is cut out of the
question so that it does not pollute the BM25 query ("week" and "monday" match nothing useful).

Years used as modifiers ("the 2020 election", "2022 World Cup") are *not* dates: they name the topic and
stay in the query. Only a year that stands alone ("in 2022", "2022?") becomes a window.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_NUM = r"(?P<num>\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|couple of)"
_UNIT = r"(?P<unit>days?|weeks?|months?|years?)"

_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "few": 3, "couple of": 2,
}  # fmt: skip


Resolved = tuple[date, date, str] | None
Resolver = Callable[[re.Match[str], date], Resolved]


@dataclass(frozen=True, slots=True)
class DateWindow:
    """An inclusive date range the question refers to, the words that said so, and where they were."""

    start: date
    end: date
    label: str
    span: tuple[int, int]


def _clamp_end(end: date, as_of: date) -> date:
    return min(end, as_of)


def _month_window(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _last_month_named(month: int, as_of: date) -> int:
    """The year of the most recent ``month`` that has started by ``as_of`` ("in March" asked in May)."""
    return as_of.year if month <= as_of.month else as_of.year - 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day_of_month(m: re.Match[str], as_of: date) -> Resolved:
    month = MONTHS[m.group("month").lower().rstrip(".")]
    day = int(m.group("day"))
    year_text = m.group("year")
    if year_text:
        year = int(year_text)
    else:
        year = as_of.year
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate > as_of:
            year -= 1
    d = _safe_date(year, month, day)
    if d is None:
        return None
    label = f"on {d.day} {calendar.month_name[d.month]} {d.year}"
    return d, d, label


def _relative_amount(m: re.Match[str]) -> tuple[int, str]:
    raw = m.group("num").lower()
    n = _WORD_NUMBERS.get(raw) or int(raw)
    return n, m.group("unit").lower().rstrip("s")


def _ago_window(n: int, unit: str, as_of: date) -> tuple[date, date]:
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * n
    return as_of - timedelta(days=days), as_of


def _weekday_before(weekday: int, as_of: date, include_today: bool = True) -> date:
    back = (as_of.weekday() - weekday) % 7
    if back == 0 and not include_today:
        back = 7
    return as_of - timedelta(days=back)


# Each rule: a regex and a resolver giving (start, end, label). Order matters: longer, more specific first.
def _rules() -> list[tuple[re.Pattern[str], Resolver]]:
    def week(as_of: date, offset: int) -> tuple[date, date]:
        monday = as_of - timedelta(days=as_of.weekday()) - timedelta(weeks=offset)
        return monday, monday + timedelta(days=6)

    def r_day_month(m: re.Match[str], a: date) -> Resolved:
        return _day_of_month(m, a)

    def r_ago(m: re.Match[str], a: date) -> Resolved:
        n, unit = _relative_amount(m)
        if m.group(0).lower().endswith("ago"):
            days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * n
            centre = a - timedelta(days=days)
            half = {"day": 0, "week": 3, "month": 15, "year": 182}[unit]
            s, e = centre - timedelta(days=half), min(a, centre + timedelta(days=half))
            return s, e, f"{n} {unit}{'s' if n != 1 else ''} ago"
        s, e = _ago_window(n, unit, a)
        return s, e, f"in the last {n} {unit}{'s' if n != 1 else ''}"

    def r_month(m: re.Match[str], a: date) -> Resolved:
        month = MONTHS[m.group("month").lower().rstrip(".")]
        year = int(m.group("year")) if m.group("year") else _last_month_named(month, a)
        s, e = _month_window(year, month)
        return s, e, f"in {calendar.month_name[month]} {year}"

    def r_weekday(m: re.Match[str], a: date) -> Resolved:
        prefix = (m.group("prefix") or "").lower().strip()
        d = _weekday_before(WEEKDAYS[m.group("weekday").lower()], a, include_today=prefix != "last")
        return d, d, f"on {calendar.day_name[d.weekday()]} {d.day} {calendar.month_name[d.month]}"

    def r_year(m: re.Match[str], a: date) -> Resolved:
        year = int(m.group("year"))
        return date(year, 1, 1), date(year, 12, 31), f"in {year}"

    def r_iso(m: re.Match[str], a: date) -> Resolved:
        d = _safe_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        return (d, d, f"on {d.isoformat()}") if d else None

    def fixed(fn: Callable[[date], Resolved]) -> Resolver:
        return lambda m, a: fn(a)

    def weekend(a: date, offset: int) -> tuple[date, date, str]:
        sat = _weekday_before(5, a) - timedelta(weeks=offset)
        if a.weekday() == 6 and offset == 0:
            sat = a - timedelta(days=1)
        return sat, sat + timedelta(days=1), "last weekend" if offset else "this weekend"

    year_context = r"(?=\s*(?:[?.!,;:)]|$|\s(?:and|or|but|so|when|while|after|before|than|that|which|who)\b))"
    rules: list[tuple[str, Resolver]] = [
        (r"(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)", r_iso),
        (r"(?:on\s+)?(?:the\s+)?" + _DAY + r"\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+" + _YEAR + r")?", r_day_month),
        (r"(?:on\s+)?" + _MONTH + r"\s+" + _DAY + r"\b(?:,?\s+" + _YEAR + r")?", r_day_month),
        (r"(?:in|over|during)\s+the\s+(?:last|past)\s+" + _NUM + r"\s+" + _UNIT, r_ago),
        (r"(?:the\s+)?(?:last|past)\s+" + _NUM + r"\s+" + _UNIT, r_ago),
        (_NUM + r"\s+" + _UNIT + r"\s+ago", r_ago),
        (r"(?:earlier\s+)?today|tonight|this\s+(?:morning|afternoon|evening)", fixed(lambda a: (a, a, "today"))),
        (r"yesterday", fixed(lambda a: (a - timedelta(days=1), a - timedelta(days=1), "yesterday"))),
        (r"(?:(?:earlier|early|late|later)\s+)?this\s+week|(?:over\s+|in\s+|during\s+)?the\s+(?:past|last)\s+week|this\s+past\s+week",
         fixed(lambda a: (a - timedelta(days=6), a, "this week"))),
        (r"last\s+week", fixed(lambda a: (*week(a, 1), "last week"))),
        (r"(?:over\s+)?this\s+(?:past\s+)?weekend", fixed(lambda a: weekend(a, 0))),
        (r"(?:over\s+)?last\s+weekend", fixed(lambda a: weekend(a, 1))),
        (r"(?:(?:earlier|early|late|later)\s+)?this\s+month|(?:in\s+|over\s+)?the\s+(?:past|last)\s+month",
         fixed(lambda a: (a.replace(day=1), a, "this month"))),
        (r"last\s+month", fixed(lambda a: (*_month_window(*((a.year, a.month - 1) if a.month > 1
                                                           else (a.year - 1, 12))), "last month"))),
        (r"(?:(?:earlier|early|late|later)\s+)?this\s+year", fixed(lambda a: (date(a.year, 1, 1), a, "this year"))),
        (r"last\s+year", fixed(lambda a: (date(a.year - 1, 1, 1), date(a.year - 1, 12, 31), "last year"))),
        (r"(?:in|during|since|from)\s+(?:early\s+|late\s+|mid-?)?" + _MONTH + r"(?:\s+" + _YEAR + r")?"
         + r"(?!\s+\d)", r_month),
        (_MONTH + r"\s+" + _YEAR, r_month),
        (r"(?P<prefix>(?:on|last|this|early|late)\s+)?" + _WEEKDAY + r"(?:\s+(?:morning|afternoon|evening|night))?",
         r_weekday),
        (r"(?:in|during)\s+" + _YEAR + year_context, r_year),
        (r"(?<![\w$#-])" + _YEAR + year_context, r_year),
    ]  # fmt: skip
    return [(re.compile(r"(?<![\w-])(?:" + p + r")(?![\w-])", re.IGNORECASE), fn) for p, fn in rules]


_RULES = _rules()


def find_dates(text: str, as_of: date) -> list[DateWindow]:
    """Every date expression in ``text``, resolved against ``as_of``, leftmost-longest, not overlapping.

    A "May" that is a verb ("may meet") is not a month: bare month names only count after in/during/since
    or with a day or year, which is how news questions use them.
    """
    found: list[DateWindow] = []
    taken: list[tuple[int, int]] = []
    for pattern, resolve in _RULES:
        for m in pattern.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            resolved = resolve(m, as_of)
            if not resolved:
                continue
            start, end, label = resolved
            found.append(DateWindow(start, end, label, (s, e)))
            taken.append((s, e))
    found.sort(key=lambda w: w.span)
    return found


def combine(windows: list[DateWindow]) -> DateWindow | None:
    """One window for the question: the narrowest one, or None.

    "in March 2022, on Tuesday" is rare; the narrowest window is the most specific thing the user said.
    """
    if not windows:
        return None
    return min(windows, key=lambda w: ((w.end - w.start).days, w.span))


def remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the given spans, whitespace tidied."""
    out, last = [], 0
    for s, e in sorted(spans):
        out.append(text[last:s])
        last = e
    out.append(text[last:])
    return re.sub(r"\s+", " ", " ".join(out)).strip()
