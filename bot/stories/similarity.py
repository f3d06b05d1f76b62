"""Whether two articles report the same event: small pure functions over an article's fingerprint.

A fingerprint holds what a reader compares first: the title, the lead (the first hundred words or so)
and the publication day. Terms are weighted by how rare they are in the corpus (an idf from the article
index's document frequencies, smoothed so that a small store behaves like a larger one, see
:class:`TermWeights`): sharing "Griner", "Bout" and "swap" counts for much, sharing "said" or
"president" for little, so names and numbers in common weigh by their rarity. Two measures are combined
(:func:`similarity`):

- the cosine of the two weighted term vectors (title terms boosted), and
- the *title coverage*: how much of each title (by weight) the other article's title and lead contain,
  the smaller of the two. A roundup ("Juul ban, Jan. 6 hearings, Title IX …") contains the Juul story,
  but the Juul story does not contain the roundup's title, so the pair scores low.

Roundups and newsletters that cover several stories never join a story (:func:`is_roundup`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.models import Article
from bot.search.analyzer import Analyzer, default_analyzer

#: Words of the body read as its lead.
LEAD_WORDS = 100
#: How much more a title term counts than a body term in the cosine.
TITLE_BOOST = 3.0
#: Weight of the title coverage beside the cosine.
COVERAGE_WEIGHT = 0.5
#: Pseudo-documents in which no term occurs: keeps idf meaningful in a store of a few articles.
PRIOR_DOCS = 1000

Weight = Callable[[str], float]

# Site names and furniture that titles carry ("… - CNN", "… | The Week UK", a trailing "...").
_TITLE_TAIL = re.compile(r"\s*(?:\s[-|–—]\s+[^-|–—]{1,40}|\.\.\.|…)\s*$")
# Titles of pieces that cover several stories: daily briefs, quizzes, podcasts, newsletters.
_ROUNDUP_TITLE = re.compile(
    r"\b(?:\d+|five|ten) things\b|\bthings (?:you need )?to know\b|\bquiz\b|\bnewsletter\b|\bpodcast\b"
    r"|\bbriefing\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day's news\b|\bnews in \d+ minutes\b"
    r"|\bwhat we know today\b|\bnews (?:roundup|digest)\b",
    re.IGNORECASE,
)
# The openings of such pieces.
_ROUNDUP_LEAD = re.compile(
    r"\bepisode of\b[^.]{0,40}\bpodcast\b|\bup to speed on the latest headlines\b|\btoday's top stories\b"
    r"|\bhere are (?:the )?(?:top|biggest) stories\b|,[^,.!]{0,30} readers!|\btime for the news\b"
    r"|\bit's (?:mon|tues|wednes|thurs|fri|satur|sun)day[.!]",
    re.IGNORECASE,
)


class TermWeights:
    """Smoothed idf of analyzed terms: ``log((N + PRIOR + 1) / (df + 1))``.

    ``df`` and ``n_docs`` normally come from the article index (documents containing a term, live
    documents). The prior of :data:`PRIOR_DOCS` documents without the term keeps every term rare-ish in a
    store of a handful of articles (tests, a fresh bot), where raw idf would call the story's own words
    common; on the 26k-article corpus it changes little.
    """

    def __init__(
        self, df: Callable[[str], int] | None = None, n_docs: Callable[[], int] | None = None
    ) -> None:
        self._df = df or (lambda term: 0)
        self._n_docs = n_docs or (lambda: 0)
        self._cache: dict[str, float] = {}
        self._n = -1

    def __call__(self, term: str) -> float:
        weight = self._cache.get(term)
        if weight is None:
            weight = math.log((self._n + PRIOR_DOCS + 1) / (self._df(term) + 1))
            self._cache[term] = weight
        return weight

    def refresh(self) -> None:
        """Forget cached weights if the collection changed size (call once per batch, not per term)."""
        n = self._n_docs()
        if n != self._n:
            self._cache.clear()
            self._n = n

    @classmethod
    def of_retriever(cls, retriever: object) -> TermWeights:
        """Weights from a retriever's article index when it has one (ours), else flat weights.

        The index is looked up on each use: a rebuild replaces the retriever's index object.
        """
        if not hasattr(getattr(retriever, "articles", None), "df"):
            weights = cls()
        else:
            weights = cls(
                lambda term: int(retriever.articles.df(term)),  # type: ignore[attr-defined]
                lambda: int(retriever.articles.n_docs),  # type: ignore[attr-defined]
            )
        weights.refresh()
        return weights


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The comparable parts of one article, weighted."""

    day: int  # the publication date as an ordinal
    source: str
    roundup: bool
    title: dict[str, float]  # title term -> weight
    title_weight: float
    vector: dict[str, float]  # title and lead terms -> weight (title boosted, tf damped)
    norm: float
    terms: frozenset[str]  # title and lead terms (the vector's keys; what another title is looked up in)


def clean_title(title: str) -> str:
    """The title without a trailing site name or ellipsis."""
    previous = None
    while previous != title:
        previous, title = title, _TITLE_TAIL.sub("", title)
    return title


def lead_of(text: str, words: int = LEAD_WORDS) -> str:
    """The first ``words`` words of the body."""
    return " ".join(text.split(maxsplit=words)[:words])


def is_roundup(title: str, text: str) -> bool:
    """A brief, quiz, podcast or newsletter covering several stories (it belongs to none of them)."""
    if _ROUNDUP_TITLE.search(title) or _ROUNDUP_LEAD.search(text[:400]):
        return True
    parts = [p.strip() for p in re.split(r"[,;]", clean_title(title))]
    # "Juul ban, Jan. 6 hearings, Title IX, planets aligning": a list of headlines, not one
    return len(parts) >= 3 and sum(1 for p in parts if p[:1].isupper() or p[:1].isdigit()) >= 3


def fingerprint(article: Article, weight: Weight, analyzer: Analyzer | None = None) -> Fingerprint:
    """The fingerprint of one article under the current term weights."""
    analyzer = analyzer or default_analyzer()
    title = clean_title(article.title)
    lead = lead_of(article.text)
    title_terms = analyzer.terms(title)
    title_weights = {t: weight(t) for t in title_terms}
    counts = Counter(analyzer.analyze(lead))
    vector = {t: weight(t) * (1.0 + math.log(n)) for t, n in counts.items()}
    for t in title_terms:
        vector[t] = vector.get(t, 0.0) + weight(t) * TITLE_BOOST
    return Fingerprint(
        day=article.published.toordinal(),
        source=article.source,
        roundup=is_roundup(article.title, article.text),
        title=title_weights,
        title_weight=sum(title_weights.values()),
        vector=vector,
        norm=math.sqrt(sum(w * w for w in vector.values())),
        terms=frozenset(vector),
    )


def cosine(a: Fingerprint, b: Fingerprint) -> float:
    """Cosine of the two weighted term vectors."""
    if not a.norm or not b.norm:
        return 0.0
    va, vb = a.vector, b.vector
    return sum(va[t] * vb[t] for t in a.terms & b.terms) / (a.norm * b.norm)


def coverage(a: Fingerprint, b: Fingerprint) -> float:
    """The share (by weight) of ``a``'s title found in ``b``'s title or lead."""
    return sum(a.title.get(t, 0.0) for t in a.terms & b.terms) / a.title_weight if a.title_weight else 0.0


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How alike two articles are, in [0, 1.5]: cosine plus half the smaller title coverage.

    One pass over the shared terms (this runs for every pair of nearby articles).
    """
    shared = a.terms & b.terms
    if not shared or not a.norm or not b.norm or not a.title_weight or not b.title_weight:
        return 0.0
    va, vb, ta, tb = a.vector, b.vector, a.title, b.title
    dot = cover_a = cover_b = 0.0
    for t in shared:
        dot += va[t] * vb[t]
        cover_a += ta.get(t, 0.0)
        cover_b += tb.get(t, 0.0)
    return dot / (a.norm * b.norm) + COVERAGE_WEIGHT * min(cover_a / a.title_weight, cover_b / b.title_weight)
