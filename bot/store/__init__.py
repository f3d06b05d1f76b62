"""Durable storage: articles, ingestion state, subscriptions and deliveries in one SQLite file (WAL).

`Store` is the one object the rest of the bot holds; each concern lives in its own repository so a
PostgreSQL implementation can later sit beside the SQLite one behind the same methods.
"""

from __future__ import annotations

from pathlib import Path

from .articles import ArticleRepo, CorpusStats, Outcome, UpsertResult
from .db import Database
from .state import FeedState, StateRepo
from .subscriptions import SubscriptionRepo

__all__ = ["ArticleRepo", "CorpusStats", "Database", "FeedState", "Outcome", "StateRepo", "Store", "UpsertResult"]


class Store:
    """The article store and the bot's state, opened on one database file."""

    def __init__(self, path: Path | str) -> None:
        self.db = Database(path)
        self.articles = ArticleRepo(self.db)
        self.state = StateRepo(self.db)
        self.subscriptions = SubscriptionRepo(self.db)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:  # noqa: F821
        """Open the store the settings point at."""
        return cls(settings.database_path)

    def close(self) -> None:
        """Close the database."""
        self.db.close()
