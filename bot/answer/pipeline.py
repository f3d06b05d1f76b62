"""The answer pipeline: question → parsed question → ranked quotes → a page of :class:`Answer`.

No Telegram here: `bot/chat` and `bot/cli` call :class:`Answerer` and render what it returns. Ranking
details live in :mod:`bot.answer.rank`; this module wires parsing, the search index, the store and the
ranking together and turns every kind of bad input into a plain explanation instead of noise.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.models import Article
from bot.search.analyzer import Analyzer, default_analyzer
from bot.search.hits import SearchFilters
from bot.search.passages import passage_spans

from .browse import Story, group_stories, has_topic, top_stories, vague_terms
from .protocols import ArticleSearch, ArticleStore
from .question import as_date, parse_question
from .quote import Selection, lead_sentences, with_highlights
from .rank import (
    Candidate,
    RankConfig,
    arrange,
    is_junk_page,
    passes_floor,
    quote_window,
    rerank_articles,
    window_candidates,
    with_extras,
)
from .render import NO_ANSWER_HINT as HINT  # the one no-answer hint, shared with the renderers
from .render import fmt_window, is_explicit
from .sentence_store import SentenceStore
from .sentences import ArticleSentences
from .types import ANSWERS, DAY, NEWEST, RELATED, Answer, AnswerItem, ParsedQuestion, Quote
from .windows import QuestionProfile, SentenceIndex, answer_type, index_sentences, question_head

log = logging.getLogger(__name__)

MAX_RESULTS = 10  # results kept per question (pages of `limit` through them)
_CACHE_SIZE = 128
_SPARE_ARTICLES = 10  # read beyond the quoted ones, in case some were deleted since the index saw them
_NEWEST_POOL = 60  # newest articles read to list MAX_RESULTS distinct stories for a question without a topic
_DAY_POOL = 1000  # articles of a day (or a named window) read to rank its stories
# articles analysed live (not in the sentence store yet, or no store) kept: ~2 KB each; ~12 per question
_SENTENCE_CACHE_SIZE = 2048
_TITLE_CACHE_SIZE = 50_000  # analysed titles kept (~200 bytes each): the whole shared corpus fits


@dataclass(frozen=True, slots=True)
class Ranked:
    """Everything the pipeline decided for one question (the eval reads the candidates)."""

    question: ParsedQuestion
    as_of: date
    candidates: list[Candidate]
    no_answer: str | None = None
    kind: str = ANSWERS  # what the candidates are: answers, only related stories, newest or a day's stories
    note: str | None = None  # shown above the results (e.g. the nearest day with news)


class Answerer:
    """Answers questions from a store and a search backend (what it needs of them: :mod:`.protocols`).

    Thread-safe for concurrent ``answer`` calls: the only shared mutable state is a small LRU of ranked
    results, so that "More" (a second page) does not search again.
    """

    def __init__(
        self,
        store: ArticleStore,
        retriever: ArticleSearch,
        *,
        config: RankConfig | None = None,
        analyzer: Analyzer | None = None,
        today: Callable[[], date] | None = None,
        sentences: SentenceStore | None = None,
    ) -> None:
        self.store = store
        self.sentences = sentences  # precomputed sentence analyses (None: every article is analysed live)
        self.retriever = retriever
        self.config = config or RankConfig()
        self.analyzer = analyzer or default_analyzer()
        self._today = today or date.today
        self._cache: OrderedDict[tuple[str, date], Ranked] = OrderedDict()
        self._sentences: OrderedDict[tuple[int, int, int, int], ArticleSentences] = OrderedDict()
        self._titles: dict[str, list[str]] = {}  # title → its terms (see title_terms)
        self._lock = threading.Lock()
        self._vague = vague_terms(self.analyzer.analyze)
        self._archive_start: tuple[date | None] | None = None  # (first day of the archive,) once read

    # -- public API ----------------------------------------------------------------------------------

    def answer(
        self, question: str, *, as_of: datetime | date | None = None, offset: int = 0, limit: int = 3
    ) -> Answer:
        """A page of quoted results for ``question`` as of ``as_of`` (today by default)."""
        ranked = self.rank(question, as_of=as_of)
        offset = max(0, offset)
        limit = max(1, limit)
        if ranked.no_answer:
            return Answer(ranked.question, [], offset=offset, total=0, no_answer=ranked.no_answer)
        page = ranked.candidates[offset : offset + limit]
        items = [to_item(c) for c in page]
        no_answer = None if items else "There are no more results for this question."
        return Answer(ranked.question, items, offset=offset, total=len(ranked.candidates), no_answer=no_answer,
                      kind=ranked.kind, note=ranked.note)  # fmt: skip

    def latest(self, n: int = 5, topic: str | None = None, offset: int = 0) -> tuple[list[Article], bool]:
        """The newest ``n`` articles (optionally matching ``topic``) and whether older ones exist."""
        n = max(1, n)
        offset = max(0, offset)
        topic_terms = self.analyzer.analyze(topic) if topic else []
        if not topic_terms:
            found = self.store.articles.latest(limit=n + 1, offset=offset)
            return found[:n], len(found) > n
        wanted = offset + n + 1
        hits = self.retriever.search_articles(topic or "", k=max(wanted * 4, 50), terms=topic_terms)
        articles = self.store.articles.get_many(h.article_id for h in hits)
        terms = set(topic_terms)
        matching = [
            a for a in articles.values()
            if not a.deleted and not a.flagged and terms <= set(self.analyzer.analyze(f"{a.title}\n{a.text}"))
        ]  # fmt: skip
        matching.sort(key=lambda a: (a.published, a.id or 0), reverse=True)
        return matching[offset : offset + n], len(matching) > offset + n

    def rank(self, question: str, *, as_of: datetime | date | None = None) -> Ranked:
        """Parse and rank (cached per question and day); the eval calls this directly."""
        day = as_date(as_of) if as_of is not None else self._today()
        if self.sentences is not None:
            self.sentences.poll()  # a worker picks up what the bot process saved since
        key = (question, day)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        ranked = self._rank(question, day)
        with self._lock:
            self._cache[key] = ranked
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return ranked

    # -- internals -----------------------------------------------------------------------------------

    def _rank(self, question: str, as_of: date) -> Ranked:
        parsed = parse_question(question, as_of)
        problem = self._problem(parsed, as_of)
        if problem:
            return Ranked(parsed, as_of, [], problem)
        terms = self.analyzer.analyze(parsed.text)
        if not has_topic(terms, self._vague):
            if parsed.date_from is not None:
                return self._day_stories(parsed, as_of)
            if parsed.text or parsed.phrases:
                return self._newest_stories(parsed, as_of)
            return Ranked(parsed, as_of, [], "I got an empty question, nothing to search for. Ask about a person, "
                          f"place, event or topic in the news. {HINT}")  # fmt: skip
        profile = self.profile(parsed, terms)
        windowed = parsed.date_from is not None and not self.config.soft_dates
        candidates = self._search(parsed, profile, as_of, windowed=windowed)
        if not candidates and windowed:
            candidates = self._search(parsed, profile, as_of, windowed=False)
        if not candidates:
            when = f" {parsed.date_label}" if parsed.date_label else ""
            return Ranked(parsed, as_of, [], f"I found nothing in the news{when} that answers this. {HINT}")
        if not passes_floor(candidates, self.config.min_score):
            # Not confident: say so, and show the closest stories only as related (see docs/ranking.md).
            return Ranked(parsed, as_of, candidates[:MAX_RESULTS], kind=RELATED)
        return Ranked(parsed, as_of, candidates[:MAX_RESULTS])

    def _problem(self, parsed: ParsedQuestion, as_of: date) -> str | None:
        """A plain explanation for questions about dates we cannot cover."""
        if parsed.date_from is not None and parsed.date_from > as_of:
            return f"That is after {as_of:%-d %B %Y}: I can only quote news published by then."
        first = self._first_day()
        if parsed.date_to is not None and first is not None and parsed.date_to < first:
            return (f"My news archive starts on {first:%-d %B %Y}, so I have nothing "
                    f"{parsed.date_label or 'from then'}. {HINT}")  # fmt: skip
        return None

    def _first_day(self) -> date | None:
        """The day the live archive starts (read once: answering does not wait for the store again)."""
        if self._archive_start is None:
            self._archive_start = (self.store.articles.stats().first,)
        return self._archive_start[0]

    def _weights(self, terms: Sequence[str]) -> dict[str, float]:
        """IDF of each distinct query term among the searched articles."""
        return {term: max(self._idf(term), 0.05) for term in dict.fromkeys(terms)}

    def _search(
        self, parsed: ParsedQuestion, profile: QuestionProfile, as_of: date, *, windowed: bool
    ) -> list[Candidate]:
        ranked = self.ranked_articles(parsed, profile, as_of, windowed=windowed)
        candidates = window_candidates(ranked, profile, self.config, self.sentence_index, self.title_terms,
                                       self.analyzer.analyze_with_spans, parsed.phrases, as_of)  # fmt: skip
        merged = with_extras(candidates, self._extra_quoter(profile), self.config.extra_min, self.config.extra_cov)
        arranged = arrange(merged, self.config.distinct_first, self.config.second_min)
        # quotes were ranked on their text; only those kept are tokenized for their highlights
        return [self._highlighted(c, profile) for c in arranged[:MAX_RESULTS]] + arranged[MAX_RESULTS:]

    def _highlighted(self, candidate: Candidate, profile: QuestionProfile) -> Candidate:
        """The candidate with the highlights of its quote and of its second excerpt."""
        text, tokenize = candidate.article.text, self.analyzer.analyze_with_spans
        selection = with_highlights(text, candidate.selection, profile.weights, tokenize)
        extra = with_highlights(text, candidate.extra, profile.weights, tokenize) if candidate.extra else None
        if selection is candidate.selection and extra is candidate.extra:
            return candidate
        return replace(candidate, selection=selection, extra=extra)

    def _extra_quoter(self, profile: QuestionProfile) -> Callable[[Candidate], Selection] | None:
        """Quotes an article's next window within the second excerpt's budget (None: no second excerpts)."""
        chars = self.config.extra_quote_chars
        if chars <= 0:
            return None
        tokenize = self.analyzer.analyze_with_spans
        return lambda c: quote_window(c.article.text, self.sentence_index(c.article), *c.window, profile, tokenize,
                                      chars, highlight=False)  # fmt: skip

    def profile(self, parsed: ParsedQuestion, terms: Sequence[str] | None = None) -> QuestionProfile:
        """IDF weights, answer-type cues and search terms of a parsed question.

        ``terms`` are ``parsed.text`` analysed, when the caller has them already (the question is analysed
        once); the phrases' terms follow them in the search terms, as if the phrases were appended.
        """
        if terms is None:
            terms = self.analyzer.analyze(parsed.text)
        wants_number, wants_name = answer_type(parsed.text)
        head = question_head(parsed.text, self.analyzer.analyze)
        search = (*terms, *(t for phrase in parsed.phrases for t in self.analyzer.analyze(phrase)))
        return QuestionProfile(self._weights(terms), wants_number, wants_name, head, search)

    def ranked_articles(
        self, parsed: ParsedQuestion, profile: QuestionProfile, as_of: date, *, windowed: bool = False
    ) -> list[tuple[Article, float]]:
        """BM25 article hits up to ``as_of``, re-scored (title, date prior, junk) — before any quoting."""
        slack = timedelta(days=self.config.date_slack_days)
        if windowed and parsed.date_from is not None and parsed.date_to is not None:
            filters = SearchFilters(date_from=parsed.date_from - slack, date_to=min(parsed.date_to + slack, as_of))
        else:
            filters = SearchFilters(date_to=as_of)
        query = " ".join([parsed.text, *parsed.phrases])
        hits = self.retriever.search_articles(query, k=self.config.pool, filters=filters,
                                             terms=profile.terms or None)
        if not hits:
            return []
        # Rerank on what the hits carry (title, date); only the articles that will be quoted are read.
        stubs = {h.article_id: Article(url="", title=h.title, text="", published=h.published, source=h.source,
                                       id=h.article_id) for h in hits}  # fmt: skip
        window = None
        if self.config.soft_dates and parsed.date_from is not None and parsed.date_to is not None:
            window = (parsed.date_from - slack, parsed.date_to + slack)
        ranked = rerank_articles(
            ((h.article_id, h.score) for h in hits), stubs, profile.weights, as_of, self.config,
            self.title_terms, window,
        )
        wanted = ranked[: self.config.articles + _SPARE_ARTICLES]
        full = self.store.articles.get_many(a.id for a, _ in wanted if a.id is not None)
        return [(full[a.id], score) for a, score in wanted if a.id in full and indexable(full[a.id], as_of)]

    def sentence_index(self, article: Article) -> SentenceIndex:
        """The article's sentence analysis: precomputed in the sentence store when it holds this version of
        the article, else analysed now (the same function) and kept in a small LRU."""
        found = self.sentences.get(article) if self.sentences is not None else None
        if found is None:
            found = self._analysed(article)
        return SentenceIndex(found, article.text, self.analyzer)

    def _analysed(self, article: Article) -> ArticleSentences:
        key = (int(article.id or 0), len(article.text), hash(article.text[:200]), hash(article.title))
        with self._lock:
            found = self._sentences.get(key)
            if found is not None:
                self._sentences.move_to_end(key)
                return found
        found = index_sentences(article.text, self.analyzer, article.title).sentences
        with self._lock:
            self._sentences[key] = found
            while len(self._sentences) > _SENTENCE_CACHE_SIZE:
                self._sentences.popitem(last=False)
        return found

    def title_terms(self, title: str) -> list[str]:
        """``analyze(title)``, kept: a question reranks 200 hits by their titles, and popular ones recur."""
        found = self._titles.get(title)
        if found is None:
            if len(self._titles) >= _TITLE_CACHE_SIZE:
                self._titles.clear()  # bounded memory; refilled by the next questions
            found = self._titles[title] = self.analyzer.analyze(title)
        return found

    def _newest_stories(self, parsed: ParsedQuestion, as_of: date) -> Ranked:
        """"what's going on?": no subject to search for, so the newest stories, one card per story."""
        found = self.store.articles.latest(limit=_NEWEST_POOL, before=as_of)
        stories = self._stories(found)
        if not stories:
            return Ranked(parsed, as_of, [], "I have no news yet. Ask again once articles are ingested.")
        return Ranked(parsed, as_of, stories[:MAX_RESULTS], kind=NEWEST)

    def _day_stories(self, parsed: ParsedQuestion, as_of: date) -> Ranked:
        """"what happened yesterday?": that day's top stories, the most widely covered first.

        When the corpus has nothing from that day (or window), the note says so and the nearest day that
        has news is shown instead (the earlier one on a tie; never a day after ``as_of``).
        """
        assert parsed.date_from is not None and parsed.date_to is not None
        start, end = parsed.date_from, min(parsed.date_to, as_of)
        articles = self.store.articles.published_between(start, end, limit=_DAY_POOL)
        note = None
        if not articles:
            before, after = self.store.articles.nearest_days(start, end, as_of)
            near = nearest(start, end, before, after)
            what = fmt_window(start, end)
            if parsed.date_label and not is_explicit(parsed.date_label):
                what = f"{parsed.date_label}, {what}"  # "yesterday, 29 Nov 2022"
            if near is None:
                return Ranked(parsed, as_of, [], f"I have no news from {what}, nor from any day near it. {HINT}")
            note = f"I have no news from {what}. The nearest day with news is {fmt_window(near, near)}:"
            articles = self.store.articles.published_between(near, near, limit=_DAY_POOL)
        ranked = top_stories(self._story_groups(articles))[:MAX_RESULTS]
        return Ranked(parsed, as_of, [self._story_card(s.articles, s.sources) for s in ranked],
                      kind=DAY, note=note)  # fmt: skip

    def _story_groups(self, articles: list[Article]) -> list[Story]:
        """``articles`` grouped into stories (live ones only, and no quiz pages: they are not news)."""
        live = [a for a in articles if not a.deleted and not a.flagged and not is_junk_page(a)]
        return group_stories(live, self.analyzer.analyze, self._idf)

    def _stories(self, articles: list[Article]) -> list[Candidate]:
        """One card per story, in the order of each story's newest article."""
        return [self._story_card(s.articles, s.sources) for s in self._story_groups(articles)]

    def _story_card(self, articles: tuple[Article, ...], sources: int) -> Candidate:
        """A story shown by its lead article, quoted by its first sentences."""
        lead = articles[0]
        quote = Quote(lead_sentences(lead.text, max_chars=300, max_sentences=2))
        return Candidate(lead, Selection(quote, 0, 0, 0.0), 0.0, 0.0, 1.0, sources=sources)

    def _idf(self, term: str) -> float:
        """IDF of ``term`` among the searched articles."""
        return self.retriever.idf(term)


def nearest(start: date, end: date, before: date | None, after: date | None) -> date | None:
    """The closer of the days with news ``before`` ``start`` and ``after`` ``end`` (the earlier on a tie)."""
    if before is None or after is None:
        return before or after
    return before if (start - before) <= (after - end) else after


def indexable(article: Article, as_of: date) -> bool:
    """Whether a stored article may be quoted as of ``as_of`` (not deleted, not flagged, not later)."""
    return not article.deleted and not article.flagged and article.published <= as_of


def to_item(candidate: Candidate) -> AnswerItem:
    """The contract's AnswerItem for a ranked candidate."""
    a = candidate.article
    return AnswerItem(
        article_id=int(a.id or 0),
        title=a.title,
        url=a.url,
        source=a.source,
        published=a.published,
        quote=candidate.selection.quote,
        more=candidate.extra.quote if candidate.extra else None,
        score=round(candidate.score, 4),
        position=passage_position(a.text, candidate.selection.start),
        sources=candidate.sources,
    )


def passage_position(text: str, offset: int) -> int:
    """Index of the search passage containing character ``offset`` (the contract's ``position``)."""
    for i, (_start, end) in enumerate(passage_spans(text)):
        if offset < end:
            return i
    return 0
