"""Paging buttons' callback data (``kind:key:offset``), and the answer to a button nobody claims."""

from __future__ import annotations

from telegram import CallbackQuery, Update

from .commands import parse_count
from .context import BotContext

CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data
STALE_BUTTON = "This button no longer works."


def page_data(kind: str, key: str, offset: int) -> str:
    """Callback data for a paging button: ``kind:key:offset`` (about 15 bytes, far below 64)."""
    data = f"{kind}:{key}:{offset}"
    if len(data.encode()) > CALLBACK_LIMIT:  # cannot happen with stored 8-character keys
        raise ValueError("callback data over 64 bytes")
    return data


def parse_page_data(data: str | None) -> tuple[str, str, int] | None:
    """``(kind, key, offset)`` from :func:`page_data`, or None for anything else (old or forged)."""
    parts = (data or "").split(":")
    if len(parts) != 3:
        return None
    offset = parse_count(parts[2])
    return None if offset is None else (parts[0], parts[1], offset)


def message_chat_id(query: CallbackQuery) -> int | None:
    """The chat of the message a button sits under (None for inline messages and inaccessible ones)."""
    message = query.message
    return message.chat.id if message is not None else None


async def unknown_button(update: Update, context: BotContext) -> None:
    """A button press no other handler claims (old or forged data): answered, so the button stops spinning."""
    await update.callback_query.answer(STALE_BUTTON)
