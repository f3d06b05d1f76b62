"""The queries behind paging buttons, without Telegram: a question or /latest listing is remembered under a
short key its buttons carry, and found again only in the chat it was asked in (old keys are forgotten daily
by :meth:`bot.heartbeat.Heartbeat.forget_old_queries`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.store import Store


@dataclass(frozen=True, slots=True)
class PagedQuery:
    """A remembered query: what was asked, on which day (answers page as of that day), and the page size."""

    key: str
    text: str
    as_of: date | None
    size: int


def remember(
    store: Store, kind: str, text: str, *, chat_id: int, as_of: date | None = None, size: int = 0
) -> str:
    """Remember a query (``kind`` "ask" or "latest") asked in ``chat_id``; returns the key for its buttons."""
    return store.queries.save(
        kind, text, chat_id=chat_id, as_of=as_of.isoformat() if as_of else None, size=size
    )


def recall(store: Store, kind: str, key: str, *, chat_id: int | None) -> PagedQuery | None:
    """The query of this kind behind ``key``, if it was asked in ``chat_id``; None when it expired, never
    existed, is of another kind, or belongs to another chat (a forged or forwarded button)."""
    stored = store.queries.get(key, chat_id=chat_id)
    if stored is None or stored.kind != kind:
        return None
    as_of = date.fromisoformat(stored.as_of) if stored.as_of else None
    return PagedQuery(stored.key, stored.text, as_of, stored.size)

