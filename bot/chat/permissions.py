"""Who may do what in a chat: the one rule for managing its subscriptions and digests (:func:`may_manage`),
and whether the bot itself can post there."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from telegram import Chat, ChatFullInfo, ChatMember, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


async def may_manage(
    chat: Chat | ChatFullInfo, sender: User | Chat | None, *, operators: Collection[int] = ()
) -> bool:
    """Whether ``sender`` may change ``chat``'s subscriptions and digests.

    * a private chat: its own user;
    * a chat speaking as itself: a channel's own post (only its administrators can post), or an anonymous
      group administrator (who posts as the group); another chat speaking (a linked channel's forward): no;
    * the bot's operators (``ADMIN_USER_IDS``): anywhere;
    * anyone else: when Telegram says they are the chat's creator or an administrator (False when it
      won't say).

    The same rule serves a command sent in the chat and one naming the chat from a private chat.
    """
    if sender is None:
        return False
    if chat.type == ChatType.PRIVATE or isinstance(sender, Chat):
        return sender.id == chat.id
    if sender.id in operators:
        return True
    try:
        member = await chat.get_member(sender.id)
    except TelegramError as exc:
        log.info("could not check admin rights of %s in %s: %s", sender.id, chat.id, exc)
        return False
    return member.status in ADMIN_STATUSES


def member_can_post(member: ChatMember, chat_type: str) -> bool:
    """Whether a chat member (the bot) can send messages in a chat of this type."""
    status = member.status
    if status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return False
    if chat_type == ChatType.CHANNEL:
        return status == ChatMemberStatus.OWNER or (
            status == ChatMemberStatus.ADMINISTRATOR and bool(getattr(member, "can_post_messages", False))
        )
    if status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "can_send_messages", False))
    return True


async def bot_can_post(bot: Any, chat: Chat | ChatFullInfo) -> bool:
    """Whether the bot itself can post in ``chat`` (private chats: always, it was written to)."""
    if chat.type == ChatType.PRIVATE:
        return True
    try:
        member = await bot.get_chat_member(chat.id, bot.id)
    except TelegramError as exc:
        log.info("could not check the bot's rights in %s: %s", chat.id, exc)
        return False
    return member_can_post(member, chat.type)
