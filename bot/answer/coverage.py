"""Does the store hold the news a set of questions is about? ``eval`` warns when it does not.

A question is asked on a day about the news before it; against a store without articles from those days
every figure is zero, which reads like a broken ranker rather than a missing corpus (the bundled store
holds one article of November 2022; the dev questions span 2022-2025).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

WINDOW_DAYS = 14
"""A question counts as covered when the store has an article from its day or the days just before."""
MOST = 0.5
"""Below this share of covered questions, the store lacks most of the questions' period."""


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many of the dated questions have any article in their window, and the periods compared."""

    questions: int
    covered: int
    questions_from: date | None
    questions_to: date | None
    articles: int
    articles_from: date | None
    articles_to: date | None

    @property
    def share(self) -> float:
        return self.covered / self.questions if self.questions else 1.0

    def warning(self) -> str | None:
        """One paragraph for the user when the store lacks most of the questions' period, else None."""
        if self.share >= MOST:
            return None
        held = (f"{self.articles:,} article{'s' if self.articles != 1 else ''}, {self.articles_from} to "
                f"{self.articles_to}" if self.articles else "no articles")  # fmt: skip
        return (
            f"warning: the store lacks most of the questions' period: {self.covered:,} of {self.questions:,} "
            f"questions ({self.share:.0%}) have an article from the {WINDOW_DAYS} days before their date. "
            f"The questions run {self.questions_from} to {self.questions_to}; the store holds {held}. "
            "Expect figures near zero: ingest the questions' corpus into this data directory first "
            "(python -m bot ingest ARTICLES.jsonl.gz), or point NEWSBOT_DATA_DIR at a store that holds it."
        )


def question_dates(questions: Iterable[Mapping[str, object]]) -> list[date]:
    """The ``date`` of each question that has a valid one (others are not counted either way)."""
    out = []
    for q in questions:
        try:
            out.append(date.fromisoformat(str(q.get("date") or "")[:10]))
        except ValueError:
            continue
    return out


def coverage(dates: Iterable[date], per_day: Mapping[date, int], window: int = WINDOW_DAYS) -> Coverage:
    """Which question days have at least one stored article in ``[day - window, day]``."""
    days = sorted(d for d, n in per_day.items() if n > 0)
    dates = list(dates)
    covered = 0
    for d in dates:
        i = bisect_left(days, d - timedelta(days=window))
        covered += i < len(days) and days[i] <= d
    return Coverage(
        questions=len(dates), covered=covered,
        questions_from=min(dates, default=None), questions_to=max(dates, default=None),
        articles=sum(per_day.values()), articles_from=days[0] if days else None,
        articles_to=days[-1] if days else None,
    )  # fmt: skip
