"""The delivery drills (opt-in: ``pytest -m slow tests/e2e/test_delivery_drills.py -s``); the same drills
print their figures from ``bench/kill_drill.py`` and ``bench/fanout_drill.py``.

Kill drill: ``python -m bot run`` killed with SIGKILL ten times, every other time between a push being
posted and being recorded → no push lost, none left queued, none doubled but those a kill caught on the
wire (the one window), and no kill catches more than ``PUSHES_IN_FLIGHT`` messages there. Fan-out drill: 60 private chats subscribe
to one topic and get three waves of matching articles, the first while the ``/subscribe`` replies still
go out → every push delivered once and not one 429 from a server applying Telegram's limits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat.ratelimit import PUSHES_IN_FLIGHT
from tests.botapi import BotApiServer
from tests.e2e.delivery_drills import fanout_drill, kill_drill

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


async def test_kill_drill_loses_nothing_and_doubles_only_the_window(tmp_path: Path) -> None:
    report = await kill_drill(kills=10, chats=30, interval=1.5, workdir=tmp_path)
    print(f"\n{report.summary()}")
    assert len(report.kills) == 10 and report.expected > 0
    assert report.lost == 0 and report.pending_left == 0 and report.never_queued == 0
    assert report.doubled == report.doubled_in_window  # only what a kill caught on the wire
    assert all(kill.messages <= PUSHES_IN_FLIGHT for kill in report.kills)


async def test_fanout_drill_draws_no_429(botapi: BotApiServer, tmp_path: Path) -> None:
    report = await fanout_drill(botapi, tmp_path, chats=60, rounds=3)
    print(f"\n{report.summary()}")
    assert report.replies == 60 and report.pushes == report.expected_pushes
    assert report.rate_limited == 0
