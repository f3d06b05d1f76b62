"""`python -m bot ingest`: summary on stdout, progress on stderr, exit status 0/1, bundled corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import load_settings
from bot.ingest import ensure_bundled_corpus
from bot.store import Store

from .ingest_support import FIXTURES, SEED


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NEWSBOT_CORPUS_PATHS", raising=False)
    monkeypatch.delenv("NEWSBOT_FEED_URLS", raising=False)
    monkeypatch.delenv("NEWSBOT_DATABASE_URL", raising=False)
    return tmp_path / "data"


def test_cli_ingests_and_prints_one_summary(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["ingest", str(SEED), str(FIXTURES / "corpus-sample.jsonl")])
    out, err = capsys.readouterr()
    assert status == 0
    assert out.startswith("ingest: added 8, updated 0, unchanged 0, duplicate 0, flagged ")
    assert "removed chrome lines:" in out and "Traceback" not in out + err
    assert "ingest: committed 8 records" in err  # plain progress lines when stderr is not a terminal
    store = Store(data_dir / "newsbot.sqlite3")
    assert store.articles.count(include_flagged=True) == 8


def test_cli_exit_status_1_lists_each_failure(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    good = {
        "url": "https://example.com/a",
        "title": "A title",
        "text": "Body text here.",
        "published": "2023-01-01",
    }
    bad.write_text(
        json.dumps(good)
        + "\n{broken\n"
        + json.dumps({**good, "url": "https://example.com/b", "published": "3023-01-01"})
        + "\n"
    )
    status = main(["ingest", "--no-progress", str(bad)])
    out, err = capsys.readouterr()
    assert status == 1
    assert err == ""
    assert "added 1" in out and "failed 2" in out
    assert f"{bad}:2: invalid JSON" in out
    assert f"{bad}:3: date 3023-01-01 is in the future" in out


def test_cli_without_arguments_ingests_the_configured_corpus(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", "--no-progress"]) == 0
    assert "added 1" in capsys.readouterr().out
    store = Store(data_dir / "newsbot.sqlite3")
    assert store.articles.get_by_url("https://p.dw.com/p/4KD8i") is not None


def test_ensure_bundled_corpus_only_when_empty(data_dir: Path) -> None:
    settings = load_settings()
    store = Store.from_settings(settings)
    first = ensure_bundled_corpus(settings, store)
    assert first is not None and first.added == 1 and first.ok
    assert ensure_bundled_corpus(settings, store) is None


def test_cli_unusable_store_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(blocker / "data"))
    assert main(["ingest", str(SEED)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot open the store at ") and "Traceback" not in err
