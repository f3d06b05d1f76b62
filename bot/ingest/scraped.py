"""Scraped pages: a first line ``date YYYY-MM-DD`` followed by the whole page text, site chrome included.

The seed (``corpus/dw-2022-11-29-nato-bucharest.txt``) shows the shape such pages share: accessibility
skip links, photos as a caption line glued to an ``Image: …`` credit line, short category labels above
the headline, a freshness stamp ("17 minutes ago") below it, a short link alone on a line, the body,
an agency credit line ("rc/dj (AFP, dpa, Reuters, AP)") and, after it, teasers of unrelated stories.
The rules below are about that structure, not about the seed's strings; whatever they leave is then
cleaned like every other source (learned chrome, dateline, flagging).
"""

from __future__ import annotations

import re
from pathlib import Path

from .clean import is_prose, is_relative_time, is_timestamp_line, sanitize
from .records import RawRecord, RecordIssue

HEADER = re.compile(r"^\s*date[ \t]+(\d{4}-\d{2}-\d{2})\b[ \t]*(.*)$")
_SKIP_LINK = re.compile(
    r"^(?:\d+\.\s*)?Skip to (?:the )?(?:main )?(?:content|navigation|main|search)\b", re.IGNORECASE
)
_URL_ALONE = re.compile(r"^(?:https?://|www\.)\S+$")
_IMAGE_CREDIT = re.compile(r"^(?:Image|Photo|Picture|Foto|Bild|Credit|Source)s?\s*:\s*\S", re.IGNORECASE)
_AGENCY_CREDIT = re.compile(
    r"^(?:[a-z]{1,4}(?:\s*/\s*[a-z]{1,4})*\s*)?\((?:[A-Z][\w.&'-]*(?:\s[\w.&'-]+)?)(?:\s*,\s*[A-Za-z][\w.&'-]*(?:\s[\w.&'-]+)?)*\)$"
)
_TITLE_SEARCH_SPAN = 15
"""How many non-blank lines from the top may hold the headline's freshness stamp."""


def looks_scraped(head: str) -> bool:
    """True when a file starts like the seed (``date YYYY-MM-DD``)."""
    return HEADER.match(head.lstrip("\ufeff").split("\n", 1)[0]) is not None


def _drop_page_furniture(lines: list[str]) -> list[str]:
    """Remove skip links and photo blocks (a credit line and the caption line glued above it)."""
    drop = set()
    for i, line in enumerate(lines):
        if _SKIP_LINK.match(line):
            drop.add(i)
        elif _IMAGE_CREDIT.match(line) and len(line.split()) <= 12:
            drop.add(i)
            if i > 0 and lines[i - 1] and (i - 1) not in drop and not is_prose(lines[i - 1]):
                drop.add(i - 1)
    return [line for i, line in enumerate(lines) if i not in drop]


def _find_title(lines: list[str]) -> int | None:
    """Index of the headline: the line just above the first freshness stamp, else the first real line.

    Lines above it are labels ("PoliticsUkraine") and are dropped with it out of the body.
    """
    seen = 0
    for i, line in enumerate(lines):
        if not line:
            continue
        seen += 1
        if seen > _TITLE_SEARCH_SPAN:
            break
        if is_timestamp_line(line, header=True):
            for j in range(i - 1, -1, -1):
                if lines[j] and len(lines[j].split()) >= 2:
                    return j
            break
    for i, line in enumerate(lines):
        if len(line.split()) >= 4:
            return i
    return None


def _cut_trailer(body: list[str]) -> tuple[list[str], str]:
    """Split off the agency credit and what follows it (teasers); without a credit line, cut the teaser
    block that ends in a relative time stamp ("Politics1 hour ago") after the article's prose."""
    for i, line in enumerate(body):
        if _AGENCY_CREDIT.match(line) and any(is_prose(b) for b in body[:i]):
            return body[:i], line
    seen_prose = False
    for i, line in enumerate(body):
        if is_prose(line):
            seen_prose = True
        elif seen_prose and is_relative_time(line):
            start = i
            while start > 0 and (not body[start - 1] or not is_prose(body[start - 1])):
                start -= 1
            return body[:start], ""
    return body, ""


def parse_scraped(text: str, where: str, fallback_url: str) -> RawRecord | RecordIssue:
    """One scraped page as a raw record (title, date, link, credit and body without page furniture)."""
    raw_lines = sanitize(text).split("\n")
    m = HEADER.match(raw_lines[0].lstrip("\ufeff")) if raw_lines else None
    if m is None:
        return RecordIssue(where, "not a scraped page: the first line is not 'date YYYY-MM-DD'")
    lines = [" ".join(line.split()) for line in [m.group(2), *raw_lines[1:]]]
    lines = _drop_page_furniture(lines)
    title_at = _find_title(lines)
    if title_at is None:
        return RecordIssue(where, "missing title: no headline found in the page")
    title = lines[title_at]
    body, credit = _cut_trailer(lines[title_at + 1 :])
    link = ""
    paragraphs = []
    for line in body:
        if not line:
            continue
        if _URL_ALONE.match(line):
            link = link or line
            continue
        if is_relative_time(line) or (not paragraphs and is_timestamp_line(line, header=True)):
            continue
        paragraphs.append(line)
    if link and not link.startswith("http"):
        link = "https://" + link
    return RawRecord(
        where=where,
        url=link or fallback_url,
        title=title,
        text="\n".join(paragraphs),
        published=m.group(1),
        credit=credit,
    )


def read_scraped(path: Path) -> RawRecord | RecordIssue:
    """Read and parse one scraped page file."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RecordIssue(str(path), f"not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start})")
    return parse_scraped(text, str(path), path.resolve().as_uri())
