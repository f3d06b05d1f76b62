"""From a raw record to the Article the store keeps: validation, cleaning, flagging.

The same two functions serve the first pass (``prepare_lines``, whose lines are counted to learn the
chrome) and the second (``build_article``), so what is learned is exactly what is later removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.models import Article, source_of

from .chrome import ChromeModel, Removal
from .clean import (
    DateError,
    cap_paragraphs,
    clean_title,
    has_markup,
    is_prose,
    is_timestamp_line,
    join_paragraphs,
    parse_date,
    sanitize,
    site_label,
    split_lines,
    strip_dateline,
    strip_wire_dateline,
)
from .furniture import strip_furniture
from .records import RawRecord, RecordIssue

_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Direction marks, embeddings, overrides and isolates: in a title or URL they only serve to disguise it
#: (``https://q.example/\u202egnp.exe`` displays as "…exe.png"), so they never reach a stored title or URL.
_DIRECTION_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_DATELINE_SPAN = 3
"""The dateline sits in the first paragraph, sometimes after an editor's note: look this far."""
_WIRE_DATELINE_SPAN = 5
"""Another source's dateline may follow a page's highlights (three short lines): look this far for it."""
_MIN_FORM_WORDS = 50
"""A page with no sentence at all and fewer words than this is a form or a menu, not an article."""


@dataclass(slots=True)
class Built:
    """A cleaned article and what cleaning did to it (for the summary)."""

    article: Article
    removals: list[Removal] = field(default_factory=list)
    warnings: list[RecordIssue] = field(default_factory=list)
    where: str = ""


def normalize_record(raw: RawRecord) -> RawRecord:
    """Make the identifying fields safe before anything hashes or stores them (no control characters,
    no lone surrogates, no direction overrides, one line): both passes see the same URL, hence the same
    uid."""
    raw.url = _DIRECTION_CONTROLS.sub("", _one_line(raw.url))
    raw.title = _DIRECTION_CONTROLS.sub("", raw.title)
    raw.source = _one_line(raw.source)
    return raw


def record_source(raw: RawRecord) -> str:
    """The source (host) a record belongs to: chrome is learned per source."""
    return raw.source or source_of(raw.url)


def prepare_lines(raw: RawRecord) -> list[str]:
    """The record's text as clean, whitespace-normalised, non-empty lines (one paragraph each)."""
    return split_lines(sanitize(raw.text))


def _drop_stamps(lines: list[str], removals: list[Removal]) -> list[str]:
    kept = []
    header = True
    for line in lines:
        if is_timestamp_line(line, header):
            removals.append(Removal("timestamp", "(publication time stamp line)"))
            continue
        header = header and not is_prose(line)
        kept.append(line)
    return kept


def _drop_dateline(lines: list[str], label: str, removals: list[Removal]) -> list[str]:
    """Strip the dateline: the site's own as a prefix of one of the first paragraphs or as a line of its
    own anywhere (pages often put photo captions first); another source's ('WASHINGTON –', 'GENEVA (AP)
    —') as a prefix of one of the first paragraphs."""
    for i, line in enumerate(lines):
        rest = None
        if i < _DATELINE_SPAN or (len(line) <= 80 and line[-1] in "—–-"):
            rest = strip_dateline(line, label)
            if rest and i >= _DATELINE_SPAN:
                rest = None  # further down, only a dateline standing on its own line
        if rest is None and i < _WIRE_DATELINE_SPAN:
            rest = strip_wire_dateline(line)
        if rest is None:
            continue
        removals.append(Removal("dateline", line[: len(line) - len(rest)].strip()))
        return lines[:i] + ([rest] if rest else []) + lines[i + 1 :]
    return lines


def flag_reason(paragraphs: list[str]) -> str | None:
    """Why a cleaned page has no real body (it is then stored but never indexed), or None."""
    if not paragraphs:
        return "no article text left after removing site chrome"
    if not any(is_prose(p) for p in paragraphs) and sum(len(p.split()) for p in paragraphs) < _MIN_FORM_WORDS:
        return "no article prose: the page is a form, menu or labels only"
    return None


def _validate(raw: RawRecord, lines: list[str], today: date | None) -> tuple[str, date] | RecordIssue:
    title = clean_title(raw.title, record_source(raw))
    if not title:
        return RecordIssue(raw.where, "missing title")
    if not lines:
        return RecordIssue(raw.where, "missing text")
    try:
        published = parse_date(raw.published, today)
    except DateError as exc:
        return RecordIssue(raw.where, str(exc))
    return title, published


def build_article(
    raw: RawRecord, lines: list[str], model: ChromeModel, today: date | None = None
) -> Built | RecordIssue:
    """Validate and clean one record; an issue (not stored) when title, text or date is unusable."""
    valid = _validate(raw, lines, today)
    if isinstance(valid, RecordIssue):
        return valid
    title, published = valid
    if not raw.url:
        return RecordIssue(raw.where, "missing url")
    source = record_source(raw)
    warnings = []
    if has_markup(raw.text) or _CONTROL_CHARS.search(raw.text):
        warnings.append(RecordIssue(raw.where, "markup or control characters removed", fatal=False))
    removals: list[Removal] = []
    paragraphs = _drop_stamps(lines, removals)
    paragraphs, chrome = model.strip(source, paragraphs)
    removals.extend(chrome)
    paragraphs, furniture = strip_furniture(paragraphs)  # the author block goes before the dateline
    removals.extend(furniture)
    paragraphs = _drop_dateline(paragraphs, site_label(source), removals)
    if paragraphs and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]  # extractors often repeat the headline as the first line
    paragraphs, truncated = cap_paragraphs(paragraphs)
    if truncated:
        warnings.append(RecordIssue(raw.where, f"text capped at {len(join_paragraphs(paragraphs)):,} characters",
                                    fatal=False))  # fmt: skip
    article = Article(
        url=raw.url,
        title=title,
        text=join_paragraphs(paragraphs),
        published=published,
        source=source,
        authors=tuple(a for a in (_one_line(a) for a in raw.authors) if a),
        credit=_one_line(raw.credit),
        flagged=flag_reason(paragraphs),
        summary=raw.summary,
        removed_lines=len(removals),
    )
    return Built(article, removals, warnings, raw.where)


def _one_line(value: str) -> str:
    return " ".join(sanitize(value).split())
