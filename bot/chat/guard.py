"""Refuse updates whose chat contradicts itself or what the store knows about it.

A chat's type never changes under the same id (a group that becomes a supergroup gets a new id), and
Telegram's ids say the type too: private chats are positive, groups and channels negative. An update
that claims ``chat.type: "private"`` for a known group's id can only be forged (for instance by someone
who learned the webhook secret), and would let a non-admin change the group's subscriptions: it is
dropped before any handler sees it, with one warning line (no reply: that would go to the real chat).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.subscribe.chats import known_kind

from .context import BotContext

log = logging.getLogger(__name__)


async def refuse_contradicting_chat(update: Update, context: BotContext) -> None:
    """Stop the update here when its chat's type contradicts its id or the stored chat."""
    chat = update.effective_chat
    if chat is None:
        return
    reason = contradiction(chat.id, str(chat.type), known_kind(context.services.store, chat.id))
    if reason is not None:
        log.warning("update %s refused: chat %s %s", update.update_id, chat.id, reason)
        raise ApplicationHandlerStop


def contradiction(chat_id: int, claimed: str, known: str | None) -> str | None:
    """Why a chat of this id cannot have the claimed type, or None when nothing contradicts it."""
    if (claimed == ChatType.PRIVATE) != (chat_id > 0):
        return f"claims type {claimed!r}, which its id rules out"
    if known and known != claimed:
        return f"claims type {claimed!r} but is known as {known!r}"
    return None
