"""The delivery queue as the push sender sees it, without Telegram: what a chat's next messages are, and
the delivery log's state changes around each send.

:mod:`bot.chat.delivery` sends; everything it reads or writes in the store goes through :class:`Outbox`.
The states and what each one promises (``pending`` → claimed → ``sending`` → ``sent``, back to
``pending`` when the request certainly did not reach Telegram, sent again once its claim's lease ends
when it may have: the one window) are in ``docs/delivery.md``, :mod:`bot.store.subscriptions` and
:mod:`bot.store.claims`. With a :class:`Claim` the sender reads and moves only what its replica claimed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.models import Article
from bot.store import ClaimLost, Store
from bot.store.subscriptions import TopicRecord

from . import chats
from .planner import Batch, BurstPolicy, Destination, batches_for

#: A chat that got a card for a story within this window gets no second card from another outlet.
STORY_REPEAT = timedelta(hours=24)


__all__ = ["STORY_REPEAT", "ChatQueue", "Claim", "ClaimLost", "Outbox"]


@dataclass(frozen=True, slots=True)
class Claim:
    """Who sends (a replica's holder id, :func:`bot.leader.holder_id`) and for how long each message
    renews its claim on the chat's queue."""

    holder: str
    lease: float


@dataclass(frozen=True, slots=True)
class ChatQueue:
    """One chat's (forum topic's) next messages: ``batches`` of the queued ``articles``, the chat's
    subscription ``topics``, and the other outlets' articles of each shown story (``also``, by the id of
    the article that leads it)."""

    batches: list[Batch]
    articles: dict[int, Article]
    topics: list[str]
    also: dict[int, list[Article]] = field(default_factory=dict)


class Outbox:
    """The store's delivery queue and log, for the sender; every write is the store's own transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- what to send ------------------------------------------------------------------------------------

    def destinations(self) -> list[Destination]:
        """Every chat (forum topic) with queued deliveries."""
        return self.store.subscriptions.pending_destinations()

    def pending_count(self) -> int:
        """Deliveries still queued (what a stop leaves for the next start)."""
        return self.store.subscriptions.pending_count()

    def claim(
        self, claim: Claim, *, exclude: Collection[Destination] = ()
    ) -> Destination | None:
        """Claim the next chat (forum topic) whose queue nobody is sending, for ``claim.lease`` seconds;
        None when there is none (``exclude``: chats this pass already tried)."""
        got = self.store.claims.claim(claim.holder, claim.lease, 1, exclude=exclude)
        return got[0] if got else None

    def renew(self, claim: Claim, destinations: Collection[Destination]) -> None:
        """Keep the claims on the queues being sent alive (an idle wait for rate limits must not end them)."""
        if destinations:
            self.store.claims.renew(claim.holder, claim.lease, destinations)

    def release(self, claim: Claim, chat_id: int | None = None, *, thread_id: int = 0) -> int:
        """Give back what is left of a claimed queue (one chat's, or all): anyone may send it now."""
        return self.store.claims.release(claim.holder, chat_id, thread_id=thread_id)

    def next_messages(
        self, chat_id: int, policy: BurstPolicy, *, thread_id: int = 0, claim: Claim | None = None
    ) -> ChatQueue:
        """A chat's queue (what ``claim`` holds of it, if given) as messages. Queued articles that were
        deleted or flagged meanwhile, that belong to a story the chat got a card for within
        :data:`STORY_REPEAT`, or that a burst summarises away are marked dropped here, before anything is
        sent."""
        repo, stories = self.store.subscriptions, self.store.stories
        if claim is not None:
            ids = self.store.claims.claimed(chat_id, claim.holder, thread_id=thread_id)
        else:
            ids = repo.pending(chat_id, thread_id=thread_id)
        articles = self.store.articles.get_many(ids)
        gone = [i for i in ids if i not in articles or articles[i].deleted or articles[i].flagged]
        if gone:
            repo.mark_dropped(chat_id, gone, thread_id=thread_id)
        live = [i for i in ids if i not in gone]
        story_of = stories.story_of(live)
        seen = stories.sent_recently(chat_id, set(story_of.values()), STORY_REPEAT, thread_id=thread_id)
        repeats = [i for i in live if story_of[i] in seen]
        if repeats:  # another outlet's article on a story the chat got a card for today: no second card
            repo.mark_dropped(chat_id, repeats, thread_id=thread_id)
        batches, dropped = batches_for([i for i in live if story_of[i] not in seen], policy, story_of)
        if dropped:
            repo.mark_dropped(chat_id, dropped, thread_id=thread_id)
        topics = [s.topic for s in repo.list(chat_id, thread_id=thread_id)]
        return ChatQueue(batches, articles, topics, self.also_articles(batches, articles, story_of))

    def also_articles(
        self, batches: Sequence[Batch], articles: dict[int, Article], story_of: Mapping[int, int]
    ) -> dict[int, list[Article]]:
        """For each story about to be shown: the other articles of the story in the store (other outlets'
        coverage, whether or not it was queued for this chat), keyed by the shown article's id."""
        leads = [group[0] for batch in batches for group in batch.groups]
        members = self.store.stories.members({story_of.get(a, a) for a in leads})
        others = self.store.articles.get_many(i for ids in members.values() for i in ids if i not in articles)
        pool = {**others, **articles}
        return {
            lead: [pool[i] for i in members.get(story_of.get(lead, lead), []) if i != lead and i in pool]
            for lead in leads
        }

    # -- the delivery log around one message --------------------------------------------------------------

    def mark_sending(self, chat_id: int, ids: Iterable[int], *, thread_id: int = 0, claim: Claim | None = None) -> None:
        """The request is leaving: from now on it may have posted. Under a ``claim`` only while it holds
        (renewing it); :class:`ClaimLost` when another replica took the chat over: do not send."""
        if claim is None:
            self.store.subscriptions.mark_sending(chat_id, ids, thread_id=thread_id)
        else:
            self.store.claims.mark_sending(chat_id, ids, claim.holder, claim.lease, thread_id=thread_id)

    def mark_unsent(self, chat_id: int, ids: Iterable[int], *, thread_id: int = 0) -> None:
        """It certainly did not reach Telegram: queued again."""
        self.store.subscriptions.mark_unsent(chat_id, ids, thread_id=thread_id)

    def mark_sent(self, chat_id: int, ids: Iterable[int], message_id: int | None, *, thread_id: int = 0) -> None:
        """Telegram accepted it."""
        self.store.subscriptions.mark_sent(chat_id, ids, message_id, thread_id=thread_id)

    def mark_unconfirmed(self, chat_id: int, ids: Iterable[int], *, thread_id: int = 0) -> None:
        """No answer, and no claim whose lease could end: it may have posted, so it is never sent again."""
        self.store.subscriptions.mark_unconfirmed(chat_id, ids, thread_id=thread_id)

    def mark_dropped(self, chat_id: int, ids: Iterable[int], *, thread_id: int = 0) -> None:
        """Never to be sent (refused by Telegram, or nothing left to send)."""
        self.store.subscriptions.mark_dropped(chat_id, ids, thread_id=thread_id)

    # -- chats that changed under the sender -------------------------------------------------------------

    def pause(self, chat_id: int, reason: str) -> bool:
        """The bot can no longer post in the chat: its subscriptions pause (they resume when it can)."""
        return chats.bot_cannot_post(self.store, chat_id, reason)

    def migrate(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: its subscriptions and queue follow it."""
        return chats.migrate(self.store, old_chat_id, new_chat_id)

    def pause_topic(self, chat_id: int, thread_id: int, reason: str) -> bool:
        """A forum topic was deleted or closed: only its subscriptions pause; True the first time."""
        return self.store.subscriptions.pause_topic(chat_id, thread_id, reason)

    def get_topic(self, chat_id: int, thread_id: int) -> TopicRecord | None:
        """A forum topic as last seen (its name), None when unknown."""
        return self.store.subscriptions.get_topic(chat_id, thread_id)

    # -- housekeeping ------------------------------------------------------------------------------------

    def resent(self) -> int:
        """Push deliveries sent more than once so far (taken over from ``sending``: the window)."""
        return len(self.store.claims.resent())
