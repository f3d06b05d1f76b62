"""The fake Telegram's world: users, chats, memberships and stored messages.

Plain dataclasses with no I/O, so the test API and the HTTP handlers share one source of truth about
who is where and what was said.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .entities import Entity, utf16_slice

#: Telegram's service user that appears as ``from`` on anonymous-admin group messages.
GROUP_ANONYMOUS_BOT_ID = 1087968824
#: Telegram's service user behind channel posts forwarded to linked groups.
TELEGRAM_SERVICE_ID = 777000

ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
CHANNEL_RIGHTS = ("can_post_messages", "can_edit_messages")
GROUP_RIGHTS = ("can_pin_messages", "can_manage_topics")


def now() -> int:
    """Unix time in seconds, the resolution of every Telegram ``date``."""
    return int(time.time())


@dataclass
class User:
    """A Telegram account (a person, or the bot itself)."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    @property
    def mention(self) -> str:
        """``@username`` if set, else the first name (handy in asserts)."""
        return f"@{self.username}" if self.username else self.first_name


@dataclass
class Member:
    """One user's membership in a chat, with admin rights when ``status == "administrator"``."""

    user_id: int
    status: str = "member"  # creator, administrator, member, restricted, left, kicked
    is_anonymous: bool = False
    rights: dict[str, bool] = field(default_factory=dict)
    custom_title: str | None = None
    can_send_messages: bool = True

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")

    @property
    def is_present(self) -> bool:
        return self.status in ("creator", "administrator", "member", "restricted")


@dataclass
class MessageVersion:
    """The content of a message before an edit, kept so tests can check what changed."""

    text: str
    entities: list[Entity]
    reply_markup: dict[str, Any] | None
    edit_date: int | None


@dataclass
class StoredMessage:
    """A message as Telegram stores and renders it (text already parsed into entities)."""

    chat_id: int
    message_id: int
    date: int
    text: str | None
    entities: list[Entity] = field(default_factory=list)
    from_id: int | None = None
    sender_chat_id: int | None = None
    by_bot: bool = False
    reply_to_message_id: int | None = None
    reply_markup: dict[str, Any] | None = None
    link_preview_options: dict[str, Any] | None = None
    edit_date: int | None = None
    history: list[MessageVersion] = field(default_factory=list)
    service: dict[str, Any] = field(default_factory=dict)
    thread_id: int | None = None  # message_thread_id: a forum topic, or a supergroup reply chain's root
    is_topic_message: bool = False  # True only for messages inside a forum topic (never in General)
    deleted: bool = False
    request: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)  # for latency measurements

    @property
    def is_edited(self) -> bool:
        return self.edit_date is not None

    def entity_texts(self) -> list[tuple[str, str]]:
        """``[(type, covered text), ...]`` — the easiest way to assert formatting."""
        return [(e.type, utf16_slice(self.text or "", e.offset, e.length)) for e in self.entities]

    def entity_dicts(self) -> list[dict[str, Any]]:
        """Entities as Bot API JSON dicts."""
        return [e.to_json() for e in self.entities]

    def buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]


@dataclass
class ForumTopic:
    """A topic of a forum supergroup; its id is the id of its ``forum_topic_created`` service message."""

    thread_id: int
    name: str
    icon_color: int = 0x6FB9F0
    closed: bool = False
    deleted: bool = False
    created_by: int | None = None


@dataclass
class Chat:
    """A private chat, group, supergroup or channel, with the bot's own membership in ``bot``."""

    id: int
    type: str  # private, group, supergroup, channel
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    members: dict[int, Member] = field(default_factory=dict)
    bot: Member = field(default_factory=lambda: Member(0))
    started: bool = True  # private chats: the user pressed Start (bots can't write first)
    migrated_to: int | None = None
    migrated_from: int | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    description: str | None = None
    is_forum: bool = False  # a supergroup with topics enabled
    topics: dict[int, ForumTopic] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def new_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid

    def admins(self) -> list[Member]:
        return [m for m in self.members.values() if m.is_admin]


@dataclass
class CallbackQueryRecord:
    """A button press sent to the bot, and the bot's answer to it (if any)."""

    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class InlineQueryRecord:
    """An inline query sent to the bot, and the bot's answer (results, next_offset, ...)."""

    id: str
    user_id: int
    query: str
    offset: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None

    @property
    def results(self) -> list[dict[str, Any]]:
        return (self.answer or {}).get("results", [])

    @property
    def next_offset(self) -> str | None:
        return (self.answer or {}).get("next_offset")
