"""`/digest` and `/timezone`, and the job that sends scheduled digests.

The commands go through the subscription commands' :func:`~bot.chat.subscriptions.run_command` (same
target resolution, same single admin rule, same channel handling). Without Telegram: what they mean
and when a digest is due (:mod:`bot.subscribe.digest`), the stored settings
(:mod:`bot.subscribe.digest_settings`), and claiming and recording a digest that goes out
(:mod:`bot.subscribe.digest_runs`); this module words replies and sends. The job runs every
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

from bot.answer.render import esc, story_digest_html
from bot.subscribe import chats, digest_runs
from bot.subscribe.digest import DigestError, next_occurrence, parse_digest, parse_timezone, schedule_of, zone
from bot.subscribe.digest_runs import ClaimedDigest
from bot.subscribe.digest_settings import (
    DigestSetting,
    digest_of,
    set_digest,
    set_timezone,
    timezone_of,
    turn_off,
)
from bot.subscribe.outbox import Outbox

from .context import BotContext, options_of, services_of
from .delivery import pause_topic, topic_gone
from .permissions import bot_can_post
from .ratelimit import at_most_once

if TYPE_CHECKING:
    from bot.services import Services

    from .subscriptions import Target

log = logging.getLogger(__name__)


# -- commands ------------------------------------------------------------------------------------------


async def digest(context: BotContext, message: Message, target: Target, args: str) -> str:
    """`/digest ...`: show, set or turn off this chat's (forum topic's) digest; returns the reply."""
    try:
        request = parse_digest(args)
    except DigestError as exc:
        return esc(str(exc))
    store, place = context.services.store, target.place
    now = context.options.clock()
    if request.action == "show":
        setting = await asyncio.to_thread(digest_of, store, place)
        return describe(
            setting, await asyncio.to_thread(timezone_of, store, place.chat_id), target.where, now
        )
    if request.action == "off":
        if await asyncio.to_thread(turn_off, store, place):
            return f"Digest turned off {target.where}."
        return f"There is no digest {target.where}."
    if not await bot_can_post(context.bot, target.chat):
        return f"I can't post {target.where}. Add me (in a channel: as an administrator), then try again."
    schedule = request.schedule
    assert schedule is not None
    user_id = message.from_user.id if message.from_user else None
    setting = await asyncio.to_thread(set_digest, store, place, request.topic, schedule, user_id, now)
    return "✅ " + describe(setting, setting.timezone, target.where, now)


def describe(setting: DigestSetting | None, tz: str, where: str, now: datetime) -> str:
    """The digest settings of a chat (forum topic), with the next time it goes out."""
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


async def timezone(context: BotContext, message: Message, target: Target, args: str) -> str:
    """`/timezone [Area/City]`: show or set the chat's time zone; returns the reply."""
    store, place = context.services.store, target.place
    if not args.strip():
        current = await asyncio.to_thread(timezone_of, store, place.chat_id)
        return f"Time zone {target.where}: {esc(current)}. Set it with /timezone <i>Europe/Berlin</i>."
    try:
        name = parse_timezone(args)
    except DigestError as exc:
        return esc(str(exc))
    await asyncio.to_thread(set_timezone, store, place, name)
    local = context.options.clock().astimezone(zone(name))
    return f"🕗 Time zone set to {esc(name)} (it is {local.strftime('%H:%M')} there). Digests follow it."


# -- the job -------------------------------------------------------------------------------------------


LOCK_KEY = "newsbot.digest-lock"


async def digest_job(context: BotContext) -> None:
    """Every ``digest_interval`` seconds: send the digests that are due (one run at a time, as a task, so
    a slow chat never makes the scheduler skip or pile up runs)."""
    app = context.application
    lock: asyncio.Lock = app.bot_data.setdefault(LOCK_KEY, asyncio.Lock())
    if lock.locked():
        return

    async def run() -> None:
        async with lock:
            await send_due_digests(app.bot, services_of(app), options_of(app).clock())

    app.create_task(run(), name="newsbot-digests")


async def send_due_digests(bot: Any, services: Services, now: datetime) -> int:
    """Send each digest due at ``now`` that is not in the delivery log yet; returns how many were sent."""
    sent, store = 0, services.store
    for setting, occurrence in await asyncio.to_thread(digest_runs.due, store, now):
        try:
            claimed = await asyncio.to_thread(digest_runs.claim, store, setting, occurrence)
        except Exception:  # one broken setting must not stop the others
            log.exception("digest for chat %s topic %s failed", setting.chat_id, setting.thread_id)
            continue
        if claimed is None:  # nothing new, or another pass (or replica) got there first
            continue
        html = story_digest_html(claimed.stories, title=claimed.title, subtitle=claimed.subtitle)
        sent += await deliver(bot, services, claimed, html)
    return sent


async def deliver(bot: Any, services: Services, claimed: ClaimedDigest, html: str) -> int:
    """Send one claimed digest and record the outcome; 1 if it was sent."""
    store = services.store
    chat_id, thread_id, period = claimed.chat_id, claimed.thread_id, claimed.period
    try:
        message = await bot.send_message(
            chat_id, html, message_thread_id=thread_id or None, **at_most_once(bot)
        )
    except RetryAfter as exc:  # certainly not delivered: let the next run try again
        log.warning("chat %s: digest deferred by flood control (%s)", chat_id, exc.message)
        await asyncio.to_thread(digest_runs.release, store, claimed)
        return 0
    except ChatMigrated as exc:  # moved: the next run sends it to the supergroup
        await asyncio.to_thread(digest_runs.release, store, claimed)
        await asyncio.to_thread(chats.migrate, store, chat_id, exc.new_chat_id)
        return 0
    except Forbidden as exc:
        await asyncio.to_thread(digest_runs.record, store, claimed, "dropped")
        await asyncio.to_thread(chats.bot_cannot_post, store, chat_id, f"Forbidden: {exc.message}")
        log.warning("chat %s: %s; subscriptions and digest paused", chat_id, exc.message)
        return 0
    except BadRequest as exc:
        await asyncio.to_thread(digest_runs.record, store, claimed, "dropped")
        if thread_id and topic_gone(exc):
            await pause_topic(bot, Outbox(services.store), chat_id, thread_id, exc)
        else:
            log.error("chat %s: Telegram refused a digest (%s); dropped", chat_id, exc.message)
        return 0
    except TelegramError as exc:  # timed out: it may have arrived; at most once, so not sent again
        await asyncio.to_thread(digest_runs.record, store, claimed, "unconfirmed")
        log.warning("chat %s: digest %s may not have arrived (%s); not repeated", chat_id, period, exc)
        return 0
    await asyncio.to_thread(digest_runs.record, store, claimed, "sent", message.message_id)
    log.info("digest %s sent to chat %s (topic %s)", period, chat_id, thread_id)
    return 1

