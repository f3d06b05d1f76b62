"""The command line in a newcomer's first hour: clear refusals, honest names, output that pipes well."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import SettingsError, load_settings

from .ingest_support import FIXTURES, ROOT, SEED


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory holding the bundled article and the seven-article sample (three sources)."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_") or name in {"TELEGRAM_BOT_TOKEN", "PORT"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSBOT_ANSWER_WORKERS", "0")
    assert main(["ingest", "--no-progress", str(SEED), str(FIXTURES / "corpus-sample.jsonl")]) == 0
    return tmp_path / "data"


def cli(*args: str, data_dir: Path, **env: str) -> subprocess.Popen[bytes]:
    """``python -m bot ARGS`` in its own process, output piped."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    clean.update(PYTHONPATH=str(ROOT), NEWSBOT_DATA_DIR=str(data_dir), **env)
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=data_dir.parent, env=clean,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def test_latest_into_a_pipe_closed_early_is_quiet(data_dir: Path) -> None:
    proc = cli("latest", "20", data_dir=data_dir)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -1` that has already gone: every write meets a broken pipe
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert err == ""
    assert proc.returncode == 141  # what a shell reports for a writer stopped by a closed pipe


def test_latest_piped_into_head_prints_its_first_line_only(data_dir: Path) -> None:
    done = subprocess.run(
        f"{sys.executable} -m bot latest 20 | head -1", shell=True, capture_output=True, text=True,
        cwd=data_dir.parent, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout == "Latest news\n" and "Traceback" not in done.stderr and "Broken" not in done.stderr


@pytest.mark.parametrize("k", ["0", "-1", "11", "two"])
def test_ask_rejects_a_result_count_it_cannot_honour(
    data_dir: Path, k: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["ask", "-k", k, "NATO Bucharest"])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert "argument -k:" in err and k in err and "Traceback" not in err


def test_ask_k_gives_that_many_results(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "-k", "1", "NATO ministers Bucharest Ukraine"]) == 0
    out = capsys.readouterr().out
    assert "\n1. " in out and "\n2. " not in out


def test_terminal_no_answer_points_at_the_latest_command_not_telegram(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "zebra migration across xyzzy plateau"]) == 1
    out = capsys.readouterr().out
    assert "/latest" not in out
    assert "`python -m bot latest`" in out


def test_help_names_the_installed_script(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", [str(Path(sys.prefix) / "bin" / "newsbot"), "--help"])
    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.startswith("usage: newsbot ")


def test_help_via_python_m_names_the_module() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=True)  # fmt: skip
    assert done.stdout.startswith("usage: python -m bot ")


def test_installed_newsbot_script_names_itself() -> None:
    script = Path(sys.executable).parent / "newsbot"
    if not script.exists():
        pytest.skip("no `newsbot` script beside this Python (the package is not installed in this environment)")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.startswith("usage: newsbot ")


def test_sources_lists_its_bullets_without_blank_lines(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sources"]) == 0
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    bullets = [i for i, line in enumerate(lines) if line.startswith("• ")]
    assert len(bullets) >= 3  # p.dw.com, cnn.com, usatoday.com, ...
    assert bullets == list(range(bullets[0], bullets[0] + len(bullets)))  # consecutive lines
    assert lines[bullets[-1]] == lines[-1]


def test_unknown_log_level_stops_start_up_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith("NEWSBOT_LOG_LEVEL: 'LOUD' is not a log level")


def test_log_level_in_any_case_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "debug")
    assert load_settings().log_level == "DEBUG"


def test_run_with_an_unknown_log_level_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(PYTHONPATH=str(ROOT), NEWSBOT_LOG_LEVEL="LOUD", NEWSBOT_TOKEN="123:abc")
    done = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: NEWSBOT_LOG_LEVEL: 'LOUD' is not a log level; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]


# -- the index is built at ingest; a long first-use step says what it does -------------------------------


def test_ingest_leaves_the_index_ready_with_progress_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.search.retriever import IndexRetriever
    from bot.store import Store

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NEWSBOT_CORPUS_PATHS", raising=False)
    assert main(["ingest", str(FIXTURES / "corpus-sample.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "ingest: committed 7 records" in err
    assert "indexing: search index built: 6 articles" in err  # after the ingest's own lines
    assert err.index("ingest: committed") < err.index("indexing:")
    store = Store(tmp_path / "data" / "newsbot.sqlite3")
    try:
        saved = IndexRetriever(store, tmp_path / "data" / "index")
        assert saved._load() and saved.seq == store.articles.max_seq()  # on disk, nothing left to catch up
    finally:
        store.close()


def test_ingest_leaves_the_stories_grouped(data_dir: Path) -> None:
    """The first ask or run after an ingest has no grouping left to do (26k articles took a minute)."""
    from bot.store import Store

    store = Store(data_dir / "newsbot.sqlite3")
    try:
        assert store.stories.marker() == store.articles.max_seq() > 0
    finally:
        store.close()


def test_first_ask_after_ingest_loads_the_index_without_a_word(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["ask", "free Covid tests"]) == 0
    out, err = capsys.readouterr()
    assert "Covid" in out
    assert "indexing" not in err and "first use" not in err


def test_ingest_no_index_leaves_the_index_to_the_next_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", "--no-index", str(FIXTURES / "corpus-sample.jsonl")]) == 0
    assert "indexing" not in capsys.readouterr().err
    assert main(["ask", "free Covid tests"]) == 0
    err = capsys.readouterr().err
    assert "indexing: building the search index of 6 articles" in err


def test_first_ask_on_a_fresh_clone_says_what_it_is_doing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NEWSBOT_CORPUS_PATHS", raising=False)
    assert main(["ask", "Why did NATO ministers meet in Bucharest?"]) == 0
    out, err = capsys.readouterr()
    assert "Bucharest" in out
    assert "first use: the store is empty; ingesting" in err
    assert "indexing: building the search index of 1 article\n" in err
    assert main(["ask", "Why did NATO ministers meet in Bucharest?"]) == 0
    assert capsys.readouterr().err == ""  # the second time there is nothing to say
