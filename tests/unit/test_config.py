"""Settings: environment and .env, one clear line for a bad value, the token never printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No NEWSBOT_* variable leaks in from the machine, and no .env from the repo is read."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_") or name in {"TELEGRAM_BOT_TOKEN", "PORT"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_put_the_database_in_the_data_dir() -> None:
    settings = load_settings()
    assert settings.database_path == Path("data") / "newsbot.sqlite3"
    assert settings.bot_api_base_url == "https://api.telegram.org/bot"
    assert settings.token is None


def test_lists_and_numbers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_FEED_URLS", "http://a.example/rss, http://b.example/atom")
    monkeypatch.setenv("NEWSBOT_ADMIN_USER_IDS", "1,2")
    monkeypatch.setenv("PORT", "5000")
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    settings = load_settings()
    assert settings.feed_urls == ["http://a.example/rss", "http://b.example/atom"]
    assert settings.admin_user_ids == [1, 2]
    assert settings.port == 5000
    assert settings.database_path == Path("/tmp/x.sqlite3")


def test_dotenv_file_is_read_and_the_token_stays_secret(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:SECRETSECRET\nNEWSBOT_ANSWER_RESULTS=4\n")
    settings = load_settings()
    assert settings.require_token() == "123:SECRETSECRET"
    assert settings.answer_results == 4
    assert "SECRETSECRET" not in repr(settings) and "SECRETSECRET" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("name", "value"),
    [("NEWSBOT_POLL_INTERVAL_MINUTES", "soon"), ("NEWSBOT_ANSWER_RESULTS", "99"), ("NEWSBOT_ADMIN_USER_IDS", "x")],
)
def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_cli_reports_a_bad_setting_in_one_line_without_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {"NEWSBOT_POLL_INTERVAL_MINUTES": "-3", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", "--no-progress"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "NEWSBOT_POLL_INTERVAL_MINUTES" in lines[0]


@pytest.mark.parametrize(
    "url",
    ["mysql://admin:hunter2secret@db/news", "hunter2secret", "postgresql://admin:hunter2secret@db:port/news",
     "sqlite:///"],
)  # fmt: skip
def test_wrong_database_url_is_one_clear_error_without_the_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", url)
    with pytest.raises(SettingsError, match="NEWSBOT_DATABASE_URL") as caught:
        load_settings()
    assert "hunter2secret" not in str(caught.value) and "\n" not in str(caught.value)


def test_a_postgresql_url_selects_postgresql_and_is_shown_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "postgresql://bot:s3cr%40t@db.example:5433/news")
    settings = load_settings()
    assert settings.uses_postgres and settings.database == "postgresql://bot:s3cr%40t@db.example:5433/news"
    assert settings.database_label == "postgresql://bot:***@db.example:5433/news"
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "")  # left empty in .env: the SQLite default
    assert load_settings().database == Path("data") / "newsbot.sqlite3"


def test_answer_workers_default_to_one_per_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().answer_workers is None  # the bot starts one per CPU
    monkeypatch.setenv("NEWSBOT_ANSWER_WORKERS", "")  # left empty in .env: still the default
    assert load_settings().answer_workers is None
    monkeypatch.setenv("NEWSBOT_ANSWER_WORKERS", "0")
    assert load_settings().answer_workers == 0
    monkeypatch.setenv("NEWSBOT_ANSWER_WORKERS", "-1")
    with pytest.raises(SettingsError, match="NEWSBOT_ANSWER_WORKERS"):
        load_settings()
