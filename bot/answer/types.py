"""The shapes an answer takes between the pipeline and whoever shows it (terminal, Telegram, eval).

This is the contract between `bot/answer` (which fills these) and `bot/chat` / `bot/cli` (which render
and send them); change it only together with both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Quote:
    """One to three consecutive sentences of an article, verbatim, with "…" where text was cut.

    ``highlights`` are (start, end) character spans into ``text`` of words that matched the question.
    """

    text: str
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class AnswerItem:
    """One result: an article, the quote from it that answers the question, and maybe a second excerpt."""

    article_id: int
    title: str
    url: str
    source: str
    published: date
    quote: Quote
    score: float = 0.0
    position: int = 0  # passage position in the article
    more: Quote | None = None  # a second excerpt of the same article (shown collapsed), None when none
    sources: int = 0  # for a story card: how many distinct sources covered the story (0 = not counted)


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """What the pipeline understood: BM25 terms, phrases and the date window the question implies."""

    original: str
    text: str  # the question without /ask, mentions and date expressions
    phrases: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    date_label: str = ""  # e.g. "yesterday", "in March 2022": shown to the user
    shown: str = ""  # the user's words as echoed back (command, mentions and markup removed; dates kept)


#: What the items of an :class:`Answer` are. ``ANSWERS``: quotes that should answer the question.
#: ``RELATED``: nothing answered it; the items are only the closest stories, and must be shown as such.
#: ``NEWEST``: the question had no topic ("what's going on?"), so the items are the newest stories.
#: ``DAY``: the question was only a date ("what happened yesterday?"): that day's top stories.
ANSWERS, RELATED, NEWEST, DAY = "answers", "related", "newest", "day"


@dataclass(frozen=True, slots=True)
class Answer:
    """A page of results for a question; ``no_answer`` explains plainly why nothing is quoted.

    ``kind`` says what the items are (see :data:`ANSWERS`); ``note`` is a line to show above them (e.g.
    "Nothing was published on 29 Nov 2022; the nearest day with news is 28 Nov 2022").
    """

    question: ParsedQuestion
    items: list[AnswerItem] = field(default_factory=list)
    offset: int = 0
    total: int = 0  # results available in all pages (for a "More" button)
    no_answer: str | None = None
    kind: str = ANSWERS
    note: str | None = None

    @property
    def has_more(self) -> bool:
        """Whether another page exists after this one."""
        return self.offset + len(self.items) < self.total
