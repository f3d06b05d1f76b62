"""The bot's own membership: blocked, kicked, removed, demoted, re-added; groups becoming supergroups.

When the bot can no longer post in a chat its subscriptions are paused (not deleted) and that is
logged; when it can post there again they resume. A group upgraded to a supergroup gets a new id:
subscriptions and the delivery log move with it, so nothing is lost or sent twice.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot.subscribe import chats

from .context import BotContext
from .permissions import member_can_post

log = logging.getLogger(__name__)


async def my_chat_member(update: Update, context: BotContext) -> None:
    """`my_chat_member`: pause a chat's subscriptions when the bot loses the right to post, resume after."""
    change = update.my_chat_member
    chat, member = change.chat, change.new_chat_member
    store = context.services.store
    if member_can_post(member, chat.type):
        if await asyncio.to_thread(chats.bot_can_post_again, store, chat.id):
            log.info(
                "chat %s (%s): bot can post again (%s); subscriptions resumed",
                chat.id,
                chat.type,
                member.status,
            )
        return
    reason = f"bot is {member.status} in this {chat.type}"
    if await asyncio.to_thread(chats.bot_cannot_post, store, chat.id, reason):
        log.warning("chat %s: %s; subscriptions paused", chat.id, reason)


async def chat_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: move its subscriptions and delivery log to the new chat id."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await migrate_chat(context, old, new)


async def migrate_chat(context: BotContext, old: int, new: int) -> None:
    """Move our rows and PTB's chat_data from ``old`` to ``new`` (idempotent)."""
    moved = await asyncio.to_thread(chats.migrate, context.services.store, old, new)
    if old in context.application.chat_data:
        context.application.migrate_chat_data(old_chat_id=old, new_chat_id=new)
    log.info("chat %s migrated to %s: %d subscription(s) moved", old, new, moved)
