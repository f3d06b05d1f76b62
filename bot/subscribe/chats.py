"""The chats (and forum topics) the bot serves, without Telegram: registering one when it subscribes,
pausing and resuming it as the bot loses and regains the right to post, a group's move to its supergroup
id, topic renames, and the chat type the store knows (for refusing forged updates)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Place:
    """A chat, or one forum topic of it, as a command names it: where subscriptions and digests go."""

    chat_id: int
    kind: str = ""  # "private", "group", "supergroup" or "channel"
    title: str = ""
    thread_id: int = 0  # the forum topic; 0 = General or not a forum
    topic_name: str = ""  # that topic's name when known


def register(store: Store, place: Place) -> bool:
    """Remember a place someone subscribes (or sets a digest) in and resume it if it was paused: asking
    again is how a chat or a closed forum topic comes back. True when something was paused before."""
    repo = store.subscriptions
    repo.upsert_chat(place.chat_id, place.kind, place.title)
    resumed = repo.resume(place.chat_id)
    if place.thread_id:
        repo.upsert_topic(place.chat_id, place.thread_id, place.topic_name)
        resumed = repo.resume_topic(place.chat_id, place.thread_id) or resumed
    if resumed:
        log.info("chat %s (topic %s) resumed: subscribed again", place.chat_id, place.thread_id)
    return resumed


def bot_can_post_again(store: Store, chat_id: int) -> bool:
    """The bot may post in a chat again (added back, unblocked, promoted): its subscriptions resume.
    True when they were paused."""
    return store.subscriptions.resume(chat_id)


def bot_cannot_post(store: Store, chat_id: int, reason: str) -> bool:
    """The bot lost the right to post in a chat: its subscriptions pause (kept, not deleted) and what was
    queued for it is dropped. True when they were active."""
    return store.subscriptions.pause(chat_id, reason)


def migrate(store: Store, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup: its subscriptions, digests and delivery log move to the new id
    (idempotent: the move may be seen twice). Returns the subscriptions moved."""
    return store.subscriptions.migrate(old_chat_id, new_chat_id)


def rename_topic(store: Store, chat_id: int, thread_id: int, name: str) -> bool:
    """A forum topic was renamed: listings and notices use the new name. False for a topic the bot never
    served (nothing stored)."""
    return store.subscriptions.rename_topic(chat_id, thread_id, name)


def known_kind(store: Store, chat_id: int) -> str | None:
    """The chat type the store knows for this id, or None for a chat never subscribed."""
    record = store.subscriptions.get_chat(chat_id)
    return record.kind if record is not None else None
