"""What every handler module shares: typed access to the services and options, and small reply helpers.

Handlers stay thin by asking these helpers for the store, the answerer and the tuning knobs instead of
digging in ``bot_data`` themselves.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import CallbackQuery, Chat, ChatMember, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.subscribe.planner import BurstPolicy

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from bot.answer.types import Answer
    from bot.services import Services

    from .workers import AnswerWorkers

log = logging.getLogger(__name__)

SERVICES_KEY = "newsbot.services"
OPTIONS_KEY = "newsbot.options"
WORKERS_KEY = "newsbot.workers"
T = TypeVar("T")

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
STALE_BUTTON = "This button no longer works."
ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


@dataclass(frozen=True, slots=True)
class BotOptions:
    """Tuning knobs of the Telegram layer that are not user settings (tests shorten the intervals).

    ``watch_interval`` is how often the bot looks for articles another process (``python -m bot
    ingest``) added; ``chat_pace`` the pause between two pushes to the same chat (Telegram allows about
    one message per second per chat; groups are additionally held to 20/min by PTB's rate limiter).
    """

    watch_interval: float = 5.0
    watch_first: float = 2.0
    chat_pace: float = 1.0
    delivery_concurrency: int = 16
    burst: BurstPolicy = field(default_factory=BurstPolicy)
    rate_limit_retries: int = 3
    concurrent_updates: int = 64
    query_ttl_days: float = 7.0
    inline_results: int = 5  # per page; the answer pipeline keeps 10 results, so two pages
    inline_cache_seconds: int = 60
    latest_default: int = 5
    latest_max: int = 20
    digest_interval: float = 30.0  # seconds between checks for due digests
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # tests drive time with it


def services_of(context: ContextTypes.DEFAULT_TYPE | Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The services the application was built with."""
    app = context if isinstance(context, Application) else context.application
    return app.bot_data[SERVICES_KEY]


def options_of(context: ContextTypes.DEFAULT_TYPE | Application[Any, Any, Any, Any, Any, Any]) -> BotOptions:
    """The options the application was built with."""
    app = context if isinstance(context, Application) else context.application
    return app.bot_data[OPTIONS_KEY]


def workers_of(
    context: ContextTypes.DEFAULT_TYPE | Application[Any, Any, Any, Any, Any, Any],
) -> AnswerWorkers:
    """The answer workers the application was built with."""
    app = context if isinstance(context, Application) else context.application
    return app.bot_data[WORKERS_KEY]


async def answer_for(
    context: ContextTypes.DEFAULT_TYPE,
    question: str,
    *,
    as_of: date | None = None,
    offset: int = 0,
    limit: int = 3,
) -> Answer:
    """A page of the answer to ``question``: in a worker process, or off the event loop in this one."""
    return await workers_of(context).answer(question, as_of=as_of, offset=offset, limit=limit)


async def in_thread(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run CPU-bound pipeline work off the event loop, so one slow question never stalls the others."""
    return await asyncio.to_thread(func, *args, **kwargs)


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
    """Groups and supergroups (not channels, not private chats)."""
    return chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def is_chat_admin(message: Message, chat: Chat, admin_user_ids: list[int]) -> bool:
    """Whether the sender may change this chat's subscriptions.

    Private chat: yes. Channel post: yes (only administrators can post in a channel). Anonymous group
    admins post as the group itself (``sender_chat`` is the chat). Otherwise ask Telegram.
    """
    if chat.type == ChatType.PRIVATE or chat.type == ChatType.CHANNEL:
        return True
    if message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    user = message.from_user
    if user is None:
        return False
    if user.id in admin_user_ids:
        return True
    return await user_is_admin(message.get_bot(), chat.id, user.id)


async def user_is_admin(bot: Any, chat_id: int | str, user_id: int) -> bool:
    """Whether a user is the creator or an administrator of a chat (False when Telegram won't say)."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("could not check admin rights of %s in %s: %s", user_id, chat_id, exc)
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


async def bot_can_post(bot: Any, chat: Chat) -> bool:
    """Whether the bot itself can post in ``chat`` (private chats: always, it was written to)."""
    if chat.type == ChatType.PRIVATE:
        return True
    try:
        member = await bot.get_chat_member(chat.id, bot.id)
    except TelegramError as exc:
        log.info("could not check the bot's rights in %s: %s", chat.id, exc)
        return False
    return member_can_post(member, chat.type)


# -- paging buttons ----------------------------------------------------------------------------------

CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data


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


_ASCII_COUNT = re.compile(r"[0-9]{1,6}")


def parse_count(text: str | None) -> int | None:
    """A non-negative integer written in ASCII digits (at most six), or None.

    ``str.isdigit()`` is not enough: it accepts "²" and other digits ``int()`` rejects, and a client can
    put anything in callback data or an inline offset.
    """
    if not text or not _ASCII_COUNT.fullmatch(text):
        return None
    return int(text)


def message_chat_id(query: CallbackQuery) -> int | None:
    """The chat of the message a button sits under (None for inline messages and inaccessible ones)."""
    message = query.message
    return message.chat.id if message is not None else None


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press no other handler claims (old or forged data): answered, so the button stops spinning."""
    await update.callback_query.answer(STALE_BUTTON)
