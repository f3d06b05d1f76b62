"""Durable storage: articles, ingestion state, subscriptions and deliveries, in one SQLite file (WAL) by
default or in PostgreSQL (``NEWSBOT_DATABASE_URL=postgresql://...``).

`Store` is the one object the rest of the bot holds; each concern lives in its own repository, whose SQL
runs unchanged on both databases through :class:`bot.store.db.Database` (see ``docs/postgres.md``).

Several processes may open one store: readers (``ask``, answer workers) at any time, while one writer
commits at a time (SQLite's own lock, waited on for up to 30 s). Two process-level locks (see
:mod:`bot.store.locks`) order what transactions alone cannot: :meth:`Store.ingest_lock` runs ingests one
after another (the CLI's and the bot's poller's), so any number of concurrent ingests leave exactly the
store one ingest leaves; :meth:`Store.bot_lock` lets one `run` process at a time deliver from the store.
On PostgreSQL the same two locks are advisory locks. Why, what was measured: ``docs/store-concurrency.md``
and ``docs/postgres.md``.

Repositories: :mod:`~bot.store.articles` (articles and their change feed), :mod:`~bot.store.state`
(ingest and planner marks), :mod:`~bot.store.subscriptions` (chats, topics, subscriptions, the delivery
queue and log, stored queries), :mod:`~bot.store.digests`, :mod:`~bot.store.stories`; under them
:mod:`~bot.store.db` (the dialect-neutral interface and SQLite), :mod:`~bot.store.postgres`,
:mod:`~bot.store.schema` (both dialects' tables), :mod:`~bot.store.migrations`, :mod:`~bot.store.locks`
and :mod:`~bot.store.errors`.

The bottom of the import graph: may import :mod:`bot.models`, :mod:`bot.errors` (and :mod:`bot.config`
for its settings) only. All SQL of the bot lives in this package; the layers above call its methods.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .articles import ArticleRepo, CorpusStats, Outcome, UpsertResult
from .changes import Changes, changes_of
from .claims import ClaimLost, ClaimRepo
from .db import Database, open_database
from .digests import DigestRepo
from .errors import DataError, IntegrityError, StoreError, StoreFullError, StoreUnavailable, is_disk_full
from .leases import LeaseRepo
from .locks import LockBusy
from .queries import QueryRepo
from .state import FeedState, StateRepo
from .stories import StoryRepo
from .subscriptions import SubscriptionRepo

__all__ = [
    "ArticleRepo", "Changes", "ClaimLost", "ClaimRepo", "CorpusStats", "DataError", "Database", "FeedState",
    "IntegrityError", "LockBusy", "Outcome", "StateRepo", "Store", "StoreError", "StoreFullError",
    "StoreUnavailable", "StoryRepo", "UpsertResult", "is_disk_full",
]  # fmt: skip


class Store:
    """The article store and the bot's state, in one SQLite file or one PostgreSQL database."""

    def __init__(self, target: Path | str) -> None:
        """Open (and migrate) the store at ``target``: an SQLite file path, or a ``postgresql://`` URL."""
        self.db: Database = open_database(target)
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
        """Open the store the settings point at; a PostgreSQL server that cannot be reached (or refuses
        us) stops start-up with one line naming ``NEWSBOT_DATABASE_URL`` (its password never shown)."""
        from bot.config import SettingsError

        try:
            return cls(settings.database)
        except StoreError as exc:
            if not settings.uses_postgres:
                raise
            raise SettingsError(f"NEWSBOT_DATABASE_URL: cannot open the store: {exc}") from None

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
        if self._ingest_holder == threading.get_ident():
            yield
            return
        with self.db.process_lock("ingest", wait=wait, on_wait=on_wait):
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
        with self.db.process_lock("bot", wait=wait, on_wait=on_wait):
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
