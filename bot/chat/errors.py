"""The error handler: log with the traceback, answer the user with a short plain apology, never a trace."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import NetworkError, TelegramError, TimedOut

from bot.errors import Unavailable

from .context import BotContext

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
#: The reply when the database is out of reach for a moment (restarting, say): nothing is wrong with the
#: question, and asking again soon will work.
BUSY = "I'm busy for a moment. Please try again in a minute."


async def on_error(update: object, context: BotContext) -> None:
    """Log an exception raised in a handler or job; apologise to the user who was waiting for a reply."""
    error = context.error
    if update is None and isinstance(error, (NetworkError, TimedOut)):
        log.warning("network trouble talking to Telegram: %s", error)  # polling retries by itself
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Unavailable):  # expected while the database restarts: one line, no traceback
        log.warning("update %s not handled, the store is unavailable: %s", update_id, error)
        if isinstance(update, Update):
            await _apologise(update, BUSY)
        return
    log.error("error while handling update %s", update_id, exc_info=error)
    if isinstance(update, Update):
        await _apologise(update)


async def _apologise(update: Update, text: str = APOLOGY) -> None:
    """Tell the user briefly that it failed: callback queries get a toast, text messages a reply.

    Only messages a handler answered get here, so in groups this reply goes to someone who addressed
    the bot; channel posts and service messages get nothing.
    """
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text)
            return
        message = update.message
        if message is not None and message.text and message.chat.type != ChatType.CHANNEL:
            await message.reply_text(text, do_quote=True)
    except TelegramError as exc:
        log.info("could not apologise for a failed update: %s", exc)
