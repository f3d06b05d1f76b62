"""Grouping articles into stories, incrementally: each new article joins the story of its best match
among the articles published within two days, or starts a story of its own.

The rule (:mod:`bot.stories.similarity` has the measure; ``docs/stories.md`` how it was tuned on 200
hand-labelled pairs):

- candidates are grouped articles published within :data:`WINDOW_DAYS` days of the new one, in stories
  that started at most :data:`STORY_SPAN_DAYS` days before it (a story does not drift for a week);
- similarities lose :data:`DAY_PENALTY` per day between the two articles;
- the article joins the story of its best match if that reaches :data:`THRESHOLD` and its mean
  similarity to the story's articles reaches :data:`MEAN_FLOOR` (no chain of loose links, such as
  "Winter Olympics" pieces of four different days);
- other stories it matches at :data:`MERGE_THRESHOLD` or more are merged into the oldest one;
- roundups (daily briefs, quizzes, podcasts) neither join nor attract: they are stories of their own.

:class:`StoryGrouper` runs this over the store's change feed (new articles in the order they were
written) and stores the result; :func:`group_articles` runs it in memory over a list.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.models import Article
from bot.search.analyzer import Analyzer, default_analyzer
from bot.store import Store

from .similarity import Fingerprint, TermWeights, Weight, fingerprint, similarity

log = logging.getLogger(__name__)

#: Days around an article searched for its story ("within ~48 hours"; dates have day resolution).
WINDOW_DAYS = 2
#: Days a story stays open after its first article: later articles start a new story.
STORY_SPAN_DAYS = 3
#: The similarity a new article needs with an article of a story to join it.
THRESHOLD = 0.58
#: The mean similarity to the articles of a story (in the window) that a new article needs to join it.
MEAN_FLOOR = 0.5
#: The similarity with an article of another story that makes the two stories one.
MERGE_THRESHOLD = 0.7
#: Similarity taken off per day between the two articles' publication dates.
DAY_PENALTY = 0.05
#: Fingerprints kept in memory (a pass walks articles mostly in date order, so recent ones are hit).
CACHE_SIZE = 5000


@dataclass(frozen=True, slots=True)
class Story:
    """Articles reporting one event, oldest first; ``id`` is the story's id (its first article's)."""

    id: int
    articles: tuple[Article, ...]

    @property
    def first(self) -> Article:
        """The article the story is shown by."""
        return self.articles[0]

    @property
    def newest(self) -> Article:
        """The story's latest article (what a newest-first list shows it by)."""
        return self.articles[-1]

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct sources, in the order they covered the story."""
        return tuple(dict.fromkeys(a.source for a in self.articles))

    @property
    def others(self) -> tuple[Article, ...]:
        """One article per other source (its first): the "also:" links of a card."""
        seen = {self.first.source}
        out = []
        for a in self.articles[1:]:
            if a.source not in seen:
                seen.add(a.source)
                out.append(a)
        return tuple(out)


def _order(article: Article) -> tuple:
    return (article.published, article.id if article.id is not None else 0)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A grouped article near a new one: its key, its story, the day the story started, its fingerprint."""

    key: int
    story: int
    story_start: int
    print: Fingerprint


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a new article goes: the story it joins (None: it starts one), stories merged into that one."""

    story: int | None
    score: float
    merged: tuple[int, ...] = ()


def decide(fp: Fingerprint, candidates: Iterable[Candidate]) -> Decision:
    """Join the story of the best match if it reaches :data:`THRESHOLD`; merge in the other stories the
    article matches at :data:`MERGE_THRESHOLD` or more (two stories that one article reports both are
    one story that started twice), into the oldest of them."""
    if fp.roundup:
        return Decision(None, 0.0)
    scores: dict[int, list[float]] = {}  # story -> adjusted similarities to its articles
    starts: dict[int, int] = {}
    for c in candidates:
        gap = abs(c.print.day - fp.day)
        if c.print.roundup or gap > WINDOW_DAYS or c.story_start < fp.day - STORY_SPAN_DAYS:
            continue
        scores.setdefault(c.story, []).append(similarity(fp, c.print) - DAY_PENALTY * gap)
        starts[c.story] = c.story_start
    # the best match must be good, and the story as a whole close enough (no chain of loose links)
    best = {story: max(s) for story, s in scores.items() if sum(s) / len(s) >= MEAN_FLOOR}
    if not best:
        return Decision(None, 0.0)
    top = max(best, key=lambda story: best[story])
    if best[top] < THRESHOLD:
        return Decision(None, best[top])
    together = [top] + [story for story, score in best.items() if story != top and score >= MERGE_THRESHOLD]
    target = min(together, key=lambda story: (starts[story], story))
    return Decision(target, best[top], tuple(story for story in together if story != target))


def group_articles(
    articles: Sequence[Article], weights: Weight | None = None, analyzer: Analyzer | None = None
) -> list[Story]:
    """Group articles into stories in memory (oldest first), by the same rule as the store's grouping.

    ``weights`` defaults to flat smoothed weights; pass ``TermWeights.of_retriever(retriever)`` for the
    corpus's. Returns stories in the order of their first article; a story's id is its first article's
    id (its index in ``articles`` if it has none).
    """
    weights = weights or TermWeights()
    analyzer = analyzer or default_analyzer()
    ordered = sorted(range(len(articles)), key=lambda i: _order(articles[i]))
    prints: dict[int, Fingerprint] = {}
    story_of: dict[int, int] = {}
    started: dict[int, int] = {}  # story -> day its first article was published
    for i in ordered:
        fp = fingerprint(articles[i], weights, analyzer)
        decision = decide(fp, (Candidate(j, story_of[j], started[story_of[j]], prints[j]) for j in prints))
        story = i if decision.story is None else decision.story
        for j, s in story_of.items():
            if s in decision.merged:
                story_of[j] = story
        story_of[i], prints[i] = story, fp
        started.setdefault(story, fp.day)
    members: dict[int, list[Article]] = {}
    for i in ordered:
        members.setdefault(story_of[i], []).append(articles[i])
    stories = []
    for key, group in members.items():
        first = group[0]
        stories.append(Story(first.id if first.id is not None else key, tuple(group)))
    return stories


class StoryGrouper:
    """Assigns every new article of a store to a story, incrementally and durably.

    :meth:`update` walks the store's change feed from its marker, groups each article written since
    (updates of grouped articles keep their story), and commits the rows with the advanced marker in
    batches, so a crash regroups at most a batch and never half of one.
    """

    def __init__(
        self, store: Store, weights: TermWeights | None = None, analyzer: Analyzer | None = None
    ) -> None:
        self.store = store
        self.weights = weights or TermWeights()
        self.analyzer = analyzer or default_analyzer()
        self._prints: OrderedDict[int, Fingerprint] = OrderedDict()
        self._starts: dict[int, int] = {}
        self._pending: dict[int, tuple[int, int, float | None]] = {}  # rows not committed yet
        self._days: dict[int, int] = {}  # publication day of pending articles

    def update(self, batch: int = 500) -> int:
        """Group the articles written since the last update; returns how many were grouped."""
        repo = self.store.stories
        seq = repo.marker()
        if seq >= self.store.articles.max_seq():
            return 0
        self.weights.refresh()
        started, done = time.monotonic(), 0
        self._pending = {}
        for article in self.store.articles.changes_since(seq):
            seq = max(seq, article.seq)
            if article.id is not None and not article.deleted and not article.flagged:
                self._group(article)
            if len(self._pending) >= batch:
                done += repo.assign(list(self._pending.values()), seq)
                self._pending, self._days = {}, {}
                if time.monotonic() - started > 5:
                    log.info("grouping articles into stories: %d so far", done)
        done += repo.assign(list(self._pending.values()), seq)
        self._pending, self._days = {}, {}
        if done:
            log.info("grouped %d new article(s) into stories in %.1f s", done, time.monotonic() - started)
        return done

    def _group(self, article: Article) -> None:
        """Decide one article's story and queue its row (merging stories in the store right away)."""
        assert article.id is not None
        fp = self._fingerprint(article)
        window = timedelta(days=WINDOW_DAYS)
        near = self.store.stories.near(article.published - window, article.published + window)
        grouped = {g.article_id: g.story_id for g in near}
        days = self._days
        grouped.update(
            (a, row[1]) for a, row in self._pending.items() if abs(days[a] - fp.day) <= WINDOW_DAYS
        )
        if article.id in grouped:  # grouped before (an update, or by another process)
            return
        starts = self._story_starts(set(grouped.values()))
        prints = self._fingerprints(list(grouped))
        decision = decide(fp, (
            Candidate(a, s, starts.get(s, fp.day), prints[a]) for a, s in grouped.items() if a in prints
        ))  # fmt: skip
        if decision.merged:
            self._merge(decision.story, decision.merged)
        if decision.story is None:
            self._starts[article.id] = fp.day
            self._pending[article.id] = (article.id, article.id, None)
        else:
            self._pending[article.id] = (article.id, decision.story, round(decision.score, 4))
        self._days[article.id] = fp.day

    def _merge(self, into: int | None, stories: tuple[int, ...]) -> None:
        """Merge ``stories`` into ``into``, in the store and in the rows not committed yet."""
        assert into is not None
        self.store.stories.merge(into, stories)
        for a, (article_id, story, score) in self._pending.items():
            if story in stories:
                self._pending[a] = (article_id, into, score)

    def _story_starts(self, story_ids: set[int]) -> dict[int, int]:
        """Publication day (ordinal) of each story's first article (cached: it never changes)."""
        missing = [s for s in story_ids if s not in self._starts]
        for s, a in self.store.articles.get_many(missing).items():
            self._starts[s] = a.published.toordinal()
        if len(self._starts) > 4 * CACHE_SIZE:
            self._starts.clear()
        return {s: self._starts[s] for s in story_ids if s in self._starts}

    def _fingerprint(self, article: Article) -> Fingerprint:
        assert article.id is not None
        fp = fingerprint(article, self.weights, self.analyzer)
        self._remember(article.id, fp)
        return fp

    def _fingerprints(self, ids: list[int]) -> dict[int, Fingerprint]:
        found = {i: self._prints[i] for i in ids if i in self._prints}
        missing = [i for i in ids if i not in found]
        for i, article in self.store.articles.get_many(missing).items():
            found[i] = self._fingerprint(article)
        for i in found:
            self._prints.move_to_end(i)
        return found

    def _remember(self, article_id: int, fp: Fingerprint) -> None:
        self._prints[article_id] = fp
        self._prints.move_to_end(article_id)
        while len(self._prints) > CACHE_SIZE:
            self._prints.popitem(last=False)


def stories_of(store: Store, articles: Sequence[Article]) -> list[Story]:
    """The given articles grouped by their stored story (order of first appearance kept).

    For digests and lists: only the given articles are in the returned stories (count sources with
    ``len(story.sources)``); an article not grouped yet is a story of its own.
    """
    ids = [a.id for a in articles if a.id is not None]
    story_of = store.stories.story_of(ids)
    groups: dict[int, list[Article]] = {}
    for n, a in enumerate(articles):
        key = story_of.get(a.id, a.id) if a.id is not None else -(n + 1)
        groups.setdefault(key, []).append(a)
    return [Story(key, tuple(sorted(group, key=_order))) for key, group in groups.items()]
