"""News-aware ranking on top of BM25: as-of cut, recency prior, title match, quotes, diversity, reprints.

The search index ranks *documents*; the user is shown *quotes*. Measured on the dev questions, BM25 finds
the right article far more often than it ranks the right passage first, so we rank articles first
(BM25 over title + body, which sees every word of the story) and then look for the best sentences inside
each of the top articles, scoring a result by both. On top of that:

- nothing published after ``as_of`` is ever used (the index filters it before top-k);
- among close scores recent wins: a hyperbolic prior ``score / (1 + age / τ)`` (gentler than a hard
  window or an exponential, which both cost recall at 5 and 10 on the dev set);
- words of the question in the title add a little (BM25 over title+body under-weights a title match);
- pages that are quizzes (a list of questions with their options) are junk as answers: they quote the
  question, not the news, so they are dropped;
- the first results come from different articles; further quotes from an article already shown come
  after them; the same story reprinted by several outlets (same title or same quoted text) shows once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.models import Article

from .quote import MAX_QUOTE_CHARS, Selection, select_quotes

_QUIZ = re.compile(r"\bquiz\b", re.IGNORECASE)
_NONWORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class RankConfig:
    """The knobs of ranking, tuned on the dev questions (see ``python -m bot eval``)."""

    pool: int = 200  # articles fetched from BM25 before the news-aware reranking
    articles: int = 20  # top reranked articles whose text is searched for quotes
    quotes_per_article: int = 2
    recency_days: float = 90.0  # τ of the hyperbolic prior; 0 disables it
    title_bonus: float = 0.5  # × the IDF of question words found in the title
    article_weight: float = 1.0  # weight of the (normalized) article score in a result's score
    quote_weight: float = 2.0  # weight of the share of the question's IDF mass the quote covers
    phrase_bonus: float = 0.5  # a quoted phrase found verbatim in the quote
    distinct_first: int = 5  # the first N results come from different articles
    # Below this share of the question's IDF mass in the best title + quote (of the top 3): no answer.
    # 0.55 makes 52 % of unanswerable dev questions get "no answer"; it costs 6 points of recall@5.
    min_confidence: float = 0.55
    date_slack_days: int = 1  # news of a day is often published the day after
    max_quote_chars: int = MAX_QUOTE_CHARS


@dataclass(frozen=True, slots=True)
class Candidate:
    """One quotable result: an article, a quote in it, and the scores that placed it."""

    article: Article
    selection: Selection
    score: float
    article_score: float
    confidence: float  # share of the question's IDF mass in title + quote, 0..1
    nth: int = 0  # 0 = the best quote of its article, 1 = the second, ...


def recency_prior(age_days: int, tau: float) -> float:
    """Multiplier for an article ``age_days`` old: 1 today, 1/2 at τ days, 1/3 at 2τ."""
    if tau <= 0:
        return 1.0
    return 1.0 / (1.0 + max(age_days, 0) / tau)


def is_junk_page(article: Article) -> bool:
    """Pages that never answer anything: quizzes (they list the question and every option)."""
    return bool(_QUIZ.search(article.title or ""))


def title_match(title_terms: set[str], weights: Mapping[str, float]) -> float:
    """IDF mass of the question's terms that appear in the title."""
    return sum(w for t, w in weights.items() if t in title_terms)


def rerank_articles(
    hits: Iterable[tuple[int, float]],
    articles: Mapping[int, Article],
    weights: Mapping[str, float],
    as_of: date,
    config: RankConfig,
    analyze: object,
) -> list[tuple[Article, float]]:
    """BM25 article hits re-scored with the title bonus and the recency prior, best first.

    Articles after ``as_of``, deleted, flagged or junk ones are dropped here too (defence in depth:
    the index filter already drops the first three).
    """
    scored: list[tuple[Article, float]] = []
    for article_id, bm25 in hits:
        article = articles.get(article_id)
        if article is None or article.deleted or article.flagged or article.published > as_of:
            continue
        if is_junk_page(article):
            continue
        score = bm25
        if config.title_bonus:
            score += config.title_bonus * title_match(set(analyze(article.title)), weights)  # type: ignore[operator]
        score *= recency_prior((as_of - article.published).days, config.recency_days)
        scored.append((article, score))
    scored.sort(key=lambda x: (-x[1], -x[0].published.toordinal(), x[0].id or 0))
    return scored


def quote_candidates(
    ranked: Sequence[tuple[Article, float]],
    weights: Mapping[str, float],
    phrases: Sequence[str],
    config: RankConfig,
    analyze: object,
) -> list[Candidate]:
    """The best quotes of the top articles, each scored by article score and quote coverage."""
    if not ranked:
        return []
    top = ranked[0][1] or 1.0
    total = sum(weights.values()) or 1.0
    lowered = [p.lower() for p in phrases]
    out: list[Candidate] = []
    for article, art_score in ranked[: config.articles]:
        title_terms = set(analyze(article.title))  # type: ignore[operator]
        selections = select_quotes(
            article.text, weights, n=config.quotes_per_article, max_chars=config.max_quote_chars
        )
        for nth, sel in enumerate(selections):
            if not sel.quote.text:
                continue
            quote_terms = {sel.quote.text[s:e] for s, e in sel.quote.highlights}
            covered = title_terms | set(analyze(" ".join(quote_terms)))  # type: ignore[operator]
            confidence = sum(w for t, w in weights.items() if t in covered) / total
            score = config.article_weight * art_score / top + config.quote_weight * sel.score / total
            if lowered and any(p in sel.quote.text.lower() for p in lowered):
                score += config.phrase_bonus
            out.append(Candidate(article, sel, score, art_score, confidence, nth))
    out.sort(key=lambda c: (-c.score, c.nth))
    return out


def story_key(article: Article) -> str:
    """Key under which reprints of one story collide: the title without punctuation and site suffix."""
    title = unicodedata.normalize("NFKC", article.title or "").casefold()
    title = re.split(r"\s+[|\-–—]\s+(?=[^|\-–—]*$)", title)[0]  # "Title - CNN" → "Title"
    return _NONWORD.sub(" ", title).strip()


def _quote_key(candidate: Candidate) -> str:
    text = candidate.selection.quote.text.casefold()
    return _NONWORD.sub(" ", text).strip()


def arrange(candidates: Sequence[Candidate], distinct_first: int) -> list[Candidate]:
    """Final order: reprints removed, the first ``distinct_first`` from different articles.

    A reprint is the same story under another URL (same title, or the same quoted text); its best
    quote was already shown. Later quotes of an article already shown keep their place after the
    distinct head, so a user paging with "More" still sees them.
    """
    seen_story: dict[str, int] = {}
    seen_quote: set[str] = set()
    unique: list[Candidate] = []
    for c in candidates:
        aid = c.article.id or 0
        key = story_key(c.article)
        if key and seen_story.setdefault(key, aid) != aid:
            continue
        qkey = _quote_key(c)
        if qkey in seen_quote:
            continue
        seen_quote.add(qkey)
        unique.append(c)
    head: list[Candidate] = []
    rest: list[Candidate] = []
    shown: set[int] = set()
    for c in unique:
        aid = c.article.id or 0
        if len(head) < distinct_first and aid not in shown:
            head.append(c)
            shown.add(aid)
        else:
            rest.append(c)
    return head + rest


def with_confidence_floor(candidates: list[Candidate], floor: float) -> list[Candidate]:
    """All candidates when the best one is confident enough, else none (the no-answer case)."""
    if not candidates or max(c.confidence for c in candidates[:3]) < floor:
        return []
    return candidates


def renumber(candidates: list[Candidate]) -> list[Candidate]:
    """Candidates with ``nth`` recomputed after filtering (0 for the first quote shown per article)."""
    count: dict[int, int] = {}
    out = []
    for c in candidates:
        aid = c.article.id or 0
        out.append(replace(c, nth=count.get(aid, 0)))
        count[aid] = count.get(aid, 0) + 1
    return out
