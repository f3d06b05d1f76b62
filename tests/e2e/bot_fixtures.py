"""Harness for the bot's end-to-end tests: a small store, the services, and the real PTB Application
talking HTTP to the local Bot API server, started, stopped and restarted like the real process.

Test modules import the fixtures they use (``from tests.e2e.bot_fixtures import runner_fixture``); pytest only
auto-loads plugins from the root conftest, which belongs to the Bot API server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.chat.app import build_application
from bot.chat.context import BotOptions
from bot.config import Settings
from bot.models import Article
from bot.services import Services, open_services
from bot.store import Store
from bot.subscribe.planner import BurstPolicy
from tests.botapi import BotApiServer

TODAY = date.today()
ROOT = Path(__file__).resolve().parents[2]

#: A few articles with distinct subjects; one carries markup and ampersands that must render as text.
ARTICLES: list[Article] = [
    Article(
        url="https://www.dw.com/en/nato-bucharest/a-1",
        title="NATO chief vows Ukraine support will not wane",
        text=(
            "NATO foreign ministers met in Bucharest to discuss more aid for Ukraine over the winter.\n\n"
            "Secretary-General Jens Stoltenberg said the alliance would not back down "
            "in its support for Kyiv."
        ),
        published=TODAY - timedelta(days=3),
        source="dw.com",
    ),
    Article(
        url="https://www.example.com/grain-deal",
        title="Black Sea grain deal extended",
        text=(
            "The Black Sea grain deal was extended for another four months, the UN said.\n\n"
            "Ukraine exported millions of tonnes of grain through its ports under the agreement."
        ),
        published=TODAY - timedelta(days=2),
        source="example.com",
    ),
    Article(
        url="https://www.example.com/markup",
        title="Tags <script>alert(1)</script> & <b>bold</b> claims",
        text=(
            "A website published <b>bold</b> claims & <i>markup</i> about satellites: "
            "<script>x()</script>.\n\n"
            "Engineers said the satellites & rockets were fine."
        ),
        published=TODAY - timedelta(days=1),
        source="example.com",
    ),
    Article(
        url="https://www.example.com/football",
        title="Football final ends in penalties",
        text="The football final ended in a penalty shootout after a goalless draw.\n\nFans celebrated late.",
        published=TODAY - timedelta(days=4),
        source="example.com",
    ),
    Article(
        url="https://www.example.com/budget",
        title="Parliament passes budget",
        text="Parliament passed the budget after a long debate about taxes and spending.",
        published=TODAY - timedelta(days=5),
        source="example.com",
    ),
    Article(
        url="https://www.example.com/nato-exercise",
        title="NATO exercise in the Baltic",
        text="NATO troops held an exercise in the Baltic states to practise defending the eastern flank.",
        published=TODAY - timedelta(days=6),
        source="example.com",
    ),
    Article(
        url="https://www.example.com/nato-summit-plans",
        title="NATO leaders plan summit",
        text="NATO leaders plan a summit next year to talk about Ukraine and air defence.",
        published=TODAY - timedelta(days=7),
        source="example.com",
    ),
    Article(
        url="https://www.example.com/nato-spending",
        title="NATO members raise defence spending",
        text="Several NATO members said they would raise defence spending to two percent of output.",
        published=TODAY - timedelta(days=8),
        source="example.com",
    ),
]

TEST_OPTIONS = BotOptions(
    watch_interval=0.2,
    watch_first=0.1,
    chat_pace=0.05,
    claim_lease=1.0,
    burst=BurstPolicy(card_limit=3, digest_size=10, max_digests=2),
    inline_cache_seconds=0,
)


def new_article(n: int, title: str, text: str, *, days_ago: int = 0) -> Article:
    """An article arriving while the bot runs."""
    return Article(
        url=f"https://news.example.org/{n}", title=title, text=text,
        published=TODAY - timedelta(days=days_ago), source="news.example.org",
    )  # fmt: skip


def make_settings(tmp_path: Path, server: BotApiServer, **overrides: Any) -> Settings:
    """Settings pointing at the local server and a store in ``tmp_path`` (nothing from the environment)."""
    values: dict[str, Any] = {
        "NEWSBOT_TOKEN": server.token,
        "bot_api_base_url": server.base_url,
        "bot_api_base_file_url": server.base_file_url,
        "data_dir": tmp_path / "data",
        "corpus_paths": [],
        "feed_urls": [],
        "watch_dirs": [],
        "max_subscriptions_per_chat": 3,
        "answer_results": 2,
        "answer_workers": 0,  # answers in the test process; tests/e2e/test_bot_workers.py runs the pool
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def seed(settings: Settings, articles: list[Article] = ARTICLES) -> None:
    """Write the fixture articles to the store before the bot starts."""
    store = Store.from_settings(settings)
    try:
        store.articles.upsert_many(articles)
    finally:
        store.close()


def open_test_services(settings: Settings) -> Services:
    """The real services (answer pipeline over the index) on the test store."""
    return open_services(settings)


@dataclass
class BotRunner:
    """Starts/stops the real Application against the local server, like `python -m bot run` would."""

    server: BotApiServer
    settings: Settings
    options: BotOptions = TEST_OPTIONS
    app: Application | None = None
    services: Services | None = None
    writer: Store | None = None  # a second connection: "another process" writing articles
    _ids: list[int] = field(default_factory=list)

    async def start(self) -> Application:
        """Open services, build and start the application with polling."""
        self.services = await asyncio.to_thread(open_test_services, self.settings)
        self.app = build_application(self.settings, self.services, options=self.options)
        await self.app.initialize()
        if self.app.post_init is not None:  # run_polling() would call it; starting by hand, we do
            await self.app.post_init(self.app)
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
        return self.app

    async def stop(self) -> None:
        """Stop like SIGTERM would: stop fetching, finish in-flight work, shut down, close services."""
        if self.app is None:
            return
        app, self.app = self.app, None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:  # run_polling() would call it; stopping by hand, we do
            await app.post_shutdown(app)
        self.services.close()

    async def restart(self) -> Application:
        await self.stop()
        return await self.start()

    @property
    def store(self) -> Store:
        return self.services.store

    def ingest(self, *articles: Article) -> list[int]:
        """Add articles through a separate store connection, as `python -m bot ingest` would."""
        if self.writer is None:
            self.writer = Store.from_settings(self.settings)
        return [r.article_id for r in self.writer.articles.upsert_many(list(articles))]

    async def ingest_with_cli(self, *articles: Article) -> str:
        """Add articles by running `python -m bot ingest FILE.jsonl` in a separate process; its output."""
        path = self.settings.data_dir / f"incoming-{len(articles)}-{articles[0].uid}.jsonl"
        rows = [
            {
                "url": a.url,
                "title": a.title,
                "text": a.text,
                "published": a.published.isoformat(),
                "source": a.source,
            }
            for a in articles
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        env.update(NEWSBOT_DATA_DIR=str(self.settings.data_dir), PYTHONPATH=str(ROOT))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "ingest", "--no-progress", str(path), cwd=self.settings.data_dir,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await proc.communicate()
        assert proc.returncode == 0, output.decode()
        return output.decode()

    async def wait_planned(self, timeout: float = 5.0) -> None:
        """Until the delivery planner has caught up with the store (after an ingest)."""
        from bot.subscribe.planner import MARK_ID

        async def caught_up() -> None:
            while True:
                store = self.services.store
                mark = store.state.get(MARK_ID)
                high = store.subscriptions.article_high_water()[1]
                if mark is not None and int(mark) >= high and not store.subscriptions.pending_chats():
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(caught_up(), timeout)


@contextlib.asynccontextmanager
async def started_runner(botapi: BotApiServer, tmp_path: Path, **overrides: object) -> AsyncIterator[BotRunner]:
    """A started bot on the fixture articles (settings ``overrides`` applied); stopped on exit."""
    settings = make_settings(tmp_path, botapi, **overrides)
    seed(settings)
    bot_runner = BotRunner(botapi, settings)
    await bot_runner.start()
    try:
        yield bot_runner
    finally:
        await bot_runner.stop()
        if bot_runner.writer is not None:
            bot_runner.writer.close()


@pytest.fixture(name="runner")
async def runner_fixture(botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[BotRunner]:
    """A started bot on the fixture articles; stopped afterwards."""
    async with started_runner(botapi, tmp_path) as bot_runner:
        yield bot_runner
