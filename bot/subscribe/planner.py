"""Which new articles go to which chats, and how to send a chat's queue without flooding it.

:func:`plan_deliveries` is the only writer of the delivery queue. It walks the store's change feed from
its marker, matches each *new* article (not an update of one already seen) against every active
subscription, and queues (chat, article) rows together with the advanced marker in one transaction, so
a crash re-plans instead of losing or doubling anything. :func:`batches_for` decides, per chat, between
one card per article and a compact digest when a burst would flood the chat.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
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

    Up to ``card_limit`` queued articles go out as one card each; more become digests of ``digest_size``,
    at most ``max_digests`` of them per pass, newest articles kept; older ones beyond that are summarised
    as a count ("and N more") and dropped, since nobody reads a hundred push messages.
    """

    card_limit: int = 3
    digest_size: int = 10
    max_digests: int = 2


@dataclass(frozen=True, slots=True)
class Batch:
    """One message to send: a card for one article, or a digest of several."""

    kind: Literal["card", "digest"]
    article_ids: tuple[int, ...]
    more: int = 0  # articles summarised away (shown as "and N more" on the last digest)


def batches_for(
    article_ids: Sequence[int], policy: BurstPolicy = BurstPolicy()
) -> tuple[list[Batch], list[int]]:
    """Split a chat's queued articles (oldest first) into messages; returns ``(batches, dropped ids)``."""
    ids = list(article_ids)
    if len(ids) <= policy.card_limit:
        return [Batch("card", (a,)) for a in ids], []
    keep = policy.digest_size * policy.max_digests
    dropped, ids = (ids[:-keep], ids[-keep:]) if len(ids) > keep else ([], ids)
    chunks = [tuple(ids[i : i + policy.digest_size]) for i in range(0, len(ids), policy.digest_size)]
    batches = [Batch("digest", chunk) for chunk in chunks]
    if dropped:
        batches[-1] = Batch("digest", batches[-1].article_ids, more=len(dropped))
    return batches, dropped
