"""Pushing new articles to subscribed chats: the JobQueue jobs and the sender.

Two jobs feed one delivery pass. ``watch`` runs every few seconds and notices articles another process
(``python -m bot ingest``) wrote to the store; ``poll`` runs every ``poll_interval_minutes`` and has the
bot fetch the configured feeds and folders itself. Both call the Telegram-free heartbeat
(:meth:`bot.heartbeat.Heartbeat.beat`: poll, refresh the search index, plan deliveries), then send what is
queued; what the sender reads and writes goes through :class:`bot.subscribe.outbox.Outbox`. Jobs only
start passes as tasks, so a long pass (a chat under a ``RetryAfter``) never makes the scheduler skip or
pile up runs.

Several replicas may send at once (README "Running several replicas"): the leader's heartbeat plans,
every replica's sender claims one chat's queue at a time (:meth:`Outbox.claim`) and sends it. Nothing is
lost and only one window doubles (see ``docs/delivery.md``): a message's rows are marked ``sending`` when
its request goes on the wire (only while the claim holds) and ``sent`` when Telegram accepts it; a
request that certainly did not reach Telegram (a 429, a refusal, no connection) leaves them queued, and
one that may have posted (a timeout, a lost answer, a crash) leaves them ``sending``, taken over and sent
again once the claim's lease ends. A pass checks that the application is still running before each
message, so stopping (SIGTERM) finishes the messages in flight and hands the rest back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from telegram import LinkPreviewOptions
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.answer.render import TELEGRAM_LIMIT, article_card_html, digest_html, esc, is_web_link, visible_length
from bot.heartbeat import Heartbeat
from bot.leader import holder_id
from bot.models import Article
from bot.subscribe.outbox import STORY_REPEAT, Claim, ClaimLost, Outbox
from bot.subscribe.planner import Batch
from bot.subscribe.topics import TopicError, article_tokens, default_analyzer, parse_topic

from .context import BotContext, BotOptions, options_of
from .ratelimit import ChatRateLimiter, TrackedSend
from .replicas import leader_of

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

__all__ = ["STORY_REPEAT", "Deliverer", "Outcome", "SendReport", "render_batch", "send_pending"]

DELIVERER_KEY = "newsbot.deliverer"


@dataclass
class SendReport:
    """What a send pass did (for logs and tests)."""

    messages: int = 0
    articles: int = 0
    paused: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)  # chats with a message that may not have arrived


class Deliverer:
    """Runs delivery passes one at a time for an application: a heartbeat, then the queue sent."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.heartbeat = Heartbeat(services)
        self.outbox = Outbox(services.store)
        self._pass_lock = asyncio.Lock()
        self._settled = False
        self.heartbeat.start()

    @property
    def busy(self) -> bool:
        """Whether a pass is running (the watch job then has nothing to start)."""
        return self._pass_lock.locked()

    async def watch(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """A pass if the store changed or deliveries are queued, unless one is already running."""
        if self.busy or not self.heartbeat.due(lead=leader_of(app).is_leader):
            return
        await self.run_pass(app)

    async def fetch(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """A heartbeat that polls the configured feeds and folders (one poll at a time), then a pass."""
        if self.heartbeat.polls and leader_of(app).is_leader:
            await asyncio.to_thread(self.heartbeat.beat, poll=True)
        await self.run_pass(app)

    async def run_pass(self, app: Application[Any, Any, Any, Any, Any, Any]) -> SendReport:
        """A heartbeat (index refresh, and on the leader planning, when the store changed), then send what
        this replica can claim."""
        async with self._pass_lock:
            leader = leader_of(app)
            lead = leader.is_leader
            if lead and not self._settled:
                self._settled = True
                await asyncio.to_thread(self.heartbeat.settle)
            await asyncio.to_thread(self.heartbeat.beat, lead=lead)
            options = options_of(app)
            claim = Claim(leader.holder, options.claim_lease)
            return await send_pending(app.bot, self.outbox, options, keep_going=lambda: app.running, claim=claim)


def deliverer_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Deliverer:
    """The application's deliverer (created by :func:`bot.chat.app.build_application`)."""
    return app.bot_data[DELIVERER_KEY]


async def watch_job(context: BotContext) -> None:
    """Every few seconds: start a delivery pass if articles arrived or deliveries are queued."""
    app = context.application
    deliverer = deliverer_of(app)
    if not deliverer.busy:
        app.create_task(deliverer.watch(app), name="newsbot-watch")


async def poll_job(context: BotContext) -> None:
    """Every ``poll_interval_minutes``: fetch feeds and folders, then deliver."""
    app = context.application
    app.create_task(deliverer_of(app).fetch(app), name="newsbot-poll")


async def purge_job(context: BotContext) -> None:
    """Daily: forget stored queries older than the TTL (their buttons then say the results expired)."""
    days = context.options.query_ttl_days
    n = deliverer_of(context.application).heartbeat.forget_old_queries(timedelta(days=days))
    if n:
        log.info("forgot %d stored queries older than %s days", n, days)


# -- sending -----------------------------------------------------------------------------------------


async def send_pending(
    bot: Any, outbox: Outbox, options: BotOptions, keep_going: Callable[[], bool] = lambda: True,
    claim: Claim | None = None,
) -> SendReport:  # fmt: skip
    """Send the queued deliveries of every chat this replica can claim, ``delivery_concurrency`` chats at
    once so one slow chat stalls none.

    Each sender claims one chat's (forum topic's) queue at a time (:meth:`Outbox.claim`): replicas sharing
    a store never send to one chat at once, and a dead replica's chats are taken over when its claims
    end. A chat deferred in this pass (flood control, no connection) is not claimed again before the next
    one. ``claim`` names this replica (by default a holder of its own for this call).
    """
    report = SendReport()
    claim = claim or Claim(holder_id(), options.claim_lease)
    tried: set[tuple[int, int]] = set()
    active: set[tuple[int, int]] = set()  # the queues being sent: their claims are renewed

    async def sender() -> None:
        while keep_going():
            destination = outbox.claim(claim, exclude=tried)
            if destination is None:
                return
            tried.add(destination)
            active.add(destination)
            chat_id, thread_id = destination
            try:
                await send_chat(bot, outbox, chat_id, options, report, keep_going, thread_id=thread_id, claim=claim)
            finally:
                active.discard(destination)

    async def renew() -> None:
        while True:
            await asyncio.sleep(claim.lease / 3)
            outbox.renew(claim, set(active))

    renewer = asyncio.get_running_loop().create_task(renew(), name="newsbot-claims")
    try:
        await asyncio.gather(*(sender() for _ in range(max(options.delivery_concurrency, 1))))
    finally:
        renewer.cancel()
        if not keep_going():  # stopping: what this replica claimed but did not send goes to the others now
            outbox.release(claim)
    if report.messages:
        log.info("pushed %d message(s) with %d article(s)", report.messages, report.articles)
    return report


async def send_chat(
    bot: Any,
    outbox: Outbox,
    chat_id: int,
    options: BotOptions,
    report: SendReport,
    keep_going: Callable[[], bool],
    *,
    thread_id: int = 0,
    claim: Claim | None = None,
) -> None:
    """Send one chat's (forum topic's) queue as cards or digests, pacing messages; stop early on trouble.

    With a ``claim`` the queue is what it holds, each message is fenced by it, and what is left is handed
    back at the end (a chat deferred now is sent in a later pass)."""
    queue = outbox.next_messages(chat_id, options.burst, thread_id=thread_id, claim=claim)
    try:
        for n, batch in enumerate(queue.batches):
            if not keep_going():
                return
            if n:
                await asyncio.sleep(options.chat_pace)
            html, preview = render_batch(batch, queue.articles, queue.topics, queue.also)
            outcome, chat_id, _message_id = await _send(
                bot, outbox, chat_id, batch.article_ids, html, preview, thread_id=thread_id, claim=claim
            )
            if outcome is Outcome.SENT:
                report.messages += 1
                report.articles += len(batch.article_ids)
            elif outcome is Outcome.REFUSED:  # this message can never be sent; the next ones may
                outbox.mark_dropped(chat_id, batch.article_ids, thread_id=thread_id)
                report.refused.append(chat_id)
            else:
                lists = {Outcome.PAUSED: report.paused, Outcome.UNCONFIRMED: report.unconfirmed}
                lists.get(outcome, report.deferred).append(chat_id)
                return
    finally:
        if claim is not None:
            outbox.release(claim, chat_id, thread_id=thread_id)


class Outcome(Enum):
    """What became of one push message."""

    SENT = "sent"
    PAUSED = "paused"  # the bot can't post in the chat any more: its subscriptions are paused
    DEFERRED = "deferred"  # flood control, no connection, or the claim lost: certainly not posted, queued
    REFUSED = "refused"  # Telegram refuses this very message: dropped
    UNCONFIRMED = "unconfirmed"  # a timeout or lost answer: maybe posted; sent again when its claim ends


async def _send(
    bot: Any,
    outbox: Outbox,
    chat_id: int,
    ids: tuple[int, ...],
    html: str,
    preview: LinkPreviewOptions,
    *,
    thread_id: int = 0,
    claim: Claim | None = None,
) -> tuple[Outcome, int, int | None]:
    """Send one message: ``(outcome, chat id it went to, message id)``; follows a group's migration.

    The delivery log follows the request (see :class:`TrackedSend`): ``sending`` when it leaves (only
    while the claim holds), ``sent`` when accepted, queued again when it certainly did not reach Telegram,
    left ``sending`` (sent again once the claim's lease ends) when it may have. In a forum topic that was
    deleted or closed only that topic pauses (see :func:`pause_topic`).
    """
    for _ in range(2):  # a second try only after a group migrated to a supergroup
        tracked = _tracked(outbox, chat_id, ids, thread_id, claim)
        try:
            message = await _send_tracked(bot, tracked, chat_id, html, preview, thread_id)
            tracked.accepted({"message_id": message.message_id})
            return Outcome.SENT, chat_id, message.message_id
        except ChatMigrated as exc:
            log.info(
                "chat %s migrated to %s while pushing; moving its subscriptions", chat_id, exc.new_chat_id
            )
            outbox.migrate(chat_id, exc.new_chat_id)
            chat_id = exc.new_chat_id
        except Forbidden as exc:
            return _pause(outbox, chat_id, f"Forbidden: {exc.message}"), chat_id, None
        except RetryAfter as exc:
            log.warning("chat %s: flood control (%s); deliveries stay queued", chat_id, exc.message)
            return Outcome.DEFERRED, chat_id, None
        except ClaimLost:
            log.info("chat %s: another replica took its deliveries over (this one's claim ended)", chat_id)
            return Outcome.DEFERRED, chat_id, None
        except BadRequest as exc:
            if thread_id and topic_gone(exc):
                return await pause_topic(bot, outbox, chat_id, thread_id, exc), chat_id, None
            if "chat not found" in exc.message.lower():
                return _pause(outbox, chat_id, exc.message), chat_id, None
            log.error("chat %s: Telegram refused a push (%s); dropped", chat_id, exc.message)
            return Outcome.REFUSED, chat_id, None
        except NetworkError as exc:
            if tracked.state == "queued":  # never reached Telegram: try again in a later pass
                log.warning("chat %s: cannot reach Telegram (%s); deliveries stay queued", chat_id, exc)
                return Outcome.DEFERRED, chat_id, None
            if claim is None:  # no lease to end: at most once, as a sender without claims always was
                outbox.mark_unconfirmed(chat_id, ids, thread_id=thread_id)
            log.warning(
                "chat %s: no answer to a push (%s); it may have arrived: sent again when its claim ends "
                "(then it may arrive twice)",
                chat_id,
                exc,
            )
            return Outcome.UNCONFIRMED, chat_id, None
    return Outcome.DEFERRED, chat_id, None


def _tracked(
    outbox: Outbox, chat_id: int, ids: tuple[int, ...], thread_id: int, claim: Claim | None = None
) -> TrackedSend:
    """The delivery-log hooks of one push message."""
    return TrackedSend(
        on_sending=lambda: outbox.mark_sending(chat_id, ids, thread_id=thread_id, claim=claim),
        on_unsent=lambda: outbox.mark_unsent(chat_id, ids, thread_id=thread_id),
        on_sent=lambda result: outbox.mark_sent(
            chat_id, ids, result.get("message_id") if isinstance(result, dict) else None, thread_id=thread_id
        ),
    )


async def _send_tracked(
    bot: Any, tracked: TrackedSend, chat_id: int, html: str, preview: LinkPreviewOptions, thread_id: int
) -> Any:
    """``send_message`` with the tracking hooks run by our rate limiter right around the HTTP request; a
    bot without it (a plain ``Bot``) gets them run around the whole call instead."""
    kwargs: dict[str, Any] = {"link_preview_options": preview, "message_thread_id": thread_id or None}
    if isinstance(getattr(bot, "rate_limiter", None), ChatRateLimiter):
        return await bot.send_message(chat_id, html, rate_limit_args=tracked, **kwargs)
    tracked.leaving()
    try:
        return await bot.send_message(chat_id, html, **kwargs)
    except BaseException as exc:
        tracked.failed(exc)
        raise


def _pause(outbox: Outbox, chat_id: int, reason: str) -> Outcome:
    """Pause a chat the bot can no longer post in, and say so in the log."""
    outbox.pause(chat_id, reason)
    log.warning("chat %s: %s; subscriptions paused until the bot can post there again", chat_id, reason)
    return Outcome.PAUSED


def topic_gone(exc: BadRequest) -> bool:
    """Whether Telegram refused a send because the forum topic was deleted or closed.

    PTB hands the description over capitalised ("Message thread not found", "Topic_closed").
    """
    text = exc.message.lower()
    return "message thread not found" in text or "topic_closed" in text


async def pause_topic(bot: Any, outbox: Outbox, chat_id: int, thread_id: int, exc: BadRequest) -> Outcome:
    """Pause one forum topic's subscriptions, and say so once in the General topic."""
    closed = "topic_closed" in exc.message.lower()
    reason = "the topic was closed" if closed else "the topic was deleted"
    if outbox.pause_topic(chat_id, thread_id, reason):
        log.warning("chat %s topic %s: %s; its subscriptions are paused", chat_id, thread_id, reason)
        record = outbox.get_topic(chat_id, thread_id)
        try:
            await bot.send_message(chat_id, topic_paused_html(record.name if record else "", closed))
        except TelegramError as error:  # the notice is a courtesy; the pause stands either way
            log.warning("chat %s: could not announce the paused topic: %s", chat_id, error)
    return Outcome.PAUSED


def topic_paused_html(name: str, closed: bool) -> str:
    """The one notice in General when a topic's subscriptions pause."""
    what = f"the topic <b>{esc(name)}</b>" if name else "a topic"
    how = "was closed" if closed else "was deleted"
    again = "reopen it and send /subscribe there again" if closed else "send /subscribe in a topic again"
    return f"⏸ I can't post in {what} any more: it {how}. Its subscriptions are paused; to resume, {again}."


def render_batch(
    batch: Batch,
    articles: dict[int, Article],
    topics: list[str],
    also: Mapping[int, Sequence[Article]] | None = None,
) -> tuple[str, LinkPreviewOptions]:
    """The HTML of one push message and its link preview (a card's own article's, small and above the
    text; none for a digest). A card or digest line shows a story by its first article, with "also:"
    links to the other outlets' articles (``also``, by first article id)."""
    also = also or {}
    leads = [articles[group[0]] for group in batch.groups]
    if batch.kind == "card":
        article = leads[0]
        topic = matched_topic(article, topics)
        html = article_card_html(article, topic=topic, also=also.get(article.id or 0, ()))
        if is_web_link(article.url):
            return html, LinkPreviewOptions(
                is_disabled=False, url=article.url, prefer_small_media=True, show_above_text=True
            )
        return html, LinkPreviewOptions(is_disabled=True)
    topic = topics[0] if len(topics) == 1 and topics[0] else None
    html = digest_html(leads, topic=topic, also=also, total=len(batch.article_ids))
    if batch.more:
        extra = f"\n\n<i>{esc(f'…and {batch.more} older matching articles: see /latest')}</i>"
        if visible_length(html + extra) <= TELEGRAM_LIMIT:
            html += extra
    return html, LinkPreviewOptions(is_disabled=True)


def matched_topic(article: Article, topics: list[str]) -> str | None:
    """The first of a chat's topics this article matches (None for "every article" or none)."""
    if not topics or "" in topics:
        return None
    if len(topics) == 1:
        return topics[0]
    tokens = article_tokens(article.title, article.text, default_analyzer())
    present = set(tokens)
    for text in topics:
        try:
            if parse_topic(text).matches(tokens, present):
                return text
        except TopicError:
            continue
    return None
