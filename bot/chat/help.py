"""`/start`, `/help` (what the bot does, in a few lines), `/sources` (what the corpus covers)."""

from __future__ import annotations

import asyncio

from telegram import BotCommand, Update
from telegram.constants import ChatType

from bot.answer.render import esc, sources_html
from bot.answer.sources import corpus_stats

from .commands import is_group
from .context import BotContext

PRIVATE_COMMANDS = [
    BotCommand("ask", "Ask about the news"),
    BotCommand("latest", "Newest articles: /latest [N] [topic]"),
    BotCommand("subscribe", "Get new articles on a topic"),
    BotCommand("unsubscribe", "Stop a subscription: topic or all"),
    BotCommand("subscriptions", "List this chat's subscriptions"),
    BotCommand("digest", "Scheduled digest: daily 08:00 [topic], weekly mon 08:00, off"),
    BotCommand("timezone", "Time zone for digests, e.g. Europe/Berlin"),
    BotCommand("sources", "What the news corpus covers"),
    BotCommand("help", "How to use this bot"),
]
GROUP_COMMANDS = [c for c in PRIVATE_COMMANDS if c.command not in ("subscribe", "unsubscribe", "timezone")]
ADMIN_COMMANDS = PRIVATE_COMMANDS


SUBSCRIBE_HELP = (
    "• /subscribe [topic]: new articles on a topic are posted here. All words must occur; "
    'use "quoted phrases", and -word to exclude; no topic means every article.'
)
MANAGE_HELP = (
    "• /unsubscribe [topic|all], /subscriptions. In groups and channels only admins change them; "
    "from a private chat, /subscribe @channel topic manages a channel or group you administer. "
    "In a forum, each topic has its own subscriptions and digest."
)

DIGEST_HELP = (
    "• /digest daily 08:00 [topic] or /digest weekly mon 08:00 [topic]: the top stories at that time "
    "instead of waiting for pushes; /digest off; /timezone Europe/Berlin sets the clock (UTC by default)."
)


def help_html(username: str | None, chat_type: str) -> str:
    """A few lines on everything the bot does, worded for the kind of chat it is shown in."""
    bot = f"@{esc(username)}" if username else "the bot"
    if chat_type == ChatType.PRIVATE:
        asking = "Send me any question about the news, e.g. <i>Why did NATO ministers meet in Bucharest?</i>"
    else:
        asking = f"Ask with /ask <i>question</i>, reply to one of my messages, or mention {bot}."
    return "\n".join(
        [
            "🗞 <b>I answer questions about the news</b> by quoting the best passages (title, date, link).",
            "",
            f"• {asking} Press <b>More</b> for further results.",
            f"• In any chat, type {bot} <i>question</i> for inline results.",
            "• /latest [N] [topic]: the newest articles.",
            SUBSCRIBE_HELP,
            MANAGE_HELP,
            DIGEST_HELP,
            "• /sources: what the news covers.",
        ]
    )


async def help_command(update: Update, context: BotContext) -> None:
    """`/start` and `/help`: explain the bot in a few lines."""
    message = update.effective_message
    await message.reply_html(
        help_html(context.bot.username, message.chat.type), do_quote=is_group(message.chat)
    )


async def sources_command(update: Update, context: BotContext) -> None:
    """`/sources`: article count, sources, date range and last update of the corpus."""
    message = update.effective_message
    stats = await asyncio.to_thread(corpus_stats, context.services.store)
    await message.reply_html(sources_html(stats), do_quote=is_group(message.chat))


async def unknown_command(update: Update, context: BotContext) -> None:
    """An unknown /command in a private chat: point to /help (in groups the bot stays quiet)."""
    await update.effective_message.reply_html("I don't know that command. Send /help to see what I can do.")
