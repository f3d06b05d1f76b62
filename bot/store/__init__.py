"""Durable storage: articles, ingestion state, subscriptions and deliveries in one SQLite file (WAL).

`Store` is the one object the rest of the bot holds; each concern lives in its own repository so a
PostgreSQL implementation can later sit beside the SQLite one behind the same methods.

Several processes may open one store: readers (``ask``, answer workers) at any time, while one writer
commits at a time (SQLite's own lock, waited on for up to 30 s). Two process-level locks (see
:mod:`bot.store.locks`) order what transactions alone cannot: :meth:`Store.ingest_lock` runs ingests one
after another (the CLI's and the bot's poller's), so any number of concurrent ingests leave exactly the
store one ingest leaves; :meth:`Store.bot_lock` lets one `run` process at a time deliver from the store.
Why, what was measured, and what a PostgreSQL store needs for the same: ``docs/store-concurrency.md``.

Repositories: :mod:`~bot.store.articles` (articles and their change feed), :mod:`~bot.store.state`
(ingest and planner marks), :mod:`~bot.store.subscriptions` (chats, topics, subscriptions, the delivery
queue and log, stored queries), :mod:`~bot.store.digests`, :mod:`~bot.store.stories`; under them
:mod:`~bot.store.db` (connections, transactions), :mod:`~bot.store.migrations` and :mod:`~bot.store.locks`.

The bottom of the import graph: may import :mod:`bot.models` (and :mod:`bot.config` for its settings)
only. All SQL of the bot lives in this package; the layers above call its methods.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .articles import ArticleRepo, CorpusStats, Outcome, UpsertResult
from .changes import Changes, changes_of
from .claims import ClaimLost, ClaimRepo
from .db import Database, StoreFullError, is_disk_full
from .digests import DigestRepo
from .leases import LeaseRepo
from .locks import LockBusy, hold
from .queries import QueryRepo
from .state import FeedState, StateRepo
from .stories import StoryRepo
from .subscriptions import SubscriptionRepo

__all__ = [
    "ArticleRepo", "Changes", "ClaimLost", "ClaimRepo", "CorpusStats", "Database", "FeedState", "LockBusy",
    "Outcome", "StateRepo", "Store", "StoreFullError", "StoryRepo", "UpsertResult", "is_disk_full",
]  # fmt: skip


class Store:
    """The article store and the bot's state, opened on one database file."""

    def __init__(self, path: Path | str) -> None:
        self.db = Database(path)
        self.articles = ArticleRepo(self.db)
        self.state = StateRepo(self.db)
        self.subscriptions = SubscriptionRepo(self.db)
        self.queries = QueryRepo(self.db)
        self.digests = DigestRepo(self.db)
        self.stories = StoryRepo(self.db)
        self.leases = LeaseRepo(self.db)
        self.claims = ClaimRepo(self.db)
        self._ingest_holder: int | None = None  # the thread holding the ingest lock through this store

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:  # noqa: F821
        """Open the store the settings point at."""
        return cls(settings.database_path)

    @contextmanager
    def ingest_lock(
        self, *, wait: bool = True, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the store's ingest lock: one ingest at a time, from any process.

        An ingest reads the learned chrome statistics, adds its own and cleans every article with the
        result; two at once would clean against each other's half-learned statistics. Serialised, a
        second ingest of the same input finds every article unchanged. ``wait=False`` raises
        :class:`LockBusy` instead of waiting (the bot's poller skips a round rather than block). The
        thread that holds it may enter again (a check under the lock that then ingests).
        """
        if self.db.in_memory or self._ingest_holder == threading.get_ident():
            yield
            return
        with hold(self.db.path.with_name(self.db.path.name + ".ingest.lock"), wait=wait, on_wait=on_wait):
            self._ingest_holder = threading.get_ident()
            try:
                yield
            finally:
                self._ingest_holder = None

    @contextmanager
    def bot_lock(
        self, *, wait: bool = True, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the store for one running bot: two bots on one store would send every push twice.

        Held from start to exit by `run`; the kernel releases it when the process dies, even by kill -9.
        """
        if self.db.in_memory:
            yield
            return
        with hold(self.db.path.with_name(self.db.path.name + ".bot.lock"), wait=wait, on_wait=on_wait):
            yield

    @contextmanager
    def changes(self) -> Iterator[Changes]:
        """Something to wait on for article changes (see :mod:`bot.follower`): its ``wait(timeout)``
        returns early when another process committed a change, where the database can say so
        (PostgreSQL's ``LISTEN``); on SQLite it waits out the timeout and the caller looks at
        ``articles.max_seq()``, which costs one index lookup."""
        waiter = changes_of(self.db)
        try:
            yield waiter
        finally:
            waiter.close()

    def close(self) -> None:
        """Close the database."""
        self.db.close()
