"""A corpus N times the size of a given one, for measuring how the bot scales (``bench/scaling.py``).

Copy ``n`` (1 ≤ n < factor) of an article gets a new URL (so a new id), a date ``n`` days earlier and the
same title and text. The text ends in ``n`` asterisks, a character the analyzer drops: the store's
same-body check (:func:`bot.models.body_fingerprint`) would otherwise take every copy for a duplicate of
its original and store nothing, while the index sees exactly the original's terms. Dates move back, not
forward, so a question dated after an original also finds its copies: the corpus a question searches
grows by the factor, as it would with ten times as many sources over the same years.

The copies are made from the *stored* (cleaned) articles, not by feeding the raw corpus through ingest
ten times: ingest learns site chrome from lines that repeat across articles of a source (see
:mod:`bot.ingest.chrome`), so a paragraph that two originals share would occur in twenty copies and be
stripped as chrome, and the copies would no longer be the same texts.

What a real corpus of that size would have and these copies lack: new words. The vocabulary stays that
of the original corpus, while a real one grows roughly with the square root of the corpus (Heaps' law);
``docs/scaling.md`` says what that changes (little: the vocabulary is a small part of the index).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import timedelta

from bot.models import Article, normalize_url

MARK = "*"
"""Appended ``n`` times to copy ``n``'s text: punctuation, so no term changes (see the module docstring)."""


def copy_of(article: Article, n: int) -> Article:
    """Copy ``n`` (n ≥ 1) of ``article``: a new URL and id, published ``n`` days earlier, the same words."""
    if n < 1:
        raise ValueError("copy numbers start at 1 (0 is the original)")
    return replace(
        article,
        url=f"{normalize_url(article.url)}/copy-{n}",
        published=article.published - timedelta(days=n),
        text=f"{article.text.rstrip()} {MARK * n}",
        id=None,
        seq=0,
    )


def copies(articles: Iterable[Article], factor: int) -> Iterator[Article]:
    """Copies 1 … factor-1 of every live article (deleted ones are skipped): with the originals, ``factor``
    times the corpus. Copies of one article come together, in copy order."""
    if factor < 1:
        raise ValueError("the factor is at least 1")
    for article in articles:
        if article.deleted:
            continue
        for n in range(1, factor):
            yield copy_of(article, n)
