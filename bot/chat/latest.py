"""`/latest [N] [topic]`: the newest articles, optionally on a topic, with "Older"/"Newer" buttons."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.answer.render import latest_html
from bot.stories import also_of, leads_of, newest_stories
from bot.subscribe.paging import recall, remember

from .commands import command_args, is_group, parse_count
from .context import BotContext
from .paging import message_chat_id, page_data, parse_page_data

if TYPE_CHECKING:
    from bot.services import Services

PAGE = "lat"  # callback data prefix of the list paging buttons
PAGE_KIND = "latest"  # the stored query kind they page
EXPIRED = "This list expired. Send /latest again."


def parse_latest_args(text: str, default: int = 5, maximum: int = 20) -> tuple[int, str | None]:
    """``(N, topic)`` from "/latest" arguments: an optional count first (clamped to 1..max), then a topic."""
    parts = text.split(maxsplit=1)
    first = parse_count(parts[0]) if parts else None
    if first is not None:
        count = min(max(first, 1), maximum)
        topic = parts[1].strip() if len(parts) > 1 else ""
    else:
        count, topic = default, text.strip()
    return count, (topic or None)


async def latest_command(update: Update, context: BotContext) -> None:
    """`/latest [N] [topic]`: reply with the newest articles and an "Older" button when there are more."""
    message = update.effective_message
    options, services = context.options, context.services
    count, topic = parse_latest_args(command_args(message), options.latest_default, options.latest_max)
    html, has_more = await asyncio.to_thread(latest_page, services, count, topic, 0)
    markup = None
    if has_more:
        key = await asyncio.to_thread(
            remember, services.store, PAGE_KIND, topic or "", chat_id=message.chat_id, size=count
        )
        markup = latest_markup(key, 0, count, has_more)
    await message.reply_html(html, reply_markup=markup, do_quote=is_group(message.chat))


async def latest_button(update: Update, context: BotContext) -> None:
    """The "Older" / "Newer" buttons: edit the list to show that page."""
    query = update.callback_query
    parsed = parse_page_data(query.data)
    services = context.services
    chat_id = message_chat_id(query)  # a key pages only in the chat it was made for
    stored = (
        await asyncio.to_thread(recall, services.store, PAGE_KIND, parsed[1], chat_id=chat_id)
        if parsed
        else None
    )
    if parsed is None or stored is None:
        await query.answer(EXPIRED, show_alert=True)
        return
    await query.answer()
    topic, count, offset = stored.text or None, stored.size or 5, parsed[2]
    html, has_more = await asyncio.to_thread(latest_page, services, count, topic, offset)
    try:
        await query.edit_message_text(html, reply_markup=latest_markup(stored.key, offset, count, has_more))
    except BadRequest as exc:  # pressed twice: "message is not modified"
        if "not modified" not in exc.message.lower():
            raise


def latest_page(services: Services, count: int, topic: str | None, offset: int) -> tuple[str, bool]:
    """One page of the newest stories as HTML (one entry per story, with "also:" links to the other
    outlets), and whether older ones exist; ``offset`` counts stories."""
    stories, has_more = newest_stories(
        lambda k: services.answerer.latest(n=k, topic=topic, offset=0)[0], services.store, count, offset
    )
    html = latest_html(leads_of(stories), topic=topic, offset=offset, also=also_of(stories))
    return html, has_more


def latest_markup(key: str, offset: int, count: int, has_more: bool) -> InlineKeyboardMarkup | None:
    """ "‹ Newer" / "Older ›" buttons for the page starting at ``offset``."""
    buttons = []
    if offset > 0:
        buttons.append(
            InlineKeyboardButton("‹ Newer", callback_data=page_data(PAGE, key, max(offset - count, 0)))
        )
    if has_more:
        buttons.append(InlineKeyboardButton("Older ›", callback_data=page_data(PAGE, key, offset + count)))
    return InlineKeyboardMarkup([buttons]) if buttons else None
