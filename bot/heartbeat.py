"""The running bot's heartbeat, without Telegram: poll feeds and folders, bring the search index up to
date (and group new articles into stories), plan deliveries; and the daily housekeeping.

:meth:`Heartbeat.beat` is the one function that does all three; the chat layer's jobs
(:mod:`bot.chat.delivery`) call it in a thread and then send what it queued. A beat is cheap when
nothing changed: it compares the store's change counter with the one the last beat reached. It may run
from two threads at once (the frequent store watch and the feed poll): one poll at a time, and the
index refresh and planning step is serialised, so a beat never plans the same articles twice. Planning
is the only writer of the delivery queue (see :mod:`bot.subscribe.planner`); sending is the chat layer's.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from bot.ingest import ingest
from bot.services import Services
from bot.store import LockBusy
from bot.subscribe.planner import PlanReport, plan_deliveries, start_marks

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Beat:
    """What one beat did (for logs and tests)."""

    seq: int  # the store change counter the index and the planner have reached
    polled: bool = False  # feeds and folders were fetched
    indexed: int = 0  # articles the index refresh applied
    planned: PlanReport | None = None  # None: the store had not changed since the last beat


class Heartbeat:
    """One bot process's heartbeat over its :class:`~bot.services.Services` (it owns the index)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._seen_seq: int | None = None  # what the planner has reached (on the leader)
        self._followed_seq: int | None = None  # what a follower's index has reached
        self._step = threading.Lock()  # index refresh + planning, one at a time
        self._polling = threading.Lock()  # one poll of feeds and folders at a time

    def start(self) -> None:
        """At start-up, before any update is handled: put the planner at the end of the store on first
        start (subscribers get what arrives from then on)."""
        if start_marks(self.services.store):
            log.info("delivery planner starts at the current end of the store")

    def settle(self) -> int:
        """When this process becomes the leader (the one that sends digests): digests a previous leader
        left on the wire are not sent again (pushes are taken over through their claims)."""
        interrupted = self.services.store.subscriptions.settle_interrupted()
        if interrupted:
            log.warning("%d digest(s) were on the wire when the last leader stopped; not sent again (they most "
                        "likely arrived)", interrupted)  # fmt: skip
        return interrupted

    @property
    def polls(self) -> bool:
        """Whether there are feeds or folders to poll."""
        settings = self.services.settings
        return bool(settings.feed_urls or settings.watch_dirs)

    def due(self, *, lead: bool = True) -> bool:
        """Whether a delivery pass has work: the store changed since the last beat, or deliveries wait."""
        store = self.services.store
        seen = self._seen_seq if lead else self._followed_seq
        return store.articles.max_seq() != seen or bool(store.subscriptions.pending_chats())

    def beat(self, *, poll: bool = False, lead: bool = True) -> Beat:
        """Poll feeds and folders (``poll``, when there are any and no other poll runs), then, if the
        store changed since the last beat, refresh the index and plan deliveries. Blocking: call it in a
        thread. Failures are logged; the next beat tries again.

        A replica that is not the leader (``lead`` False, see :mod:`bot.leader`) only brings its index up
        to date: polling, story grouping and planning write to the store and happen on the leader."""
        if not lead:
            return self._follow()
        polled = poll and self.polls and self._poll()
        with self._step:
            store = self.services.store
            seq = store.articles.max_seq()
            if seq == self._seen_seq:
                return Beat(seq, polled)
            try:
                indexed = self.services.refresh()
            except Exception:  # a failing index refresh must not stop pushes
                log.exception("index refresh failed")
                indexed = 0
            planned = plan_deliveries(store)
            self._seen_seq = seq
            return Beat(seq, polled, indexed, planned)

    def _follow(self) -> Beat:
        """A follower's beat: the search index only."""
        with self._step:
            seq = self.services.store.articles.max_seq()
            if seq == self._followed_seq:
                return Beat(seq)
            try:
                indexed = self.services.retriever.refresh()
            except Exception:  # a failing index refresh must not stop pushes
                log.exception("index refresh failed")
                indexed = 0
            self._followed_seq = seq
            return Beat(seq, indexed=indexed)

    def forget_old_queries(self, older_than: timedelta) -> int:
        """Daily: forget stored queries (what "More" and page buttons refer to) older than ``older_than``;
        their buttons then say the results expired. How many."""
        return self.services.store.queries.purge(older_than)

    def _poll(self) -> bool:
        """Ingest the configured folders and feeds (conditional GET); False when another poll was running.

        Failures are logged and the bot keeps running."""
        if not self._polling.acquire(blocking=False):
            return False
        try:
            settings = self.services.settings
            folders, feeds = [str(d) for d in settings.watch_dirs], settings.feed_urls
            try:
                summary = ingest(folders, self.services.store, feeds=feeds, wait=False)
            except LockBusy as busy:  # a CLI ingest is running: this round's articles come with the next poll
                log.info("another ingest is running (%s); polling feeds and folders next round", busy.holder)
                return True
            except Exception:
                log.exception("polling feeds and folders failed")
                return True
            if summary.stopped:
                log.warning("polling stopped: %s", summary.stopped)
            log.info("polled %d folder(s) and %d feed(s): %s", len(folders), len(feeds), summary.counts_line())
            return True
        finally:
            self._polling.release()
