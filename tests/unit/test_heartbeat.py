"""The bot's heartbeat without Telegram: a beat polls a folder, indexes and queues what arrived, once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.heartbeat import Heartbeat
from bot.models import Article
from bot.services import Services, open_services

TODAY = date.today()
SEED = Article(
    url="https://www.example.com/budget", title="Parliament passes budget",
    text="Parliament passed the budget after a long debate about taxes and spending.",
    published=TODAY - timedelta(days=3), source="example.com",
)  # fmt: skip


TOWNS = ["Grindavik", "Vik", "Husavik"]


def volcano_record(n: int = 0) -> str:
    return json.dumps({
        "url": f"https://news.example.org/volcano-{n}", "title": f"Volcano erupts in Iceland ({n})",
        "text": f"A volcano erupted in Iceland on day {n + 1}, sending lava towards {TOWNS[n]} and its harbour.",
        "published": TODAY.isoformat(), "source": "news.example.org",
    })  # fmt: skip


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture()
def services(tmp_path: Path, inbox: Path) -> Iterator[Services]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", corpus_paths=[], watch_dirs=[inbox])  # type: ignore[call-arg]
    opened = open_services(settings)
    opened.store.articles.upsert(SEED)
    opened.refresh()
    yield opened
    opened.close()


@pytest.fixture()
def heartbeat(services: Services) -> Heartbeat:
    beat = Heartbeat(services)
    beat.start()  # the planner starts at the end of the store: the seed article is back catalogue
    services.store.subscriptions.add(7, "volcano", None, limit=5)
    return beat


def found(services: Services, query: str) -> list[str]:
    return [hit.title for hit in services.retriever.search_articles(query, k=5)]


def test_a_polling_beat_ingests_indexes_and_queues_what_arrived(
    services: Services, heartbeat: Heartbeat, inbox: Path
) -> None:
    heartbeat.beat()  # nothing new yet
    (inbox / "new.jsonl").write_text(volcano_record() + "\n", encoding="utf-8")
    beat = heartbeat.beat(poll=True)
    assert beat.polled and beat.indexed == 1
    assert beat.planned is not None and beat.planned.queued == 1
    assert found(services, "volcano Iceland") == ["Volcano erupts in Iceland (0)"]
    assert len(services.store.subscriptions.pending(7)) == 1
    again = heartbeat.beat(poll=True)  # the same folder again: nothing new, nothing queued twice
    assert again.planned is None and len(services.store.subscriptions.pending(7)) == 1


def test_a_beat_without_poll_sees_what_another_process_wrote(services: Services, heartbeat: Heartbeat) -> None:
    assert heartbeat.due()  # never beaten: the first pass looks
    heartbeat.beat()
    assert not heartbeat.due()
    services.store.articles.upsert(Article(**{**json.loads(volcano_record(1)), "published": TODAY}))
    assert heartbeat.due()
    beat = heartbeat.beat()
    assert not beat.polled and beat.planned is not None and beat.planned.queued == 1
    assert heartbeat.due()  # a delivery waits to be sent
    assert found(services, "volcano")[0] == "Volcano erupts in Iceland (1)"


def test_beats_from_two_threads_queue_each_article_once(services: Services, heartbeat: Heartbeat, inbox: Path) -> None:
    heartbeat.beat()
    for n in range(3):
        (inbox / f"new-{n}.jsonl").write_text(volcano_record(n) + "\n", encoding="utf-8")
    threads = [threading.Thread(target=heartbeat.beat, kwargs={"poll": True}) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    heartbeat.beat(poll=True)
    pending = services.store.subscriptions.pending(7)
    assert len(pending) == len(set(pending)) == 3


def test_old_stored_queries_are_forgotten(services: Services, heartbeat: Heartbeat) -> None:
    services.store.queries.save("ask", "volcano", chat_id=7, size=3)
    assert heartbeat.forget_old_queries(timedelta(days=1)) == 0
    assert heartbeat.forget_old_queries(timedelta(days=-1)) == 1
