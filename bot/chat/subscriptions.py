"""`/subscribe [topic]`, `/unsubscribe [topic|all]`, `/subscriptions` in private chats, groups and channels.

Commands posted in a channel arrive as channel posts, which PTB's ``CommandHandler`` never sees, so
:func:`channel_command` parses them itself. From a private chat an administrator can manage a group or
channel: ``/subscribe @channel topic``. Only administrators (anonymous ones included) change a group's
or channel's subscriptions, and the bot only subscribes where it can post.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Chat, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.answer.render import esc
from bot.store.subscriptions import AddOutcome, Subscription, SubscriptionRepo
from bot.subscribe.topics import TopicError, parse_topic

from . import digests
from .common import (
    bot_can_post,
    command_args,
    command_name,
    is_chat_admin,
    is_group,
    services_of,
    thread_of,
    topic_name_of,
    user_is_admin,
)

log = logging.getLogger(__name__)

# "@name" (public group/channel) or a numeric chat id of a group/supergroup/channel.
_REMOTE = re.compile(r"^(?:@[A-Za-z][A-Za-z0-9_]{3,31}|-\d{5,})$")
CANNOT_POST = (
    "I can't post in {where}. Add me there (in a channel: as an administrator allowed to post messages), "
    "then subscribe again."
)


@dataclass(frozen=True, slots=True)
class Target:
    """The chat whose subscriptions a command changes, and how to name it in replies."""

    chat: Chat
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


Action = Callable[[ContextTypes.DEFAULT_TYPE, Message, Target, str], Awaitable[str]]


async def subscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/subscribe [@chat] [topic]` in a private chat or group."""
    await run_command(update, context, "subscribe", command_args(update.effective_message))


async def unsubscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/unsubscribe [@chat] [topic|all]` in a private chat or group."""
    await run_command(update, context, "unsubscribe", command_args(update.effective_message))


async def subscriptions_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/subscriptions [@chat]` in a private chat or group."""
    await run_command(update, context, "subscriptions", command_args(update.effective_message))


async def channel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command posted in a channel (a channel post): the subscription commands work there too."""
    post = update.effective_message
    name, addressee = command_name(post)
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # meant for another bot
    if name in ACTIONS:
        await run_command(update, context, name, command_args(post))


async def run_command(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str, args: str) -> None:
    """Resolve which chat is meant, check rights, run the action and reply with its outcome."""
    message, chat = update.effective_message, update.effective_chat
    target, args, refusal = await resolve_target(context, message, chat, args)
    admins = services_of(context).settings.admin_user_ids
    needs_admin = refusal is None and changes_settings(action, args) and target is not None and not target.handle
    if needs_admin and not await is_chat_admin(message, chat, admins):
        refusal = "Sorry, only this chat's administrators can change its subscriptions and digests."
    text = refusal if refusal is not None else await ACTIONS[action](context, message, target, args)
    try:
        await message.reply_html(text, do_quote=is_group(chat))
    except TelegramError as exc:  # e.g. a group where the bot may not write: nothing else to do
        log.warning("could not reply to /%s in chat %s: %s", action, chat.id, exc)


async def resolve_target(
    context: ContextTypes.DEFAULT_TYPE, message: Message, chat: Chat, args: str
) -> tuple[Target | None, str, str | None]:
    """``(target, remaining args, refusal)``: this chat, or a group/channel named in a private chat."""
    first, _, rest = args.partition(" ")
    if chat.type != ChatType.PRIVATE or not _REMOTE.match(first):
        return Target(chat, thread_id=thread_of(message), topic_name=topic_name_of(message)), args, None
    bot = context.bot
    try:
        remote = await bot.get_chat(first)
    except TelegramError:
        return None, "", f"I can't find {esc(first)}. Add me to it first, then try again."
    if remote.type == ChatType.PRIVATE:
        return None, "", "I can manage groups and channels this way, not private chats."
    user = message.from_user
    admins = services_of(context).settings.admin_user_ids
    if user is None or not (user.id in admins or await user_is_admin(bot, remote.id, user.id)):
        name = esc(remote.title or first)
        return None, "", f"Sorry, only administrators of <b>{name}</b> can change its subscriptions."
    return Target(remote, handle=first), rest.strip(), None


async def topic_renamed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A forum topic was renamed: listings and notices use its new name."""
    message = update.effective_message
    edited = message.forum_topic_edited
    if edited is not None and edited.name and message.message_thread_id:
        services_of(context).store.subscriptions.rename_topic(message.chat.id, message.message_thread_id, edited.name)


def topic_label(topic: str) -> str:
    """A subscription's topic as shown to users (escaped)."""
    return f"<b>{esc(topic)}</b>" if topic else "<b>every new article</b>"


async def subscribe(context: ContextTypes.DEFAULT_TYPE, message: Message, target: Target, args: str) -> str:
    """Add a subscription; returns the reply."""
    try:
        topic = parse_topic(args)
    except TopicError as exc:
        return esc(str(exc))
    if not await bot_can_post(context.bot, target.chat):
        return CANNOT_POST.format(where=target.where if target.handle else "this chat")
    services = services_of(context)
    repo, chat = services.store.subscriptions, target.chat
    repo.upsert_chat(chat.id, chat.type, chat.title or chat.username or chat.full_name or "")
    resumed = repo.resume(chat.id)
    if target.thread_id:
        repo.upsert_topic(chat.id, target.thread_id, target.topic_name)
        resumed = repo.resume_topic(chat.id, target.thread_id) or resumed
    if resumed:
        log.info("chat %s (topic %s) resumed: subscribed again", chat.id, target.thread_id)
    user_id = message.from_user.id if message.from_user else None
    limit = services.settings.max_subscriptions_per_chat
    outcome = repo.add(chat.id, topic.text, user_id, limit, thread_id=target.thread_id)
    if outcome is AddOutcome.EXISTS:
        if resumed:
            return f"▶️ Resumed: I'll post new articles on {topic_label(topic.text)} {target.where} again."
        return f"Already subscribed to {topic_label(topic.text)} {target.where}."
    if outcome is AddOutcome.LIMIT:
        return (
            f"There are already {limit} subscriptions {target.where}, the most allowed. "
            f"Remove one with /unsubscribe{esc(target.prefix)} <i>topic</i>."
        )
    what = "every new article" if not topic.text else f"new articles on {topic_label(topic.text)}"
    return f"✅ Subscribed: I'll post {what} {target.where}."


async def unsubscribe(context: ContextTypes.DEFAULT_TYPE, message: Message, target: Target, args: str) -> str:
    """Remove one subscription or all of them; returns the reply."""
    repo = services_of(context).store.subscriptions
    chat_id, thread_id = target.chat.id, target.thread_id
    current = repo.list(chat_id, thread_id=thread_id)
    if not current:
        return f"There are no subscriptions {target.where}."
    if args.strip().lower() == "all":
        n = repo.remove_all(chat_id, thread_id=thread_id)
        return f"Unsubscribed from all {n} subscription{'s' if n != 1 else ''} {target.where}."
    if not args.strip():
        if len(current) > 1:
            return (
                f"Which one? /unsubscribe{esc(target.prefix)} <i>topic</i>, or "
                f"/unsubscribe{esc(target.prefix)} all.\n\n{listing(current)}"
            )
        topic_text = current[0].topic
    else:
        try:
            topic_text = parse_topic(args).text
        except TopicError as exc:
            return esc(str(exc))
    if repo.remove(chat_id, topic_text, thread_id=thread_id):
        return f"Unsubscribed from {topic_label(topic_text)} {target.where}."
    return f"There is no subscription to {topic_label(topic_text)} {target.where}.\n\n{listing(current)}"


async def list_subscriptions(
    context: ContextTypes.DEFAULT_TYPE, message: Message, target: Target, args: str
) -> str:
    """List a chat's subscriptions; returns the reply."""
    store = services_of(context).store
    repo = store.subscriptions
    digest = store.digests.get(target.chat.id, target.thread_id)
    also = f"\n\n🗓 {digests.setting_line(digest)}" if digest is not None else ""
    # Inside a forum topic: that topic's. Elsewhere: the whole chat's, grouped by forum topic.
    current = repo.list(target.chat.id, thread_id=target.thread_id or None)
    if not current:
        return f"There are no subscriptions {target.where}. Try /subscribe{esc(target.prefix)} <i>topic</i>." + also
    if target.thread_id or all(s.thread_id == 0 for s in current):
        text = f"Subscriptions {target.where}:\n{listing(current)}"
        text += topic_pause_note(repo, target.chat.id, target.thread_id)
    else:
        text = f"Subscriptions {target.where}, by topic:\n" + by_topic(repo, target.chat.id, current)
    record = repo.get_chat(target.chat.id)
    if record is not None and record.paused:
        text += f"\n\n<i>Paused: {esc(record.paused_reason or 'I could not post')}.</i>"
    return text + also


def topic_pause_note(repo: SubscriptionRepo, chat_id: int, thread_id: int) -> str:
    """A line saying that a forum topic's subscriptions are paused, and why (empty when they are not)."""
    record = repo.get_topic(chat_id, thread_id) if thread_id else None
    if record is None or not record.paused:
        return ""
    return f"\n\n<i>Paused: {esc(record.paused_reason or 'I could not post')}.</i>"


def by_topic(repo: SubscriptionRepo, chat_id: int, subs: list[Subscription]) -> str:
    """A forum's subscriptions under one heading per topic (General first)."""
    names = repo.topic_names(chat_id)
    blocks: list[str] = []
    for thread_id in dict.fromkeys(s.thread_id for s in subs):
        name = "General" if not thread_id else names.get(thread_id) or f"topic {thread_id}"
        paused = " (paused)" if thread_id and (rec := repo.get_topic(chat_id, thread_id)) and rec.paused else ""
        blocks.append(f"<b>{esc(name)}</b>{paused}\n" + listing([s for s in subs if s.thread_id == thread_id]))
    return "\n\n".join(blocks)


def listing(subs: list[Subscription]) -> str:
    """Bullet list of subscriptions."""
    return "\n".join(f"• {topic_label(s.topic)}" for s in subs)


def changes_settings(action: str, args: str) -> bool:
    """The one permission rule's question: does this command change anything? (Looking is for everyone.)"""
    if action == "subscriptions":
        return False
    return action not in ("digest", "timezone") or bool(args.strip())


def command(action: str) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """A command handler that runs ``action`` through :func:`run_command` (used for /digest, /timezone)."""

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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
