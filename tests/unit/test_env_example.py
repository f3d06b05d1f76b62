"""`.env.example` is a working configuration: copied as it is it loads, and uncommenting one feed line
gives a bot with public news feeds on world, business and technology from several publishers."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / ".env.example").read_text()
FEED_LINES = [line for line in EXAMPLE.splitlines() if line.startswith("# NEWSBOT_FEED_URLS=")]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("NEWSBOT_") or name in {"TELEGRAM_BOT_TOKEN", "PORT"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_example_loads_as_it_is(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(EXAMPLE)
    settings = load_settings()
    assert settings.feed_urls == [] and (settings.token is None or not settings.token.get_secret_value())


@pytest.mark.parametrize("line", FEED_LINES)
def test_uncommenting_one_feed_line_configures_those_feeds(tmp_path: Path, line: str) -> None:
    (tmp_path / ".env").write_text(EXAMPLE.replace(line, line.removeprefix("# ")))
    urls = load_settings().feed_urls
    assert len(urls) >= 4
    assert all(urlsplit(u).scheme == "https" and urlsplit(u).hostname for u in urls)
    assert len({_publisher(u) for u in urls}) >= 3  # several publishers, not one site's sections


def test_the_feed_lines_cover_world_business_and_technology() -> None:
    assert len(FEED_LINES) >= 2
    everything = " ".join(FEED_LINES)
    for topic in ("world", "business", "technology"):
        assert re.search(rf"/{topic}/|{topic}", everything), topic
    first = FEED_LINES[0]  # the suggested start mixes all three
    assert all(topic in first for topic in ("world", "business", "technology"))


def test_the_readme_lists_the_same_starter_feeds() -> None:
    readme = (ROOT / "README.md").read_text()
    for url in FEED_LINES[0].split("=", 1)[1].split(","):
        assert url in readme, url


def _publisher(url: str) -> str:
    parts = (urlsplit(url).hostname or "").split(".")
    keep = 3 if len(parts) >= 3 and parts[-2] in {"co", "com", "org", "net"} else 2  # bbci.co.uk
    return ".".join(parts[-keep:])
