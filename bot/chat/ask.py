"""Questions: private messages, `/ask`, replies to and mentions of the bot in groups; the "More" button.

The answer pipeline does the work (in a worker process or a thread: it is CPU-bound); this module
decides *whether* a message is a question for the bot, replies to it with the rendered answer, and pages
through further results by editing that reply. The button carries a short key of a stored query, so it
still works after a restart, and says plainly that the results expired once the key is gone.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import MessageEntityType
from telegram.error import BadRequest
from telegram.ext import filters

from bot.answer.render import answer_html
from bot.answer.types import Answer
from bot.subscribe.paging import recall, remember

from .commands import command_args
from .context import BotContext
from .paging import message_chat_id, page_data, parse_page_data

log = logging.getLogger(__name__)

MORE = "more"  # callback data prefix of the answer paging buttons
MORE_KIND = "ask"  # the stored query kind they page
USAGE = "Ask me about the news, for example:\n<code>/ask Why did NATO ministers meet in Bucharest?</code>"
EXPIRED = "These results expired. Please ask the question again."
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class AddressedToBot(filters.MessageFilter):
    """Group messages meant for the bot: a reply to one of its messages, or a mention of it."""

    def filter(self, message: Message) -> bool:
        """True when the message replies to the bot or mentions it by @username or text mention."""
        bot = message.get_bot()
        reply = message.reply_to_message
        # In a forum topic every message "replies" to the topic's creation message: if the bot created
        # the topic, that is no question for it.
        if (
            reply is not None
            and reply.forum_topic_created is None
            and reply.from_user is not None
            and reply.from_user.id == bot.id
        ):
            return True
        return mentions_bot(message, bot.id, bot.username)


def mentions_bot(message: Message, bot_id: int, username: str | None) -> bool:
    """Whether a message's entities mention this bot."""
    wanted = f"@{username}".lower() if username else None
    for entity, text in message.parse_entities(
        [MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]
    ).items():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
        if wanted and text.lower() == wanted:
            return True
    return False


def strip_mention(text: str, username: str | None) -> str:
    """The question without the bot's @username."""
    if not username:
        return text.strip()
    return re.sub(rf"(?i)@{re.escape(username)}\b", " ", text).strip()


async def ask_command(update: Update, context: BotContext) -> None:
    """`/ask question` in private chats and groups (a bare `/ask` in reply to a message asks that text)."""
    message = update.effective_message
    question = command_args(message)
    replied = message.reply_to_message
    if not question and replied is not None and replied.text and not replied.text.startswith("/"):
        question = replied.text.strip()
    await answer_question(message, context, question)


async def ask_message(update: Update, context: BotContext) -> None:
    """A message that is a question: any text in a private chat, or one addressed to the bot in a group."""
    message = update.effective_message
    question = strip_mention(message.text or "", context.bot.username)
    await answer_question(message, context, question)


async def answer_question(message: Message, context: BotContext, question: str) -> None:
    """Answer ``question`` as a reply to ``message``, with a "More" button when there are more results."""
    if not question:
        await message.reply_html(USAGE, do_quote=True)
        return
    services = context.services
    limit = services.settings.answer_results
    as_of = message.date.date() if message.date else date.today()
    answer = await context.workers.answer(question, as_of=as_of, offset=0, limit=limit)
    markup = None
    if answer.has_more:
        key = await asyncio.to_thread(
            remember, services.store, MORE_KIND, question, chat_id=message.chat_id, as_of=as_of, size=limit
        )
        markup = page_markup(key, answer, limit)
    await message.reply_html(
        answer_html(answer), reply_markup=markup, link_preview_options=preview_of(answer), do_quote=True
    )


async def more_button(update: Update, context: BotContext) -> None:
    """The "More" / "Back" buttons under an answer: edit the message to show that page."""
    query = update.callback_query
    parsed = parse_page_data(query.data)
    chat_id = message_chat_id(query)  # a key pages only in the chat it was made for
    store = context.services.store
    stored = await asyncio.to_thread(recall, store, MORE_KIND, parsed[1], chat_id=chat_id) if parsed else None
    if parsed is None or stored is None:
        await query.answer(EXPIRED, show_alert=True)
        if _carries(query.message, query.data):  # its own stale button, not forged data: remove it
            await _drop_buttons(query.message)
        return
    await query.answer()
    size = stored.size or 3
    answer = await context.workers.answer(stored.text, as_of=stored.as_of, offset=parsed[2], limit=size)
    try:
        await query.edit_message_text(
            answer_html(answer),
            reply_markup=page_markup(stored.key, answer, size),
            link_preview_options=preview_of(answer),
        )
    except BadRequest as exc:  # pressed twice: "message is not modified"
        if "not modified" not in exc.message.lower():
            raise


def page_markup(key: str, answer: Answer, size: int) -> InlineKeyboardMarkup | None:
    """ "‹ Back" / "More ›" buttons for an answer page (None when everything fits on one page)."""
    buttons = []
    if answer.offset > 0:
        buttons.append(
            InlineKeyboardButton("‹ Back", callback_data=page_data(MORE, key, max(answer.offset - size, 0)))
        )
    if answer.has_more:
        next_offset = answer.offset + len(answer.items)
        buttons.append(InlineKeyboardButton("More ›", callback_data=page_data(MORE, key, next_offset)))
    return InlineKeyboardMarkup([buttons]) if buttons else None


def preview_of(answer: Answer) -> LinkPreviewOptions:
    """No link preview: the quoted passage is the answer, and a preview card would push it down."""
    return NO_PREVIEW


def _carries(message: object, data: str | None) -> bool:
    """Whether ``message`` really has a button with this callback data."""
    markup = getattr(message, "reply_markup", None)
    rows = markup.inline_keyboard if markup is not None else ()
    return any(button.callback_data == data for row in rows for button in row)


async def _drop_buttons(message: object) -> None:
    """Remove stale buttons; ignore failures (the message may be too old to edit)."""
    edit = getattr(message, "edit_reply_markup", None)
    if edit is None:
        return
    try:
        await edit(reply_markup=None)
    except BadRequest as exc:
        log.debug("could not remove buttons: %s", exc)
