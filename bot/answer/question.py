"""Question understanding: from what a user typed to BM25 text, phrases and a date window.

Telegram hands us "/ask@newsbot what happened in Bucharest yesterday?" or "@newsbot ..." in groups; the
command and mention are noise to BM25, the "quoted phrases" are the user's strongest signal, and the date
words belong in a filter rather than in the query. Markup (a pasted HTML link, Markdown emphasis) and
absurdly long input are tolerated: tags are dropped, the text is capped.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime

from bot.search.analyzer import strip_invisible

from .dates import combine, find_dates, remove_spans
from .types import ParsedQuestion

MAX_QUESTION_CHARS = 1000  # BM25 on 5,000 characters is slow and no better: long pastes are cut

_COMMAND = re.compile(r"^\s*/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?(?=\s|$)")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")
_TAG = re.compile(r"<[^<>]{0,400}>")
_MARKDOWN = re.compile(r"(\*\*|__|~~|`{1,3}|\|\|)")
_PHRASE = re.compile(r"\"([^\"]{2,200})\"|“([^”]{2,200})”|«([^»]{2,200})»|„([^“”]{2,200})[“”]")
_WS = re.compile(r"\s+")
_ORPHAN_POSSESSIVE = re.compile(r"(?:(?<=\s)|^)['’]s\b")


def as_date(as_of: datetime | date | None) -> date:
    """The calendar day of ``as_of`` (today when None)."""
    if as_of is None:
        return date.today()
    if isinstance(as_of, datetime):
        return as_of.date()
    return as_of


def clean_question(raw: str) -> str:
    """The question without /command, @mentions, markup and control characters, capped in length."""
    text = strip_invisible(raw or "")  # "tril\u00adlion" is one word, not two (control characters: spaces)
    text = _COMMAND.sub(" ", text, count=1)
    text = _MENTION.sub(" ", text)
    text = html.unescape(_TAG.sub(" ", text))
    text = _MARKDOWN.sub(" ", text)
    text = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text)
    text = _WS.sub(" ", text).strip()
    if len(text) > MAX_QUESTION_CHARS:
        cut = text.rfind(" ", 0, MAX_QUESTION_CHARS)
        text = text[: cut if cut > MAX_QUESTION_CHARS // 2 else MAX_QUESTION_CHARS]
    return text


def extract_phrases(text: str) -> tuple[str, ...]:
    """Quoted phrases of two words or more ("Squid Game"), in order, without duplicates."""
    phrases: list[str] = []
    for m in _PHRASE.finditer(text):
        phrase = _WS.sub(" ", next(g for g in m.groups() if g)).strip()
        if len(phrase.split()) >= 2 and phrase.lower() not in (p.lower() for p in phrases):
            phrases.append(phrase)
    return tuple(phrases)


def parse_question(raw: str, as_of: datetime | date | None = None) -> ParsedQuestion:
    """Understand a question asked on ``as_of``: query text, quoted phrases, date window and its label."""
    day = as_date(as_of)
    cleaned = clean_question(raw)
    windows = find_dates(cleaned, day)
    window = combine(windows)
    text = remove_spans(cleaned, [w.span for w in windows])
    text = re.sub(r"^[\s,;:.!?-]+|\s+([,;:.!?])", lambda m: m.group(1) or "", text).strip()
    text = _WS.sub(" ", _ORPHAN_POSSESSIVE.sub("", text)).strip()  # "at this week's awards" lost its date: not "at 's awards"
    return ParsedQuestion(
        original=raw,
        text=text,
        shown=cleaned,
        phrases=extract_phrases(text),
        date_from=window.start if window else None,
        date_to=window.end if window else None,
        date_label=window.label if window else "",
    )
