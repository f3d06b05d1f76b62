"""What the subscription commands do, without Telegram: subscribe (with the per-chat limit), unsubscribe
one topic or all, and list a chat's subscriptions with their pauses. The chat layer checks rights and
words the replies; these functions decide and store."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.store import Store
from bot.store.digests import DigestSetting
from bot.store.subscriptions import AddOutcome, ChatRecord, Subscription, TopicRecord

from .chats import Place, register
from .topics import TextAnalyzer, parse_topic

__all__ = [
    "AddOutcome", "Listing", "Removal", "Subscribed", "Subscription", "Unsubscribed", "listing", "subscribe",
    "unsubscribe",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Subscribed:
    """What :func:`subscribe` did: added, already there (``resumed`` if it was paused), or over the limit."""

    outcome: AddOutcome
    topic: str
    resumed: bool
    limit: int


def subscribe(store: Store, place: Place, topic: str, user_id: int | None, limit: int) -> Subscribed:
    """Subscribe a place to a canonical topic (``""`` = every new article), unless it already is or the
    chat has ``limit`` subscriptions (counted over all its forum topics). Subscribing resumes a paused
    chat or forum topic."""
    resumed = register(store, place)
    outcome = store.subscriptions.add(place.chat_id, topic, user_id, limit, thread_id=place.thread_id)
    return Subscribed(outcome, topic, resumed, limit)


class Removal(str, Enum):
    """How :func:`unsubscribe` ended."""

    NOTHING = "nothing"  # the place has no subscriptions
    ALL = "all"  # all of them removed
    WHICH = "which"  # several and none named: ask which one
    REMOVED = "removed"  # the named (or only) one removed
    MISSING = "missing"  # the named one is not among them


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """What :func:`unsubscribe` did, with the place's subscriptions before it (for "which one?")."""

    removal: Removal
    topic: str = ""
    count: int = 0
    before: list[Subscription] = field(default_factory=list)


def unsubscribe(store: Store, place: Place, args: str, analyzer: TextAnalyzer | None = None) -> Unsubscribed:
    """Remove the subscription ``args`` names, all of them (``all``), or the only one (no args).

    Raises :class:`bot.subscribe.topics.TopicError` when ``args`` is no valid topic.
    """
    repo = store.subscriptions
    chat_id, thread_id = place.chat_id, place.thread_id
    before = repo.list(chat_id, thread_id=thread_id)
    if not before:
        return Unsubscribed(Removal.NOTHING)
    wanted = args.strip()
    if wanted.lower() == "all":
        return Unsubscribed(Removal.ALL, count=repo.remove_all(chat_id, thread_id=thread_id), before=before)
    if not wanted and len(before) > 1:
        return Unsubscribed(Removal.WHICH, before=before)
    topic = parse_topic(wanted, analyzer).text if wanted else before[0].topic
    removed = repo.remove(chat_id, topic, thread_id=thread_id)
    return Unsubscribed(Removal.REMOVED if removed else Removal.MISSING, topic, int(removed), before)


@dataclass(frozen=True, slots=True)
class Listing:
    """A place's subscriptions and what a listing says beside them.

    Inside a forum topic: that topic's subscriptions. Elsewhere: the whole chat's, ``thread_id`` telling
    which forum topic each belongs to, named in ``topic_names``.
    """

    thread_id: int  # the forum topic listed; 0 = the whole chat
    subscriptions: list[Subscription]
    chat: ChatRecord | None
    topics: dict[int, TopicRecord]  # the forum topics the listing mentions, when stored
    topic_names: dict[int, str]
    digest: DigestSetting | None

    @property
    def by_topic(self) -> bool:
        """Whether the listing is a whole chat's with forum topics in it (then it is grouped by topic)."""
        return not self.thread_id and any(s.thread_id for s in self.subscriptions)

    def paused_reason(self, thread_id: int = 0) -> str | None:
        """Why the chat (``thread_id`` 0) or one of its forum topics is paused; None when it is not."""
        record = self.topics.get(thread_id) if thread_id else self.chat
        if record is None or not record.paused:
            return None
        return record.paused_reason or "I could not post"


def listing(store: Store, place: Place) -> Listing:
    """The subscriptions of a place (a forum topic's own, or a whole chat's), its pauses and its digest."""
    repo = store.subscriptions
    subs = repo.list(place.chat_id, thread_id=place.thread_id or None)
    threads = {s.thread_id for s in subs if s.thread_id} | ({place.thread_id} if place.thread_id else set())
    topics = {t: rec for t in sorted(threads) if (rec := repo.get_topic(place.chat_id, t)) is not None}
    return Listing(
        place.thread_id,
        subs,
        repo.get_chat(place.chat_id),
        topics,
        repo.topic_names(place.chat_id) if threads else {},
        store.digests.get(place.chat_id, place.thread_id),
    )
