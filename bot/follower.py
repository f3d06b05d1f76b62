"""Every replica's search index follows the shared store, within about a second.

The index is a replica of the data, per machine (memory-mapped files in its own data directory), built or
loaded at start and then caught up from the store's change sequence (``articles.seq``: every insert,
update and delete of an article bumps it; :meth:`IndexRetriever.refresh` applies what changed since the
sequence number the index reached). :class:`IndexFollower` does the catching up in a thread of its own,
woken by the store (:meth:`bot.store.Store.changes`): on PostgreSQL by ``LISTEN/NOTIFY`` (the articles
table notifies in the ingesting transaction, so any process's ingest wakes every replica when it commits),
on SQLite by a cheap look at ``MAX(seq)`` every half second. An article ingested anywhere is then
answerable everywhere within a second.

Only the index: story grouping and delivery planning write to the store and stay with the leader's
heartbeat.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


class IndexFollower:
    """A daemon thread that refreshes ``services.retriever`` whenever the store's sequence moves."""

    def __init__(self, services: Services, *, interval: float = 0.5) -> None:
        self.services = services
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="newsbot-index-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        store, retriever = self.services.store, self.services.retriever
        with store.changes() as changes:
            while not self._stop.is_set():
                changes.wait(self.interval)
                if self._stop.is_set():
                    return
                self.step(retriever)

    def step(self, retriever: object | None = None) -> int:
        """Catch the index up once; returns the articles applied."""
        retriever = retriever or self.services.retriever
        try:
            latest = self.services.store.articles.max_seq()
            if latest == retriever.seq:  # type: ignore[attr-defined]
                return 0
            started = time.perf_counter()
            applied = int(retriever.refresh())  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - the store is away: answers go on from the index as it is
            if not self._failing:
                log.warning("search index cannot follow the store (%s); answering from the index as it is", exc)
            self._failing = True
            return 0
        if self._failing:
            log.info("search index follows the store again")
        self._failing = False
        if applied:
            log.info("search index caught up with the store: %d article(s) in %.0f ms", applied,
                     (time.perf_counter() - started) * 1000)  # fmt: skip
        return applied
