"""What the readers hand to the pipeline: a raw record as found, or an issue with one record.

Every reader (scraped pages, JSON Lines, HTML, feeds) yields these two types only, so the pipeline can
treat all sources alike and one bad record never stops the rest of a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(slots=True)
class RawRecord:
    """One article as a source gave it, before cleaning.

    ``where`` names the record for error messages (``file:line`` or a URL). ``published`` is kept raw
    (a string, a date or None) because validating it is the cleaner's job, with one error vocabulary.
    """

    where: str
    url: str
    title: str
    text: str
    published: date | str | None
    source: str = ""
    authors: tuple[str, ...] = ()
    credit: str = ""
    summary: bool = False  # a feed's own text standing in for a page that could not be fetched


@dataclass(frozen=True, slots=True)
class RecordIssue:
    """A problem with one record (or a whole file) that the summary reports.

    ``fatal`` issues mean the record was not stored (counted as failed, exit status 1); non-fatal ones
    are warnings about a record that was stored anyway (e.g. text capped at the size limit).
    """

    where: str
    reason: str
    fatal: bool = True


@dataclass(frozen=True, slots=True)
class Known:
    """A feed entry whose full article is already stored, so its page was not fetched again.

    Summary-only feeds repeat their entries on every change; re-fetching every linked page each poll
    would hammer the site for articles we have. The summary counts these as unchanged.
    """

    where: str
    url: str
