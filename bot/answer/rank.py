"""News-aware ranking on top of BM25: as-of cut, recency prior, title match, quotes, diversity, reprints.

The search index ranks *documents*; the user is shown *quotes*. Measured on the dev questions, BM25 finds
the right article far more often than it ranks the right passage first, so we rank articles first
(BM25 over title + body, which sees every word of the story) and then look for the best sentences inside
each of the top articles, scoring a result by both. On top of that:

- nothing published after ``as_of`` is ever used (the index filters it before top-k);
- among close scores recent wins: a power-law prior ``score · (1 + age)^-0.1`` (a hard window, an
  exponential and a hyperbolic ``1 / (1 + age / 90 days)`` all cost recall: the right article is often
  months or years older than the question); a question that names
  its time ("this week", "in March") gets the same kind of prior on the distance outside that window
  instead of a filter (a filter lost 2–3 points of recall@5: dates of scraped pages are often off);
- words of the question in the title add a little (BM25 over title+body under-weights a title match);
- pages that are quizzes (a list of questions with their options) are junk as answers: they quote the
  question, not the news, so they are dropped;
- inside each of the top articles, every run of 1–4 sentences within 600 characters is a candidate
  quote, scored by a small linear model over general features (see :mod:`bot.answer.windows`); the
  best windows of all top articles are then ordered by a second linear model that also sees the article
  score and how far the window stands out among its article's, so a second window of a dominant
  article can outrank the best window of a weak one;
- each article is one result: its best-scored window is the quote, and its next-best window, when
  that is relevant enough by itself, comes along as a second excerpt of at most 400 characters (shown
  collapsed in Telegram). The model's first window of an article holds the answer only about half the
  time and its top two about two-thirds, so on the full dev set (floor off) this raises R@1 .442 → .470
  and R@5 .580 → .604 while the first screen of a result stays one quote (see :func:`with_extras`).
  The same story reprinted by several outlets (same title or same quoted text) shows once. (With
  ``extra_quote_chars = 0`` every window is a result of its own, as before: the first two from different
  articles, a later quote of a shown article only when its own score reaches ``second_min``.)

Why quotes of up to 4 sentences / 600 characters (was 3 / 480): measured on the dev questions, where
the answer is in a top article's text, the right window is that article's first only ~49 % of the
time and the sentence holding the answer is 150 characters long at the median (90 % ≤ 256), while
many "sentences" of scraped pages are headings, bylines and captions of a few words. Refitted for
600/4, R@1 gains 1.5 points on each held-out year (fit 2022 → 2023: .375 → .393; 2023 → 2022: .465 →
.477) at equal R@5; 560/3 gained half of that, 400/3 lost 1.6 points of R@5. Three results of 600
characters with their titles stay far below Telegram's 4096.

The two models' weights come from ``python -m tools.fit_weights`` on the dev questions; it checks them
across time (fit on 2022, measure on 2023 and back), since a held-out set of later years judges them:
fitted on the 2022 questions, the 2023 ones get R@1 .395 R@5 .516 (floor off; the previous models and
quotes: .375 / .519); fitted on 2023, the 2022 ones get .474 / .610 (previous: .465 / .602). The gain is
at rank 1 in both directions; recall at 5 holds.

What was measured and not kept (orders of results, article rerankers, BM25 parameters, pseudo-relevance
feedback, a semantic bi-encoder, no-answer signals, ...) is logged in ``docs/ranking.md``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from bot.models import Article

from .quote import Selection, Tokenizer, make_quote, plain_quote
from .windows import QuestionProfile, SentenceIndex, linear, pick_windows, title_coverage, window_features

_QUIZ = re.compile(r"\bquiz\b", re.IGNORECASE)
_NONWORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class RankConfig:
    """The knobs of ranking, tuned on the dev questions (see ``python -m bot eval``)."""

    pool: int = 200  # articles fetched from BM25 before the news-aware reranking
    # Top reranked articles searched for quotes. 20 gave the same full-dev recall (floor off R@5 .580 both,
    # R@1 .443 vs .442) at 1.75x the CPU: reading and analysing articles is most of an answer's cost.
    articles: int = 12
    quotes_per_article: int = 3  # windows kept per article (the result model may rank several high)
    # Exponent p of the recency prior (1 + age in days)^-p; 0 disables it. Measured on the dev questions
    # (article recall, answer anywhere in a top-k article): p 0.1 against the hyperbolic 1/(1 + age/90)
    # gives R@1 .600/.529 vs .594/.480 and R@10 .791/.725 vs .755/.684 (2022/2023 questions).
    recency_power: float = 0.1
    title_bonus: float = 0.5  # × the IDF of question words found in the title
    phrase_bonus: float = 0.5  # a quoted phrase found verbatim in the quote (added to the result logit)
    # The first N results come from different articles. Measured on the dev set (floor off): 5 costs 1.4
    # points of recall@5 against 1 or 2 (.545 vs .559); 2 keeps a second article in view at no cost.
    distinct_first: int = 2
    # No answer when the best result's model score is below this. The score separates answerable from
    # unanswerable dev questions better than term coverage. With the current models and the power-law
    # date prior (full dev, floor off R@5 .580): 6.7 refuses 41 % of unanswerable questions for 2.7
    # points of recall@5; 6.4: 36 % for 2.1; 6.6: 39 % for 2.4; 7.0: 46 % for 3.8; 7.5: 53 % for 5.6
    # (coverage 0.55 refused 50 % for 6 points with the older models). None disables the floor.
    min_score: float | None = 6.7
    # A second (third, ...) quote of an article already shown is kept only when its own score reaches
    # this: with one strong article the list should not repeat it with a weak quote. Measured (full
    # dev, floor 6.4): 5.5 costs nothing, 6.0 0.1 point of R@5, 6.5 (= the floor) 0.3.
    second_min: float | None = 6.0
    date_slack_days: int = 1  # news of a day is often published the day after
    soft_dates: bool = True  # a date named in the question weighs articles (date_prior), it does not filter
    max_quote_chars: int = 600  # ≤ 3 × (600 + title) fits Telegram's 4096 with room to spare
    quote_sentences: int = 4  # sentences a quote may hold (a heading or byline is one)
    # The article's next-best window, shown collapsed under the quote ("expandable" blockquote), within
    # this many characters; 0 shows each window as a result of its own. See :func:`with_extras`.
    extra_quote_chars: int = 400
    # ... and only when its own result score reaches ``extra_min`` and the window itself holds ``extra_cov``
    # of the question's IDF mass: a weak window, or one that rides on its article's title (a roundup page's
    # next story), is noise. Measured (full dev, floor off, R@5 .611 with every extra): score ≥ 4 keeps the
    # extra on 72 % of results (R@5 .609), cov ≥ 0.15 on 83 % (.609), both on 67 % (.607); a gap to the
    # article's best window ≥ -2 instead: 80 % (.600) — the answer is often in a window that looks weak.
    extra_min: float = 4.0
    extra_cov: float = 0.15


@dataclass(frozen=True, slots=True)
class Candidate:
    """One quotable result: an article, a quote in it, and the scores that placed it."""

    article: Article
    selection: Selection
    score: float
    article_score: float
    confidence: float  # share of the question's IDF mass in title + quote, 0..1
    nth: int = 0  # 0 = the best quote of its article, 1 = the second, ...
    features: tuple[float, ...] = ()  # the result model's inputs (RESULT_FEATURES), for fitting
    window: tuple[int, int] = (0, 0)  # the quote's sentences [lo, hi) in the article's SentenceIndex
    extra: Selection | None = None  # a second excerpt of the same article, shown collapsed under the quote
    sources: int = 0  # a story card (a question without a topic): distinct sources that covered the story


def date_prior(published: date, as_of: date, window: tuple[date, date] | None, config: RankConfig) -> float:
    """Multiplier for an article's date: the power-law prior on its distance in days from the question's
    date window, or from ``as_of`` when the question names none (then the distance is the article's age).

    A named window ("this week", "in March") is a soft constraint: an article inside it keeps its score,
    one outside loses more the farther it is, with the same gentle curve as recency. Measured on the 939
    answerable dev questions that name a window (mostly the quizzes' "this week"): the previous
    ``1 / (1 + distance / 7 days)`` cost a lot, article recall@5 .745/.724 vs .768/.774 with this prior
    (2022/2023), and on the 145 whose window ends days before the question (.628 vs .710): the article
    that answers is often background from before the window, and scraped dates are often off. Ignoring
    the window for plain recency measured about the same (R@5 .774/.769), but would ignore a user's
    "in March 2020". (A τ adapted to how recent the question's top BM25 hits are was measured too, with
    the old hyperbolic prior: no gain over a fixed τ, so it is not used.)
    """
    start, end = window if window is not None else (as_of, as_of)
    distance = (start - published).days if published < start else (published - end).days
    return recency_prior(distance, config.recency_power)


def recency_prior(age_days: int, power: float) -> float:
    """Multiplier for an article ``age_days`` old: ``(1 + age)^-power`` — 1 today, 0.81 a week later, 0.64
    after 3 months, 0.50 after 3 years (power 0.1).

    Scale-free on purpose: what matters is how much *older* a story is relative to its age, not a fixed
    horizon. Quiz questions ask about last week's news, but the article that answers them is as often
    background from months or years earlier; a hyperbolic ``1/(1 + age/τ)`` with τ = 90 days (the
    previous prior) halved a three-month-old article and pushed the right one out of the top 10 for 4
    points of questions (article recall@10 .721 vs .758 with this prior on the dev set).
    """
    if power <= 0:
        return 1.0
    return (1.0 + max(age_days, 0)) ** -power


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
    analyze: Callable[[str], list[str]],
    window: tuple[date, date] | None = None,
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
            score += config.title_bonus * title_match(set(analyze(article.title)), weights)
        score *= date_prior(article.published, as_of, window, config)
        scored.append((article, score))
    scored.sort(key=lambda x: (-x[1], -x[0].published.toordinal(), x[0].id or 0))
    return scored


#: Stage 1, choosing windows inside an article: weights of :data:`bot.answer.windows.WINDOW_FEATURES`.
#: Fitted on the answerable dev questions with a listwise (softmax per article) objective over articles
#: that hold the answer outside their title (the weights are the refit on all of them). Fitted on 2022
#: and checked on 2023, the first window holds the answer 40.5 % of the time (fitted on 2023, checked on
#: 2022: 46.1 %); without local rarity and the line-shape features, 40.2 % and 46.1 % (480 chars / 3).
WINDOW_WEIGHTS = (1.028, 2.288, -0.128, 0.767, 0.858, -0.233, -0.435, -0.538, 2.407, 0.164, 0.107, -0.016, 1.941,
                  0.076, 0.105, 1.028, 0.213, -0.038, 0.445, 0.726, 0.158, 0.126, 0.183, 0.524, 1.295)  # fmt: skip
#: Stage 2, ordering the chosen windows of all top articles: weights of :data:`RESULT_FEATURES`, fitted the
#: same way with one softmax per question over every candidate window.
RESULT_FEATURES = ("art_score", "art_rank", "title_cov", "article_cov", "window", "second", "third",
                   "shown_cov", "cov", "log_age", "window_share", "window_gap")  # fmt: skip
_COV = RESULT_FEATURES.index("cov")
RESULT_WEIGHTS = (1.135, -0.225, 0.745, 2.498, 0.521, -0.426, 0.112, 2.412, 0.931, -0.284, 0.167, -0.315)


def window_candidates(
    ranked: Sequence[tuple[Article, float]],
    profile: QuestionProfile,
    config: RankConfig,
    sentences: Callable[[Article], SentenceIndex],
    analyze: Callable[[str], list[str]],
    tokenize: Tokenizer,
    phrases: Sequence[str] = (),
    as_of: date | None = None,
    window_weights: Sequence[float] = WINDOW_WEIGHTS,
    result_weights: Sequence[float] = RESULT_WEIGHTS,
) -> list[Candidate]:
    """The best windows of the top articles, each scored as a result (higher = more likely the answer).

    Per article the windows are scored by the stage-1 model and the best non-overlapping ones kept; each
    kept window is then scored against every other article's by the stage-2 model, which sees the article
    score too. A second window of a dominant article can therefore outrank a weak article's best one.
    """
    if not ranked:
        return []
    top = ranked[0][1] or 1.0
    lowered = [p.lower() for p in phrases]
    out: list[Candidate] = []
    for rank, (article, art_score) in enumerate(ranked[: config.articles]):
        title_terms = set(analyze(article.title))
        index = sentences(article)
        found = window_features(index, profile, title_terms, max_sentences=config.quote_sentences,
                                max_chars=config.max_quote_chars)  # fmt: skip
        if not found.lo.shape[0]:
            continue
        scores = linear(found.features, window_weights)
        cov = found.features[:, 0]
        title_cov = title_coverage(title_terms, profile)
        log_age = math.log1p(max((as_of - article.published).days, 0)) if as_of else 0.0
        # How the window stands among its article's: log of its softmax share (a window that clearly
        # beats the others is more likely the right one), and its gap to the article's best.
        best = float(scores.max())
        norm = best + math.log(float(np.exp(scores - best).sum()))
        for nth, i in enumerate(pick_windows(found.lo, found.hi, scores, config.quotes_per_article)):
            row = (art_score / top, math.log1p(rank), title_cov, found.article_cov, float(scores[i]),
                   float(nth >= 1), float(nth >= 2), float(found.shown_cov[i]), float(cov[i]), log_age,
                   float(scores[i]) - norm, float(scores[i]) - best)  # fmt: skip
            score = float(sum(w * x for w, x in zip(result_weights, row)))
            selection = quote_window(article.text, index, int(found.lo[i]), int(found.hi[i]), profile, tokenize,
                                     config.max_quote_chars, highlight=False)  # fmt: skip
            if lowered and any(p in selection.quote.text.lower() for p in lowered):
                score += config.phrase_bonus
            out.append(Candidate(article, selection, score, art_score, float(found.shown_cov[i]), nth, row,
                                 (int(found.lo[i]), int(found.hi[i]))))  # fmt: skip
    out.sort(key=lambda c: (-c.score, c.nth))
    return out


def with_extras(
    candidates: Sequence[Candidate], requote: Callable[[Candidate], Selection] | None, min_score: float = -math.inf,
    min_cov: float = 0.0,
) -> list[Candidate]:  # fmt: skip
    """One result per article: its best-scored quote, carrying as ``extra`` the best of its other windows
    whose own score reaches ``min_score`` and which holds ``min_cov`` of the question's IDF mass itself.

    ``requote`` re-quotes that window within the extra excerpt's (smaller) budget; None keeps every
    window as a result of its own (the order ``arrange`` then thins out). Measured on the full dev set
    (floor off): the article's second window shown under the first, within 400 characters, raises R@1
    .445 → .474 and R@5 .583 → .611 (600 characters: .480 / .617; 300: .467 / .603), because the model's
    first window of an article holds the answer only about half the time, the top two two-thirds.
    """
    if requote is None:
        return list(candidates)
    firsts: dict[int, int] = {}
    out: list[Candidate] = []
    for c in candidates:
        aid = c.article.id or 0
        if aid not in firsts:
            firsts[aid] = len(out)
            out.append(c)
        elif out[firsts[aid]].extra is None and c.score >= min_score and _own_cov(c) >= min_cov:
            main = out[firsts[aid]]
            out[firsts[aid]] = replace(main, extra=requote(c))
    return out


def _own_cov(candidate: Candidate) -> float:
    """Share of the question's IDF mass in the candidate's window itself (title excluded)."""
    return candidate.features[_COV] if candidate.features else 1.0


def quote_window(
    text: str, index: SentenceIndex, lo: int, hi: int, profile: QuestionProfile, tokenize: Tokenizer,
    max_chars: int, *, highlight: bool = True,
) -> Selection:  # fmt: skip
    """The quote of sentences [lo, hi): only the window is tokenized (for highlights), not the article.

    ``highlight=False``: a window within the budget is not tokenized at all; its highlights are added
    later, to the results shown only (:func:`bot.answer.quote.with_highlights`), with the same outcome.
    """
    start, end = int(index.starts[lo]), int(index.ends[hi - 1])
    if not highlight and end - start <= max_chars:
        return plain_quote(text, start, end)
    tokens = [(t, s + start, e + start) for t, s, e in tokenize(text[start:end])]
    return make_quote(text, start, end, 0.0, tokens, profile.weights, max_chars)


def story_key(article: Article) -> str:
    """Key under which reprints of one story collide: the title without punctuation and site suffix."""
    title = unicodedata.normalize("NFKC", article.title or "").casefold()
    title = re.split(r"\s+[|\-–—]\s+(?=[^|\-–—]*$)", title)[0]  # "Title - CNN" → "Title"
    return _NONWORD.sub(" ", title).strip()


def _quote_key(candidate: Candidate) -> str:
    text = candidate.selection.quote.text.casefold()
    return _NONWORD.sub(" ", text).strip()


def arrange(
    candidates: Sequence[Candidate], distinct_first: int, second_min: float | None = None
) -> list[Candidate]:
    """Final order: reprints removed, the first ``distinct_first`` from different articles.

    A reprint is the same story under another URL (same title, or the same quoted text); its best
    quote was already shown. Later quotes of an article already shown keep their place after the
    distinct head, so a user paging with "More" still sees them — when their own score reaches
    ``second_min`` (else the article shows once: a weak second quote of one article is noise).
    """
    seen_story: dict[str, int] = {}
    seen_quote: set[str] = set()
    seen_article: set[int] = set()
    unique: list[Candidate] = []
    for c in candidates:
        aid = c.article.id or 0
        key = story_key(c.article)
        if key and seen_story.setdefault(key, aid) != aid:
            continue
        qkey = _quote_key(c)
        if qkey in seen_quote:
            continue
        if aid in seen_article and second_min is not None and c.score < second_min:
            continue
        seen_quote.add(qkey)
        seen_article.add(aid)
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


def passes_floor(candidates: Sequence[Candidate], floor: float | None) -> bool:
    """Whether the best result is likely enough to answer (no floor, or its score reaches it)."""
    if not candidates:
        return False
    return floor is None or candidates[0].score >= floor


def renumber(candidates: list[Candidate]) -> list[Candidate]:
    """Candidates with ``nth`` recomputed after filtering (0 for the first quote shown per article)."""
    count: dict[int, int] = {}
    out = []
    for c in candidates:
        aid = c.article.id or 0
        out.append(replace(c, nth=count.get(aid, 0)))
        count[aid] = count.get(aid, 0) + 1
    return out
