"""Which new articles go to which chats, and how to send a chat's queue without flooding it.

:func:`plan_deliveries` is the only writer of the delivery queue. It walks the store's change feed from
its marker, matches each *new* article (not an update of one already seen) against every active
subscription, and queues (chat, article) rows together with the advanced marker in one transaction, so
a crash re-plans instead of losing or doubling anything. :func:`batches_for` decides, per chat, between
one card per article and a compact digest when a burst would flood the chat.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.models import Article
from bot.store import Store

from .topics import TextAnalyzer, Topic, TopicError, article_tokens, default_analyzer, parse_topic

log = logging.getLogger(__name__)

MARK_SEQ = "subscriptions.planned_seq"
MARK_ID = "subscriptions.planned_max_id"


@dataclass(frozen=True, slots=True)
class PlanReport:
    """What one planning pass did."""

    new_articles: int = 0
    queued: int = 0
    initialized: bool = False


def plan_deliveries(store: Store, analyzer: TextAnalyzer | None = None, *, batch: int = 500) -> PlanReport:
    """Queue deliveries for articles added since the last pass; returns counts.

    The first pass on a store only records where the corpus stands: subscribers get articles that
    arrive from then on, not the whole back catalogue. An article is *new* when its id is above the
    highest id seen by the previous pass, so corrections to old articles (a new ``seq``, same id) are
    never pushed again.
    """
    analyzer = analyzer or default_analyzer()
    subs = store.subscriptions
    if start_marks(store):
        return PlanReport(initialized=True)
    seq, first_new = int(store.state.get(MARK_SEQ) or 0), int(store.state.get(MARK_ID) or 0)
    topics = _topics_by_chat(store)
    high_id, new_articles, queued, seen = first_new, 0, 0, 0
    pairs: list[tuple[int, int, int]] = []
    for article in store.articles.changes_since(seq):
        seq, seen = max(seq, article.seq), seen + 1
        # Compared with the pass's starting mark, not a running maximum: an article added and then
        # updated comes later in seq order than one added after it, and is still new.
        if article.id is not None and article.id > first_new:
            new_articles += 1
            high_id = max(high_id, article.id)
            pairs.extend((c, t, article.id) for c, t in matching_chats(article, topics, analyzer))
        if seen % batch == 0:
            queued += subs.queue(pairs, {MARK_SEQ: str(seq), MARK_ID: str(high_id)})
            pairs = []
    if seen % batch:
        queued += subs.queue(pairs, {MARK_SEQ: str(seq), MARK_ID: str(high_id)})
    if new_articles:
        log.info("planned %d new article(s): %d deliveries queued", new_articles, queued)
    return PlanReport(new_articles=new_articles, queued=queued)


def start_marks(store: Store) -> bool:
    """Put the planner's marks at the current end of the store unless set; True if it did.

    Called when the bot starts, before any update is handled, so that articles ingested after start-up
    (even within the first second) count as new, and the back catalogue never does.
    """
    if store.state.get(MARK_SEQ) is not None and store.state.get(MARK_ID) is not None:
        return False
    seq, max_id = store.subscriptions.article_high_water()
    store.subscriptions.queue([], {MARK_SEQ: str(seq), MARK_ID: str(max_id)})
    return True


#: A place pushes go to: ``(chat id, forum topic thread id or 0)``.
Destination = tuple[int, int]


def _topics_by_chat(store: Store) -> dict[str, tuple[Topic, list[Destination]]]:
    """Active subscriptions grouped by topic text, so each topic is evaluated once per article."""
    grouped: dict[str, tuple[Topic, list[Destination]]] = {}
    for sub in store.subscriptions.active():
        if sub.topic not in grouped:
            try:
                grouped[sub.topic] = (parse_topic(sub.topic), [])
            except TopicError:
                log.warning("subscription %s of chat %s has an unusable topic; skipped", sub.id, sub.chat_id)
                continue
        grouped[sub.topic][1].append((sub.chat_id, sub.thread_id))
    return grouped


def matching_chats(
    article: Article, topics: dict[str, tuple[Topic, list[Destination]]], analyzer: TextAnalyzer
) -> set[Destination]:
    """Chats (forum topics) with at least one subscription matching this (live, unflagged) article."""
    if article.deleted or article.flagged or not topics:
        return set()
    tokens = article_tokens(article.title, article.text, analyzer)
    present = set(tokens)
    chats: set[Destination] = set()
    for topic, chat_ids in topics.values():
        if topic.is_everything or topic.matches(tokens, present):
            chats.update(chat_ids)
    return chats


# -- sending plan ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BurstPolicy:
    """How a chat's queue turns into messages.

    Up to ``card_limit`` queued stories go out as one card each; more become digests of ``digest_size``
    stories, at most ``max_digests`` of them per pass, newest kept; older ones beyond that are summarised
    as a count ("and N more") and dropped, since nobody reads a hundred push messages. Without story
    ids every article is a story of its own.
    """

    card_limit: int = 3
    digest_size: int = 10
    max_digests: int = 2


@dataclass(frozen=True, slots=True)
class Batch:
    """One message to send: a card for one story, or a digest of several.

    ``stories`` holds the queued article ids of each story in the message (its first article leads);
    ``article_ids`` all of them, which the message delivers together.
    """

    kind: Literal["card", "digest"]
    article_ids: tuple[int, ...]
    more: int = 0  # articles summarised away (shown as "and N more" on the last digest)
    stories: tuple[tuple[int, ...], ...] = field(default=(), compare=False)

    @property
    def groups(self) -> tuple[tuple[int, ...], ...]:
        """The message's stories (one per article when none were given)."""
        return self.stories or tuple((a,) for a in self.article_ids)


def _batch(kind: Literal["card", "digest"], groups: Sequence[tuple[int, ...]], more: int = 0) -> Batch:
    return Batch(kind, tuple(a for group in groups for a in group), more, tuple(groups))


def batches_for(
    article_ids: Sequence[int], policy: BurstPolicy = BurstPolicy(), story_of: Mapping[int, int] | None = None
) -> tuple[list[Batch], list[int]]:
    """Split a chat's queued articles (oldest first) into messages; returns ``(batches, dropped ids)``.

    Articles of one story (``story_of``: article id -> story id) travel together: one card, one digest
    line, in the place of the story's oldest queued article.
    """
    story_of = story_of or {}
    grouped: dict[int, list[int]] = {}
    for a in article_ids:
        grouped.setdefault(story_of.get(a, a), []).append(a)
    groups = [tuple(g) for g in grouped.values()]
    if len(groups) <= policy.card_limit:
        return [_batch("card", [g]) for g in groups], []
    keep = policy.digest_size * policy.max_digests
    gone, groups = (groups[:-keep], groups[-keep:]) if len(groups) > keep else ([], groups)
    size = policy.digest_size
    batches = [_batch("digest", groups[i : i + size]) for i in range(0, len(groups), size)]
    if gone:
        batches[-1] = _batch("digest", batches[-1].groups, more=sum(len(g) for g in gone))
    return batches, [a for g in gone for a in g]
