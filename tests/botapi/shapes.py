"""Render the world as Bot API JSON: User, Chat, ChatFullInfo, ChatMember, Message.

Every object an update or a method result contains is built here, so the shapes PTB's ``de_json``
parses (and the fields it requires) are checked in one place.
"""

from __future__ import annotations

from typing import Any

from .models import ADMIN_RIGHTS, CHANNEL_RIGHTS, GROUP_RIGHTS, Chat, Member, StoredMessage, User
from .world import World

_RESTRICTED_FLAGS = (
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_manage_topics",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_edit_tag",
)


def user_json(user: User, *, full: bool = False, bot_flags: dict[str, Any] | None = None) -> dict[str, Any]:
    """A User; ``bot_flags`` adds the getMe-only fields (can_join_groups, ...)."""
    data: dict[str, Any] = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name}
    for key in ("last_name", "username"):
        if getattr(user, key):
            data[key] = getattr(user, key)
    if user.language_code and not user.is_bot:
        data["language_code"] = user.language_code
    if bot_flags:
        data.update(bot_flags)
    return data


def chat_json(chat: Chat) -> dict[str, Any]:
    """The short Chat object that appears inside messages and updates."""
    data: dict[str, Any] = {"id": chat.id, "type": chat.type}
    if chat.type == "private":
        data["first_name"] = chat.first_name
        if chat.last_name:
            data["last_name"] = chat.last_name
    else:
        data["title"] = chat.title
    if chat.username:
        data["username"] = chat.username
    if chat.type == "group":
        data["all_members_are_administrators"] = False
    if chat.is_forum:
        data["is_forum"] = True
    return data


def chat_full_json(chat: Chat) -> dict[str, Any]:
    """ChatFullInfo as returned by getChat (PTB requires accent_color_id, max_reaction_count, gifts)."""
    data = chat_json(chat)
    data.pop("all_members_are_administrators", None)
    data.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    if chat.description:
        data["description"] = chat.description
    return data


def member_json(member: Member, user: User, chat: Chat) -> dict[str, Any]:
    """A ChatMember of the right subtype for ``member.status``."""
    data: dict[str, Any] = {"status": member.status, "user": user_json(user)}
    if member.status == "creator":
        data["is_anonymous"] = member.is_anonymous
    elif member.status == "administrator":
        data.update(_admin_fields(member, chat))
    elif member.status == "restricted":
        data.update({flag: member.rights.get(flag, True) for flag in _RESTRICTED_FLAGS})
        data.update(is_member=True, can_send_messages=member.can_send_messages, until_date=0)
    elif member.status == "kicked":
        data["until_date"] = 0
    if member.custom_title and member.status in ("creator", "administrator"):
        data["custom_title"] = member.custom_title
    return data


def _admin_fields(member: Member, chat: Chat) -> dict[str, Any]:
    extra = CHANNEL_RIGHTS if chat.type == "channel" else GROUP_RIGHTS
    fields: dict[str, Any] = {"can_be_edited": False, "is_anonymous": member.is_anonymous}
    fields.update({right: bool(member.rights.get(right, False)) for right in ADMIN_RIGHTS + extra})
    if chat.type == "channel":
        fields["can_post_messages"] = bool(member.rights.get("can_post_messages", False))
    return fields


def message_json(msg: StoredMessage, world: World, *, nested: bool = False) -> dict[str, Any]:
    """A Message; ``reply_to_message`` is included one level deep, as Telegram does."""
    chat = world.chats[msg.chat_id]
    data: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date, "chat": chat_json(chat)}
    if msg.from_id is not None:
        data["from"] = user_json(world.users[msg.from_id])
    if msg.sender_chat_id is not None:
        data["sender_chat"] = chat_json(world.chats[msg.sender_chat_id])
    if msg.text is not None:
        data["text"] = msg.text
        if msg.entities:
            data["entities"] = [e.to_json() for e in msg.entities]
    if msg.thread_id is not None:
        data["message_thread_id"] = msg.thread_id
    if msg.is_topic_message:
        data["is_topic_message"] = True
    if msg.edit_date is not None:
        data["edit_date"] = msg.edit_date
    if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
        data["reply_markup"] = msg.reply_markup
    if msg.link_preview_options:
        data["link_preview_options"] = msg.link_preview_options
    if msg.reply_to_message_id is not None and not nested:
        replied = chat.messages.get(msg.reply_to_message_id)
        if replied is not None and not replied.deleted:
            data["reply_to_message"] = message_json(replied, world, nested=True)
    data.update(msg.service)
    return data
