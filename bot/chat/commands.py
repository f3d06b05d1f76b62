"""Reading commands and where they were sent: arguments, the command's name and addressee, counts, the
forum topic of a message, and whether a chat is a group."""

from __future__ import annotations

import re

from telegram import Chat, Message
from telegram.constants import ChatType

_ASCII_COUNT = re.compile(r"[0-9]{1,6}")


def command_args(message: Message) -> str:
    """The text after ``/command`` (or ``/command@bot``), with the user's spacing and quotes intact."""
    text = message.text or message.caption or ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 and parts[0].startswith("/") else ""


def command_name(message: Message) -> tuple[str, str | None]:
    """``("subscribe", "thebot")`` for ``/subscribe@thebot ...``; ``("", None)`` when not a command."""
    text = (message.text or "").strip()
    if not text.startswith("/"):
        return "", None
    head = text.split(maxsplit=1)[0][1:]
    name, _, target = head.partition("@")
    return name.lower(), target or None


def parse_count(text: str | None) -> int | None:
    """A non-negative integer written in ASCII digits (at most six), or None.

    ``str.isdigit()`` is not enough: it accepts "²" and other digits ``int()`` rejects, and a client can
    put anything in callback data or an inline offset.
    """
    if not text or not _ASCII_COUNT.fullmatch(text):
        return None
    return int(text)


def thread_of(message: Message) -> int:
    """The forum topic a message was posted in, or 0 (General, or not a forum).

    Only a topic message's ``message_thread_id`` names a topic: a reply chain in General, or in any
    supergroup, carries one too, and sending with it fails with "message thread not found".
    """
    if message.is_topic_message and message.message_thread_id and message.chat.is_forum:
        return message.message_thread_id
    return 0


def topic_name_of(message: Message) -> str:
    """The name of the topic a message was posted in, when Telegram shows it (its implicit reply to the
    topic's creation message); empty when unknown."""
    root = message.reply_to_message
    created = root.forum_topic_created if root is not None else None
    return created.name if created is not None and thread_of(message) else ""


def is_group(chat: Chat) -> bool:
    """Groups and supergroups (not channels, not private chats): replies there quote the message."""
    return chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
