"""Text cleaning shared by every source: markup and control characters, lines, titles, dates.

The bot quotes articles verbatim, so cleaning here never rewrites a sentence: it removes markup,
control characters and whole chrome lines (or a dateline prefix), and normalises whitespace. The
learned, per-source chrome (lines repeated across many articles) lives in :mod:`bot.ingest.chrome`;
this module holds the rules that need no learning.
"""

from __future__ import annotations

import html
import re
import time
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_TEXT_CHARS = 200_000
"""Longest body kept; longer texts (scrape accidents, whole-site dumps) are cut at a paragraph break."""

EARLIEST_DATE = date(1900, 1, 1)
FUTURE_SLACK = timedelta(days=2)
"""Time zones and clock skew can put a fresh article a day ahead; further ahead is a bad date."""

# -- characters and markup -------------------------------------------------------------------------

_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\u2060\ufeff\u00ad\ufffe\uffff\ud800-\udfff]"
)
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")
_HTML_TAGS = (
    "a|abbr|article|aside|audio|b|big|blockquote|body|br|button|caption|center|cite|code|dd|del|div|dl|dt|em|"
    "figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|label|li|link|main|"
    "mark|meta|nav|noscript|ol|option|p|picture|pre|q|s|script|section|select|small|source|span|strong|style|"
    "sub|sup|svg|table|tbody|td|textarea|tfoot|th|thead|time|title|tr|u|ul|video"
)
_INVISIBLE_BLOCKS = re.compile(
    r"<(script|style|noscript|template|svg)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|table|section|article|header|footer|figure|figcaption|"
    r"pre|hr|dd|dt|main|aside|nav)\b[^<>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(rf"</?(?:{_HTML_TAGS})\b[^<>]*>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def has_markup(text: str) -> bool:
    """True when the text carries HTML tags or entities (worth a note: the source was not plain text)."""
    return ("<" in text and _TAG.search(text) is not None) or (
        "&" in text and _ENTITY.search(text) is not None
    )


def sanitize(text: str) -> str:
    """Plain text from what a source gave: no markup, no control characters, ``\\n`` line breaks.

    Block-level tags become line breaks so paragraphs survive; inline tags vanish; entities are
    decoded. Cheap on plain text (each step is skipped when its trigger character is absent), which
    matters for the 216 MB corpus.
    """
    if "\r" in text or "\u2028" in text or "\u2029" in text or "\x85" in text:
        text = _LINE_BREAKS.sub("\n", text)
    if "<" in text:
        text = _INVISIBLE_BLOCKS.sub(" ", text)
        text = _COMMENT.sub(" ", text)
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return _CONTROL.sub("", text)


def split_lines(text: str) -> list[str]:
    """Non-empty lines with whitespace runs collapsed to one space (each line is one paragraph).

    Lines come out single-spaced, so callers may count words as ``line.count(" ") + 1``. Most corpus
    lines are already clean; the cheap C-level checks spare them the split/join (this runs on 216 MB).
    """
    out = []
    for line in text.split("\n"):
        if not line:
            continue
        if not line.isprintable() or "  " in line or line[0] == " " or line[-1] == " ":
            line = " ".join(line.split())  # tabs, no-break and other exotic spaces, runs
            if not line:
                continue
        out.append(line)
    return out


def join_paragraphs(paragraphs: list[str]) -> str:
    """The stored body: paragraphs separated by one blank line (the search splits passages on it)."""
    return "\n\n".join(paragraphs)


def cap_paragraphs(paragraphs: list[str], limit: int = MAX_TEXT_CHARS) -> tuple[list[str], bool]:
    """Keep whole paragraphs up to ``limit`` characters; True when something was cut."""
    kept: list[str] = []
    size = 0
    for para in paragraphs:
        extra = len(para) + (2 if kept else 0)
        if size + extra > limit:
            if not kept:  # one giant paragraph: keep its start, cut at a word boundary
                cut = para.rfind(" ", 0, limit)
                kept.append(para[: cut if cut > 0 else limit])
            return kept, True
        kept.append(para)
        size += extra
    return kept, False


# -- prose, timestamps, datelines -------------------------------------------------------------------

_PROSE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def is_prose(line: str) -> bool:
    """A sentence-like line: several words ending in sentence punctuation (forms and labels are not)."""
    return len(line.split()) >= 5 and _PROSE_END.search(line) is not None


def ends_like_sentence(line: str) -> bool:
    """The line ends with sentence punctuation (widgets and headings usually do not)."""
    return _PROSE_END.search(line) is not None


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:Mon|Tue|Tues|Wed|Wednes|Thu|Thur|Thurs|Fri|Sat|Satur|Sun)(?:day)?\.?,?\s+)?"
_CLOCK = (
    r"\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?|[AP]\.?M\.?)?"
    r"(?:\s*(?:ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|GMT|UTC|BST|CET|CEST))?"
)
_DATE = (
    rf"(?:{_WEEKDAY}{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|{_WEEKDAY}\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|"
    r"\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?)"
)
_STAMP_WORD = (
    r"(?:Updated|Published|Posted|Last updated|Originally published|Modified|First published)(?::|\s+on)?"
)
_STAMP = rf"(?:{_DATE}|{_CLOCK})(?:(?:,?\s+|\s*[|•·]\s*)(?:at\s+)?(?:{_DATE}|{_CLOCK}))*"
_TIMESTAMP_LINE = re.compile(
    rf"^(?:{_STAMP_WORD}\s+)?{_STAMP}(?:\s*(?:\|\s*)?{_STAMP_WORD}\s+{_STAMP})?\.?$", re.IGNORECASE
)
_STAMPED_LINE = re.compile(rf"^{_STAMP_WORD}\s+{_STAMP}$", re.IGNORECASE)
_RELATIVE_TIME = re.compile(
    r"^(?P<label>[^\d]{0,40}?)\s*(?:(?:\d+|an?|one)\s+(?:sec(?:ond)?|min(?:ute)?|hour|hr|day|week|month|year)s?"
    r"\s+ago|just now)$",
    re.IGNORECASE,
)


def is_relative_time(line: str) -> bool:
    """'17 minutes ago', 'Politics1 hour ago': a teaser's freshness stamp, never article text."""
    m = _RELATIVE_TIME.match(line)
    if m is None:
        return False
    label = m.group("label").split()  # a section label ("Politics"), never the start of a sentence
    return len(label) <= 3 and all(word[:1].isupper() for word in label)


def is_timestamp_line(line: str, header: bool) -> bool:
    """A line that is only a publication stamp.

    'Updated …' stamps are chrome anywhere; a bare date or clock line only in the header region (before
    the first prose paragraph), because timelines legitimately use dates as headings further down.
    """
    if len(line) > 90:
        return False
    if is_relative_time(line) or _STAMPED_LINE.match(line):
        return True
    return header and _TIMESTAMP_LINE.match(line) is not None


_DASH_DATELINE = re.compile(r"^(?P<head>[^—–\n]{1,60}?)\s*(?:—|–|--)\s*")
_PAREN_DATELINE = re.compile(r"^(?P<place>[^()\n]{0,40}?)\s*\((?P<site>[^()\n]{1,30})\)\s*(?:(?:—|–|--)\s*)?")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def squash(text: str) -> str:
    """Lower-case letters and digits only: 'USA TODAY' and 'usatoday' compare equal."""
    return _NOT_ALNUM.sub("", text.casefold())


def _is_site_words(words: list[str], label: str) -> bool:
    """Capitalised words naming the site (e.g. 'CNN Business' for label 'cnn')."""
    if not words or len(words) > 3 or not label:
        return False
    if not all(w[:1].isupper() or w[:1].isdigit() for w in words):
        return False
    squashed = squash("".join(words))
    return squashed.startswith(label) or squashed.removeprefix("the").startswith(label)


def _is_place(words: list[str]) -> bool:
    """A dateline place: a few capitalised words ('Seoul, South Korea', 'Washington, DC')."""
    return len(words) <= 6 and all(w[:1].isupper() for w in words)


def strip_dateline(line: str, label: str) -> str | None:
    """The line without a leading site dateline ('Washington CNN —', '(CNN)'), or None if it has none.

    Only a dateline that names the article's own site counts here, wherever it stands (a line of its
    own further down is a page's dateline too); another source's 'CHICAGO (AP) —' is recognised by
    :func:`strip_wire_dateline`, which is only trusted at the start of the first paragraphs.
    """
    m = _DASH_DATELINE.match(line)
    if m:
        words = m.group("head").replace(",", " ").split()
        for i in range(len(words)):
            if _is_site_words(words[i:], label) and _is_place(words[:i]):
                return line[m.end() :]
    m = _PAREN_DATELINE.match(line)
    if (
        m
        and _is_site_words(m.group("site").split(), label)
        and _is_place(m.group("place").replace(",", " ").split())
    ):
        return line[m.end() :]
    return None


_WIRE_DATELINE = re.compile(
    r"^(?:(?P<caps>[A-Z][A-Z.'’-]*(?:\s[A-Z][A-Z.'’-]*){0,3})(?:,\s*[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){0,2})?"
    r"|(?P<city>[A-Z][a-z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){0,2},\s*[A-Z][a-z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){0,2}))?"
    r"\s*(?P<agency>\([A-Z][\w.&' ]{0,24}\))?\s*(?:—|–|--|-)\s+(?=\S)"
)


def strip_wire_dateline(line: str) -> str | None:
    """The paragraph without a leading dateline of any source ('WASHINGTON –', 'LAHAINA, Hawaii —',
    'GENEVA (AP) —', '(AP) —', 'Cannes, France —'), or None if it has none.

    A dateline is a place in capitals (or 'City, Region'), an agency in parentheses, or both, then a
    dash; callers apply it to the first paragraphs only, where a lead sentence does not start that way.
    """
    m = _WIRE_DATELINE.match(line)
    if m is None or not (m.group("caps") or m.group("city") or m.group("agency")):
        return None
    caps = m.group("caps")
    if caps and not m.group("agency") and sum(c.isalpha() for c in caps) < 3:
        return None  # 'A — ...' is a list item, not a place
    return line[m.end() :]


# -- titles ---------------------------------------------------------------------------------------

_TITLE_SEP = re.compile(r"\s+[-|–—•·]\s+")
_GENERIC_HOST_PARTS = {"co", "com", "org", "net", "ac", "gov", "edu"}


def site_label(source: str) -> str:
    """The name-bearing part of a host: 'cnn' for edition.cnn.com, 'theweek' for theweek.co.uk."""
    parts = [p for p in source.lower().split(".") if p]
    if len(parts) >= 2:
        parts = parts[:-1]
    if len(parts) >= 2 and parts[-1] in _GENERIC_HOST_PARTS:
        parts = parts[:-1]
    return squash(parts[-1]) if parts else ""


def clean_title(title: str, source: str) -> str:
    """The headline without markup and without a trailing ' - Site' / ' | Site Section' suffix.

    The suffix is recognised by its words naming the source's site (' | CNN Politics', ' - USA Today',
    ' | The Week UK'), not by a list of strings, so new sources work too.
    """
    text = " ".join(sanitize(title).split())
    label = site_label(source)
    while True:
        seps = list(_TITLE_SEP.finditer(text))
        if not seps:
            return text
        last = seps[-1]
        tail = text[last.end() :].rstrip(" .…")
        if last.start() == 0 or not _is_site_words(tail.split(), label):
            return text
        text = text[: last.start()].rstrip()


# -- dates ----------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_TEXT_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y", "%m/%d/%Y", "%Y/%m/%d")


class DateError(ValueError):
    """The record's date is missing, unparseable or out of range; the message is the reason."""


def _parse_date_text(value: str) -> date:
    text = value.strip()
    m = _ISO_DATE.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise DateError(f"unparseable date {text[:40]!r}") from None
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _TEXT_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DateError(f"unparseable date {text[:40]!r}")


def parse_date(value: object, today: date | None = None) -> date:
    """A publication date from what a source gave (ISO text, RFC 2822, a date, a struct_time).

    Raises :class:`DateError` when it is missing, unparseable, before 1900 or in the future: a wrong
    date would put the article outside every question's retrieval cut-off, so it is an error, not a
    guess.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DateError("missing date")
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, time.struct_time):
        found = date(value.tm_year, value.tm_mon, value.tm_mday)
    elif isinstance(value, str):
        found = _parse_date_text(value)
    else:
        raise DateError(f"unparseable date of type {type(value).__name__}")
    today = today or date.today()
    if found > today + FUTURE_SLACK:
        raise DateError(f"date {found.isoformat()} is in the future")
    if found < EARLIEST_DATE:
        raise DateError(f"date {found.isoformat()} is before {EARLIEST_DATE.year}")
    return found


_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|-|$)")


def date_from_url(url: str) -> date | None:
    """The date many news URLs carry (/2022/11/29/), a fallback when a page has no date metadata."""
    m = _URL_DATE.search(url)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
