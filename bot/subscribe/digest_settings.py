"""A place's digest setting and a chat's time zone, without Telegram: show, set, turn off.

Parsing what the user wrote (``/digest daily 08:00 nato``) and computing when a digest is due live in
:mod:`bot.subscribe.digest`; sending due digests in :mod:`bot.subscribe.digest_runs`.
"""

from __future__ import annotations

from datetime import datetime

from bot.store import Store
from bot.store.digests import DigestSetting

from .chats import Place, register
from .digest import Schedule

__all__ = ["DigestSetting", "digest_of", "set_digest", "set_timezone", "timezone_of", "turn_off"]


def digest_of(store: Store, place: Place) -> DigestSetting | None:
    """The place's digest setting (with its chat's time zone), or None."""
    return store.digests.get(place.chat_id, place.thread_id)


def timezone_of(store: Store, chat_id: int) -> str:
    """A chat's time zone for digests (an IANA name; UTC unless set)."""
    return store.digests.timezone(chat_id)


def turn_off(store: Store, place: Place) -> bool:
    """Turn the place's digest off; True if there was one."""
    return store.digests.remove(place.chat_id, place.thread_id)


def set_digest(
    store: Store, place: Place, topic: str, schedule: Schedule, user_id: int | None, now: datetime
) -> DigestSetting:
    """Create or replace the place's digest (a paused chat or forum topic resumes: asking is coming back).

    Occurrences before ``now`` are not due: a new digest starts with its next time.
    """
    register(store, place)
    setting = DigestSetting(
        place.chat_id, place.thread_id, topic, schedule.every, schedule.weekday, schedule.at.strftime("%H:%M"),
        created_at=now.isoformat(timespec="seconds"),
    )  # fmt: skip
    store.digests.set(setting, user_id)
    return store.digests.get(place.chat_id, place.thread_id) or setting


def set_timezone(store: Store, place: Place, name: str) -> None:
    """Set the chat's time zone (an IANA name checked by :func:`bot.subscribe.digest.parse_timezone`)."""
    store.digests.set_timezone(place.chat_id, place.kind, place.title, name)
