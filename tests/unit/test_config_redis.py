"""NEWSBOT_REDIS_URL: a wrong URL stops start-up with one line naming the variable, and the password in it
is never printed; an unreachable Redis is not a wrong URL (the bot starts on its fallback)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.subscribe.budget_redis import WrongRedisUrl, check, describe
from tests.e2e.budget_replicas import redis_reachable, test_redis_url

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret-pw"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("NEWSBOT_") or name in {"TELEGRAM_BOT_TOKEN", "PORT"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_no_redis_by_default_and_a_good_url_is_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().redis_url is None
    monkeypatch.setenv("NEWSBOT_REDIS_URL", f"redis://:{PASSWORD}@cache.internal:6380/2")
    settings = load_settings()
    assert settings.redis_url is not None and PASSWORD not in repr(settings) + str(settings)
    assert describe(settings.redis_url.get_secret_value()) == "redis://cache.internal:6380/2"


@pytest.mark.parametrize(
    "url",
    [
        f"http://:{PASSWORD}@cache.internal:6379/0",  # not Redis
        f"redis://:{PASSWORD}@cache.internal:port/0",  # a port that is no number
        f"redis://:{PASSWORD}@cache.internal:6379/zero",  # a database that is no number
        f"redis://:{PASSWORD}@/0",  # no host
    ],
)
def test_a_malformed_url_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("NEWSBOT_REDIS_URL", url)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("NEWSBOT_REDIS_URL:") and "\n" not in message and PASSWORD not in message


def test_a_host_that_does_not_exist_is_a_wrong_url() -> None:
    with pytest.raises(WrongRedisUrl, match="^NEWSBOT_REDIS_URL: the host") as caught:
        asyncio.run(check(f"redis://:{PASSWORD}@no-such-host.invalid:6379/0"))
    assert PASSWORD not in str(caught.value)


def test_an_unreachable_redis_is_not_a_wrong_url() -> None:
    reason = asyncio.run(check(f"redis://:{PASSWORD}@127.0.0.1:1/0", timeout=0.5))
    assert reason and PASSWORD not in reason


def test_run_stops_at_once_when_redis_refuses_the_database() -> None:
    """``python -m bot run`` with a database Redis does not have: exit 2, one line, no password."""
    url = test_redis_url()
    if not asyncio.run(redis_reachable(url)):
        pytest.skip("Redis not reachable (NEWSBOT_TEST_REDIS_URL)")
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {
        "NEWSBOT_TOKEN": "123456:TEST-token",
        "NEWSBOT_REDIS_URL": f"redis://:{PASSWORD}@{host}/9999",
        "NEWSBOT_BOT_API_BASE_URL": "http://127.0.0.1:1/bot",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: NEWSBOT_REDIS_URL:"), done.stderr
    assert PASSWORD not in done.stderr + done.stdout


async def test_a_replica_starting_without_redis_says_so_once_and_sends_slower(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.chat.ratelimit import telegram_limits
    from bot.subscribe.budget import Lane
    from bot.subscribe.budget_redis import RedisBudget

    budget = RedisBudget(f"redis://:{PASSWORD}@127.0.0.1:1/0", telegram_limits(), probe_every=60)
    await budget.start()
    try:
        slots = [await budget.reserve(Lane(str(chat))) for chat in range(10)]
    finally:
        await budget.close()
    assert budget.fallback is not None and budget.fallback.limits == telegram_limits().share(3)
    assert [s.wait for s in slots if s.taken] == sorted(s.wait for s in slots) and slots[-1].wait > 0.2
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.subscribe.budget_redis"]
    assert len(lines) == 1 and "127.0.0.1:1/0 unreachable" in lines[0] and PASSWORD not in caplog.text
