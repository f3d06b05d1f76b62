"""Scheduled digests going out, without Telegram: which are due, claiming one (its stories chosen), and
recording how the send ended.

A claim goes into the delivery log before the message is sent, so a digest goes out at most once per
(chat, forum topic, period), across restarts and replicas (see :mod:`bot.store.digests`). The chat
layer's job sends each claimed digest and reports back with :func:`record` or :func:`release`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.models import Article
from bot.store import Store
from bot.store.digests import DigestSetting

from .digest import Occurrence, created_at, digest_stories, digest_title, due_occurrence, schedule_of

Ending = Literal["sent", "dropped", "unconfirmed"]


@dataclass(frozen=True, slots=True)
class ClaimedDigest:
    """A digest this process will send: where, for which period, its stories and its heading."""

    setting: DigestSetting
    period: str
    stories: list[list[Article]]
    title: str
    subtitle: str

    @property
    def chat_id(self) -> int:
        """The chat it goes to."""
        return self.setting.chat_id

    @property
    def thread_id(self) -> int:
        """The forum topic it goes to (0: General, or not a forum)."""
        return self.setting.thread_id


def due(store: Store, now: datetime) -> list[tuple[DigestSetting, Occurrence]]:
    """The digests of unpaused chats due at ``now`` whose period nobody claimed yet."""
    found = []
    for setting in store.digests.active():
        occurrence = due_occurrence(
            schedule_of(setting), setting.timezone, now, not_before=created_at(setting)
        )
        if occurrence is not None and not store.digests.recorded(
            setting.chat_id, setting.thread_id, occurrence.key
        ):
            found.append((setting, occurrence))
    return found


def claim(store: Store, setting: DigestSetting, occurrence: Occurrence) -> ClaimedDigest | None:
    """Choose a due digest's stories and claim its period; None when there is nothing new (the period is
    then recorded as dropped, not looked at again) or another pass or replica claimed it first."""
    stories = digest_stories(store, setting, occurrence)
    chat_id, thread_id, period = setting.chat_id, setting.thread_id, occurrence.key
    if not stories:
        store.digests.claim(chat_id, thread_id, period, [], status="dropped")
        return None
    ids = [a.id for story in stories for a in story if a.id is not None]
    if not store.digests.claim(chat_id, thread_id, period, ids):
        return None
    title, subtitle = digest_title(setting, occurrence)
    return ClaimedDigest(setting, period, stories, title, subtitle)


def record(store: Store, digest: ClaimedDigest, ending: Ending, message_id: int | None = None) -> None:
    """How a claimed digest's send ended: sent (with its message id), dropped (refused) or unconfirmed
    (it may have arrived: never sent again)."""
    store.digests.finish(digest.chat_id, digest.thread_id, digest.period, ending, message_id)


def release(store: Store, digest: ClaimedDigest) -> None:
    """The message certainly did not go out (flood control, a migrated chat): the next run tries again."""
    store.digests.release(digest.chat_id, digest.thread_id, digest.period)
