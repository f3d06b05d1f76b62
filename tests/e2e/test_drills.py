"""Drills (opt-in: ``pytest -m slow tests/e2e/test_drills.py -s``): the real bot application under load
and under Telegram faults, against the local Bot API server with Telegram's default flood limits.

Drill 1: 200 private chats × 5 real dev questions at once, against the full shared corpus (skipped
without ``../shared``, or NEWSBOT_SHARED_NEWS naming its ``data/news`` folder; set NEWSBOT_DRILL_DATA_DIR
to a data dir that already holds it to skip the ~1 min ingest) → all answered, none twice, no refused
request (no 429), with throughput, p50/p99 update→reply latency and CPU printed. The bot answers in its
production default (one answer worker process per CPU); NEWSBOT_ANSWER_WORKERS=0 compares in-process.
Drill 2: 429 storms, 502s, dropped connections and timeouts for a while, then recovery → every question
still gets exactly one answer.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.botapi import BotApiServer
from tests.botapi.drills import DrillReport, fault_drill, load_drill

#: ``../shared/data/news`` beside the checkout; NEWSBOT_SHARED_NEWS points elsewhere (a git worktree).
SHARED_NEWS = Path(
    os.environ.get("NEWSBOT_SHARED_NEWS") or Path(__file__).resolve().parents[3] / "shared" / "data" / "news"
)
ARTICLES = SHARED_NEWS / "articles.jsonl.gz"
QUESTIONS = SHARED_NEWS / "questions-dev.jsonl"

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


def _harness() -> Any:
    """The bot's e2e harness (tests/e2e/bot_fixtures.py), or skip when the bot isn't built yet."""
    try:
        from bot.chat.app import build_application  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"bot.chat.app.build_application is not available yet ({exc})")
    try:
        from tests.e2e import bot_fixtures
    except ImportError as exc:
        pytest.skip(f"tests/e2e/bot_fixtures.py (BotRunner, make_settings, seed) is not available ({exc})")
    return bot_fixtures


@pytest.fixture(scope="module")
def full_corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the whole shared corpus (ingested once per run, or given by the environment)."""
    if not ARTICLES.exists():
        pytest.skip(f"the load drill runs on the full shared corpus, which is absent ({ARTICLES})")
    given = os.environ.get("NEWSBOT_DRILL_DATA_DIR")
    if given and (Path(given) / "newsbot.sqlite3").exists():
        return Path(given)
    from bot.ingest import ingest
    from bot.store import Store

    data_dir = tmp_path_factory.mktemp("drill") / "data"
    store = Store(data_dir / "newsbot.sqlite3")
    try:
        ingest([str(ARTICLES)], store)
    finally:
        store.close()
    return data_dir


def _answer_workers() -> int | None:
    """The production default (one answer worker per CPU), or NEWSBOT_ANSWER_WORKERS to compare."""
    given = os.environ.get("NEWSBOT_ANSWER_WORKERS", "").strip()
    return int(given) if given else None


async def _start(botapi: BotApiServer, tmp_path: Path, **overrides: Any) -> Any:
    """Start the real application (production BotOptions) polling ``botapi``."""
    harness = _harness()
    from bot.chat.context import BotOptions

    overrides.setdefault("answer_workers", _answer_workers())
    settings = harness.make_settings(tmp_path, botapi, **overrides)
    if "data_dir" not in overrides:
        harness.seed(settings)
    runner = harness.BotRunner(botapi, settings, options=BotOptions())
    await runner.start()
    return runner


@pytest.fixture
async def running_bot(botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[BotApiServer]:
    """The real application on the small fixture corpus; stopped afterwards."""
    runner = await _start(botapi, tmp_path)
    try:
        yield botapi
    finally:
        await runner.stop()


@pytest.fixture
async def bot_on_full_corpus(
    botapi: BotApiServer, tmp_path: Path, full_corpus_dir: Path
) -> AsyncIterator[BotApiServer]:
    """The real application over the whole shared corpus; stopped afterwards."""
    runner = await _start(botapi, tmp_path, data_dir=full_corpus_dir)
    try:
        yield botapi
    finally:
        await runner.stop()


def _dev_questions(n: int) -> list[str]:
    """``n`` real questions spread evenly over the dev set."""
    rows = [
        json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line
    ]
    step = max(1, len(rows) // n)
    return rows[::step][:n]


def _report(name: str, report: DrillReport) -> None:
    print(f"\n[{name}] {report.summary()}")
    for record in report.refused[:5]:
        print(f"  refused: {record.method} {record.status} {record.description}")


async def test_drill_load_200_chats_x_5_questions(bot_on_full_corpus: BotApiServer) -> None:
    report = await load_drill(
        bot_on_full_corpus, chats=200, per_chat=5, timeout=240, questions=_dev_questions(1000)
    )
    _report("load", report)
    assert report.unanswered == [], f"{len(report.unanswered)} questions unanswered"
    assert report.extra_answers == {}, "some questions were answered more than once"
    assert report.rate_limited == [], f"{len(report.rate_limited)} requests refused with 429"
    assert report.refused == []


async def test_drill_faults_then_recovery(running_bot: BotApiServer) -> None:
    report = await fault_drill(running_bot, chats=30, per_chat=2, outage=6.0, timeout=180)
    _report("faults", report)
    assert report.injected_faults > 0
    assert report.unanswered == [], f"{len(report.unanswered)} questions unanswered"
    assert report.extra_answers == {}, "some questions were answered more than once"
