"""Drills (opt-in: ``pytest -m slow tests/e2e/test_drills.py -s``): the real bot application under load
and under Telegram faults, against the local Bot API server with Telegram's default flood limits.

Drill 1: 200 private chats × 5 questions at once → all answered, none twice, no refused request
(no 429), with throughput, p50/p99 update→reply latency and CPU printed.
Drill 2: 429 storms, 502s, dropped connections and timeouts for a while, then recovery → every question
still gets exactly one answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.botapi import BotApiServer
from tests.botapi.drills import DrillReport, fault_drill, load_drill

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


@pytest.fixture
async def running_bot(botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[BotApiServer]:
    """The real application (production BotOptions) polling ``botapi``; stopped afterwards."""
    harness = _harness()
    from bot.chat.common import BotOptions

    settings = harness.make_settings(tmp_path, botapi)
    harness.seed(settings)
    runner = harness.BotRunner(botapi, settings, options=BotOptions())
    await runner.start()
    try:
        yield botapi
    finally:
        await runner.stop()


def _report(name: str, report: DrillReport) -> None:
    print(f"\n[{name}] {report.summary()}")
    for record in report.refused[:5]:
        print(f"  refused: {record.method} {record.status} {record.description}")


async def test_drill_load_200_chats_x_5_questions(running_bot: BotApiServer) -> None:
    report = await load_drill(running_bot, chats=200, per_chat=5, timeout=240)
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
