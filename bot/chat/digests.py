"""`/digest` and `/timezone`, and the job that sends scheduled digests.

The commands go through the subscription commands' :func:`~bot.chat.subscriptions.run_command` (same
target resolution, same single admin rule, same channel handling); what they mean and when a digest is
due is decided in :mod:`bot.subscribe.digest`, without Telegram. The job runs every
``BotOptions.digest_interval`` seconds and asks ``BotOptions.clock`` for the time, so tests can drive it
across a daylight-saving change without waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.answer.render import esc, story_digest_html
from bot.store.digests import DigestSetting
from bot.subscribe.digest import (
    DigestError,
    created_at,
    digest_stories,
    digest_title,
    due_occurrence,
    next_occurrence,
    parse_digest,
    parse_timezone,
    schedule_of,
    zone,
)

from .common import bot_can_post, options_of, services_of
from .delivery import pause_topic, topic_gone
from .ratelimit import at_most_once

if TYPE_CHECKING:
    from bot.store import Store

    from .subscriptions import Target

log = logging.getLogger(__name__)


# -- commands ------------------------------------------------------------------------------------------


async def digest(context: ContextTypes.DEFAULT_TYPE, message: Message, target: Target, args: str) -> str:
    """`/digest ...`: show, set or turn off this chat's (forum topic's) digest; returns the reply."""
    try:
        request = parse_digest(args)
    except DigestError as exc:
        return esc(str(exc))
    store = services_of(context).store
    chat, thread_id = target.chat, target.thread_id
    if request.action == "show":
        return describe(store, chat.id, thread_id, target.where, options_of(context).clock())
    if request.action == "off":
        if store.digests.remove(chat.id, thread_id):
            return f"Digest turned off {target.where}."
        return f"There is no digest {target.where}."
    if not await bot_can_post(context.bot, chat):
        return f"I can't post {target.where}. Add me (in a channel: as an administrator), then try again."
    repo = store.subscriptions
    repo.upsert_chat(chat.id, chat.type, chat.title or chat.username or chat.full_name or "")
    repo.resume(chat.id)
    if thread_id:
        repo.upsert_topic(chat.id, thread_id, target.topic_name)
        repo.resume_topic(chat.id, thread_id)
    schedule = request.schedule
    assert schedule is not None
    now = options_of(context).clock()
    setting = DigestSetting(chat.id, thread_id, request.topic, schedule.every, schedule.weekday,
                            schedule.at.strftime("%H:%M"), created_at=now.isoformat(timespec="seconds"))  # fmt: skip
    store.digests.set(setting, message.from_user.id if message.from_user else None)
    return "✅ " + describe(store, chat.id, thread_id, target.where, now)


def describe(store: Store, chat_id: int, thread_id: int, where: str, now: datetime) -> str:
    """The digest settings of a chat (forum topic), with the next time it goes out."""
    setting = store.digests.get(chat_id, thread_id)
    tz = store.digests.timezone(chat_id)
    if setting is None:
        return (
            f"There is no digest {where}. Set one with /digest daily 08:00 <i>[topic]</i> or "
            f"/digest weekly mon 08:00 <i>[topic]</i>. Time zone: {esc(tz)} (/timezone to change it)."
        )
    upcoming = next_occurrence(schedule_of(setting), tz, now).astimezone(zone(tz))
    return (
        f"Digest {where}: {setting_line(setting)}. Next: {upcoming.strftime('%a %-d %b, %H:%M')}. "
        "Change the time zone with /timezone; stop it with /digest off."
    )


def setting_line(setting: DigestSetting) -> str:
    """``top stories on <b>nato</b>, daily at 08:00 (Europe/Berlin)``."""
    what = f"top stories on <b>{esc(setting.topic)}</b>" if setting.topic else "top stories"
    return f"{what}, {schedule_of(setting).describe()} ({esc(setting.timezone)})"


async def timezone(context: ContextTypes.DEFAULT_TYPE, message: Message, target: Target, args: str) -> str:
    """`/timezone [Area/City]`: show or set the chat's time zone; returns the reply."""
    store = services_of(context).store
    chat = target.chat
    if not args.strip():
        current = store.digests.timezone(chat.id)
        return f"Time zone {target.where}: {esc(current)}. Set it with /timezone <i>Europe/Berlin</i>."
    try:
        name = parse_timezone(args)
    except DigestError as exc:
        return esc(str(exc))
    store.digests.set_timezone(chat.id, chat.type, chat.title or chat.username or chat.full_name or "", name)
    local = options_of(context).clock().astimezone(zone(name))
    return f"🕗 Time zone set to {esc(name)} (it is {local.strftime('%H:%M')} there). Digests follow it."


# -- the job -------------------------------------------------------------------------------------------


LOCK_KEY = "newsbot.digest-lock"


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every ``digest_interval`` seconds: send the digests that are due (one run at a time, as a task, so
    a slow chat never makes the scheduler skip or pile up runs)."""
    app = context.application
    lock: asyncio.Lock = app.bot_data.setdefault(LOCK_KEY, asyncio.Lock())
    if lock.locked():
        return

    async def run() -> None:
        async with lock:
            await send_due_digests(app.bot, services_of(app).store, options_of(app).clock())

    app.create_task(run(), name="newsbot-digests")


async def send_due_digests(bot: Any, store: Store, now: datetime) -> int:
    """Send each digest due at ``now`` that is not in the delivery log yet; returns how many were sent."""
    sent = 0
    for setting in store.digests.active():
        occurrence = due_occurrence(schedule_of(setting), setting.timezone, now, not_before=created_at(setting))
        if occurrence is None or store.digests.recorded(setting.chat_id, setting.thread_id, occurrence.key):
            continue
        try:
            stories = await asyncio.to_thread(digest_stories, store, setting, occurrence)
        except Exception:  # one broken setting must not stop the others
            log.exception("digest for chat %s topic %s failed", setting.chat_id, setting.thread_id)
            continue
        ids = [a.id for story in stories for a in story if a.id is not None]
        if not stories:  # nothing new: nothing sent, and the period is not looked at again
            store.digests.claim(setting.chat_id, setting.thread_id, occurrence.key, [], status="dropped")
            continue
        if not store.digests.claim(setting.chat_id, setting.thread_id, occurrence.key, ids):
            continue  # another pass (or replica) got there first
        title, subtitle = digest_title(setting, occurrence)
        html = story_digest_html(stories, title=title, subtitle=subtitle)
        sent += await _deliver(bot, store, setting, occurrence.key, html)
    return sent


async def _deliver(bot: Any, store: Store, setting: DigestSetting, period: str, html: str) -> int:
    """Send one claimed digest and record the outcome; 1 if it was sent."""
    chat_id, thread_id = setting.chat_id, setting.thread_id
    try:
        message = await bot.send_message(
            chat_id, html, message_thread_id=thread_id or None, **at_most_once(bot)
        )
    except RetryAfter as exc:  # certainly not delivered: let the next run try again
        log.warning("chat %s: digest deferred by flood control (%s)", chat_id, exc.message)
        store.digests.release(chat_id, thread_id, period)
        return 0
    except ChatMigrated as exc:  # moved: the next run sends it to the supergroup
        store.digests.release(chat_id, thread_id, period)
        store.subscriptions.migrate(chat_id, exc.new_chat_id)
        return 0
    except Forbidden as exc:
        store.digests.finish(chat_id, thread_id, period, "dropped")
        store.subscriptions.pause(chat_id, f"Forbidden: {exc.message}")
        log.warning("chat %s: %s; subscriptions and digest paused", chat_id, exc.message)
        return 0
    except BadRequest as exc:
        store.digests.finish(chat_id, thread_id, period, "dropped")
        if thread_id and topic_gone(exc):
            await pause_topic(bot, store.subscriptions, chat_id, thread_id, exc)
        else:
            log.error("chat %s: Telegram refused a digest (%s); dropped", chat_id, exc.message)
        return 0
    except TelegramError as exc:  # timed out: it may have arrived; at most once, so not sent again
        store.digests.finish(chat_id, thread_id, period, "unconfirmed")
        log.warning("chat %s: digest %s may not have arrived (%s); not repeated", chat_id, period, exc)
        return 0
    store.digests.finish(chat_id, thread_id, period, "sent", message.message_id)
    log.info("digest %s sent to chat %s (topic %s)", period, chat_id, thread_id)
    return 1

