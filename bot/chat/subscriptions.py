"""`/subscribe [topic]`, `/unsubscribe [topic|all]`, `/subscriptions` in private chats, groups and channels.

Commands posted in a channel arrive as channel posts, which PTB's ``CommandHandler`` never sees, so
:func:`channel_command` parses them itself. From a private chat an administrator can manage a group or
channel: ``/subscribe @channel topic``. Only administrators (anonymous ones included) change a group's
or channel's subscriptions (:func:`bot.chat.permissions.may_manage`, checked once in :func:`run_command`),
and the bot only subscribes where it can post. What the commands do is decided without Telegram in
:mod:`bot.subscribe.manage`; this module resolves the chat, checks rights and words the replies.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Chat, ChatFullInfo, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.answer.render import esc
from bot.subscribe import manage
from bot.subscribe.chats import Place, rename_topic
from bot.subscribe.manage import AddOutcome, Listing, Removal, Subscription
from bot.subscribe.topics import TopicError, parse_topic

from . import digests
from .commands import command_args, command_name, is_group, thread_of, topic_name_of
from .context import BotContext
from .permissions import bot_can_post, may_manage

log = logging.getLogger(__name__)

# "@name" (public group/channel) or a numeric chat id of a group/supergroup/channel.
REMOTE = re.compile(r"^(?:@[A-Za-z][A-Za-z0-9_]{3,31}|-\d{5,})$")
CANNOT_POST = (
    "I can't post in {where}. Add me there (in a channel: as an administrator allowed to post messages), "
    "then subscribe again."
)
NOT_ADMIN = "Sorry, only this chat's administrators can change its subscriptions and digests."
NOT_REMOTE_ADMIN = "Sorry, only administrators of <b>{name}</b> can change its subscriptions."


@dataclass(frozen=True, slots=True)
class Target:
    """The chat whose subscriptions a command changes, and how to name it in replies."""

    chat: Chat | ChatFullInfo
    handle: str = ""  # what the user typed to name a remote chat ("@channel"); empty for "this chat"
    thread_id: int = 0  # the forum topic the command was sent in; 0 = General or not a forum
    topic_name: str = ""  # that topic's name when Telegram showed it

    @property
    def where(self) -> str:
        """ "here", "in this topic" or the remote chat's escaped name, for reply sentences."""
        if self.thread_id:
            return "in this topic"
        if not self.handle:
            return "here"
        return f"in <b>{esc(self.chat.title or self.handle)}</b>"

    @property
    def prefix(self) -> str:
        """What to repeat after a command to address the same chat again."""
        return f" {self.handle}" if self.handle else ""

    @property
    def place(self) -> Place:
        """The chat (forum topic) as the Telegram-free subscription rules know it."""
        chat = self.chat
        title = chat.title or chat.username or chat.full_name or ""
        return Place(chat.id, str(chat.type), title, self.thread_id, self.topic_name)


Action = Callable[[BotContext, Message, Target, str], Awaitable[str]]


async def subscribe_command(update: Update, context: BotContext) -> None:
    """`/subscribe [@chat] [topic]` in a private chat or group."""
    await run_command(update, context, "subscribe", command_args(update.effective_message))


async def unsubscribe_command(update: Update, context: BotContext) -> None:
    """`/unsubscribe [@chat] [topic|all]` in a private chat or group."""
    await run_command(update, context, "unsubscribe", command_args(update.effective_message))


async def subscriptions_command(update: Update, context: BotContext) -> None:
    """`/subscriptions [@chat]` in a private chat or group."""
    await run_command(update, context, "subscriptions", command_args(update.effective_message))


async def channel_command(update: Update, context: BotContext) -> None:
    """A command posted in a channel (a channel post): the subscription commands work there too."""
    post = update.effective_message
    name, addressee = command_name(post)
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # meant for another bot
    if name in ACTIONS:
        await run_command(update, context, name, command_args(post))


async def run_command(update: Update, context: BotContext, action: str, args: str) -> None:
    """Resolve which chat is meant, check rights, run the action and reply with its outcome."""
    message, chat = update.effective_message, update.effective_chat
    target, args, refusal = await resolve_target(context, message, chat, args)
    if refusal is None and target is not None:
        refusal = await refuse_unless_manager(context, message, target, action, args)
    text = refusal if refusal is not None else await ACTIONS[action](context, message, target, args)
    try:
        await message.reply_html(text, do_quote=is_group(chat))
    except TelegramError as exc:  # e.g. a group where the bot may not write: nothing else to do
        log.warning("could not reply to /%s in chat %s: %s", action, chat.id, exc)


async def refuse_unless_manager(
    context: BotContext, message: Message, target: Target, action: str, args: str
) -> str | None:
    """The refusal when the sender may not do this, else None: looking at this chat's settings is for
    everyone, changing them (or anything about a chat named from a private chat) for its managers."""
    if not target.handle and not changes_settings(action, args):
        return None
    sender = message.sender_chat or message.from_user
    if await may_manage(target.chat, sender, operators=context.services.settings.admin_user_ids):
        return None
    if target.handle:
        return NOT_REMOTE_ADMIN.format(name=esc(target.chat.title or target.handle))
    return NOT_ADMIN


async def resolve_target(
    context: BotContext, message: Message, chat: Chat, args: str
) -> tuple[Target | None, str, str | None]:
    """``(target, remaining args, refusal)``: this chat, or a group/channel named in a private chat."""
    first, _, rest = args.partition(" ")
    if chat.type != ChatType.PRIVATE or not REMOTE.match(first):
        return Target(chat, thread_id=thread_of(message), topic_name=topic_name_of(message)), args, None
    try:
        remote = await context.bot.get_chat(first)
    except TelegramError:
        return None, "", f"I can't find {esc(first)}. Add me to it first, then try again."
    if remote.type == ChatType.PRIVATE:
        return None, "", "I can manage groups and channels this way, not private chats."
    return Target(remote, handle=first), rest.strip(), None


async def topic_renamed(update: Update, context: BotContext) -> None:
    """A forum topic was renamed: listings and notices use its new name."""
    message = update.effective_message
    edited = message.forum_topic_edited
    if edited is not None and edited.name and message.message_thread_id:
        rename_topic(context.services.store, message.chat.id, message.message_thread_id, edited.name)


def topic_label(topic: str) -> str:
    """A subscription's topic as shown to users (escaped)."""
    return f"<b>{esc(topic)}</b>" if topic else "<b>every new article</b>"


async def subscribe(context: BotContext, message: Message, target: Target, args: str) -> str:
    """Add a subscription; returns the reply."""
    try:
        topic = parse_topic(args)
    except TopicError as exc:
        return esc(str(exc))
    if not await bot_can_post(context.bot, target.chat):
        return CANNOT_POST.format(where=target.where if target.handle else "this chat")
    services = context.services
    user_id = message.from_user.id if message.from_user else None
    limit = services.settings.max_subscriptions_per_chat
    done = await asyncio.to_thread(manage.subscribe, services.store, target.place, topic.text, user_id, limit)
    if done.outcome is AddOutcome.EXISTS:
        if done.resumed:
            return f"▶️ Resumed: I'll post new articles on {topic_label(done.topic)} {target.where} again."
        return f"Already subscribed to {topic_label(done.topic)} {target.where}."
    if done.outcome is AddOutcome.LIMIT:
        return (
            f"There are already {limit} subscriptions {target.where}, the most allowed. "
            f"Remove one with /unsubscribe{esc(target.prefix)} <i>topic</i>."
        )
    what = "every new article" if not done.topic else f"new articles on {topic_label(done.topic)}"
    return f"✅ Subscribed: I'll post {what} {target.where}."


async def unsubscribe(context: BotContext, message: Message, target: Target, args: str) -> str:
    """Remove one subscription or all of them; returns the reply."""
    try:
        done = await asyncio.to_thread(manage.unsubscribe, context.services.store, target.place, args)
    except TopicError as exc:
        return esc(str(exc))
    if done.removal is Removal.NOTHING:
        return f"There are no subscriptions {target.where}."
    if done.removal is Removal.ALL:
        n = done.count
        return f"Unsubscribed from all {n} subscription{'s' if n != 1 else ''} {target.where}."
    if done.removal is Removal.WHICH:
        return (
            f"Which one? /unsubscribe{esc(target.prefix)} <i>topic</i>, or "
            f"/unsubscribe{esc(target.prefix)} all.\n\n{bullets(done.before)}"
        )
    if done.removal is Removal.REMOVED:
        return f"Unsubscribed from {topic_label(done.topic)} {target.where}."
    return f"There is no subscription to {topic_label(done.topic)} {target.where}.\n\n{bullets(done.before)}"


async def list_subscriptions(context: BotContext, message: Message, target: Target, args: str) -> str:
    """List a chat's subscriptions; returns the reply."""
    found = await asyncio.to_thread(manage.listing, context.services.store, target.place)
    also = f"\n\n🗓 {digests.setting_line(found.digest)}" if found.digest is not None else ""
    if not found.subscriptions:
        return (
            f"There are no subscriptions {target.where}. Try /subscribe{esc(target.prefix)} <i>topic</i>."
            + also
        )
    if found.by_topic:
        text = f"Subscriptions {target.where}, by topic:\n" + by_topic(found)
    else:
        text = f"Subscriptions {target.where}:\n{bullets(found.subscriptions)}"
        text += paused_note(found.paused_reason(target.thread_id)) if target.thread_id else ""
    return text + paused_note(found.paused_reason()) + also


def paused_note(reason: str | None) -> str:
    """A line saying that a chat's or forum topic's subscriptions are paused, and why (empty when not)."""
    return f"\n\n<i>Paused: {esc(reason)}.</i>" if reason is not None else ""


def by_topic(found: Listing) -> str:
    """A forum's subscriptions under one heading per topic (General first)."""
    subs = found.subscriptions
    blocks: list[str] = []
    for thread_id in dict.fromkeys(s.thread_id for s in subs):
        name = "General" if not thread_id else found.topic_names.get(thread_id) or f"topic {thread_id}"
        paused = " (paused)" if thread_id and found.paused_reason(thread_id) is not None else ""
        blocks.append(
            f"<b>{esc(name)}</b>{paused}\n" + bullets([s for s in subs if s.thread_id == thread_id])
        )
    return "\n\n".join(blocks)


def bullets(subs: list[Subscription]) -> str:
    """Bullet list of subscriptions."""
    return "\n".join(f"• {topic_label(s.topic)}" for s in subs)


def changes_settings(action: str, args: str) -> bool:
    """Does this command change anything? (Looking is for everyone.)"""
    if action == "subscriptions":
        return False
    return action not in ("digest", "timezone") or bool(args.strip())


def command(action: str) -> Callable[[Update, BotContext], Awaitable[None]]:
    """A command handler that runs ``action`` through :func:`run_command` (used for /digest, /timezone)."""

    async def handler(update: Update, context: BotContext) -> None:
        """Run the action named by the command on this chat (or the chat named in a private chat)."""
        await run_command(update, context, action, command_args(update.effective_message))

    return handler


ACTIONS: dict[str, Action] = {
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "subscriptions": list_subscriptions,
    "digest": digests.digest,
    "timezone": digests.timezone,
}
