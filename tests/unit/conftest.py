"""Fixtures shared by the unit tests: an empty store and the local HTTP server of the ingest tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest

from bot.answer.pipeline import Answerer
from bot.models import Article
from bot.search.retriever import IndexRetriever
from bot.store import Store

from ..postgres_support import DIALECTS, open_store
from .ingest_support import LocalServer


@pytest.fixture(params=DIALECTS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store, closed afterwards: in a fresh SQLite file, and again in a fresh PostgreSQL schema
    (every test that takes this fixture runs on both; without a server the second skips)."""
    s = open_store(request, tmp_path)
    yield s
    s.close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A local HTTP server on 127.0.0.1 serving canned routes (see ingest_support.LocalServer)."""
    srv = LocalServer().start()
    yield srv
    srv.stop()


def answerer_on(path: Path, articles: Sequence[Article], today: date) -> Answerer:
    """An answerer over a new store holding ``articles`` (in ``path``), indexed, with ``today`` as its date."""
    store = Store(path / "db.sqlite3")
    store.articles.upsert_many(list(articles))
    retriever = IndexRetriever(store, None)
    retriever.open()
    return Answerer(store, retriever, today=lambda: today)
