"""A full disk (#13 item 4), made for real: a small tmpfs mounted for the test and filled up.

Ingest stops with one line naming the full disk and keeps every committed batch; `ask`, `sources` and
`run` answer from an index held in memory when it cannot be saved, with one warning; freed space lets
the same ingest finish. Needs root on Linux to mount the tmpfs (skipped otherwise, saying so).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import make_settings
from tests.e2e.test_bot_one_per_store import start, stop
from tests.e2e.test_bot_run import clean_env
from tests.unit.concurrent_support import write_corpus

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

ARTICLES = 6000  # about 4.5 MB of JSON Lines: more than the 3 MB disk holds
BATCH = 200


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs mounted for this test only."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("a real full disk needs a small tmpfs, and mounting one needs root on Linux")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    """Take whatever space is left, so that no index can be saved."""
    with open(disk / "filler", "ab") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(NEWSBOT_DATA_DIR=str(data_dir), NEWSBOT_CORPUS_PATHS="[]")
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


@pytest.fixture
def full_disk(small_disk: Path, tmp_path: Path) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """A data directory on the small disk, filled by an ingest that did not fit, and the ingest's result."""
    corpus = write_corpus(tmp_path / "generated.jsonl", ARTICLES)
    data_dir = small_disk / "data"
    done = cli(data_dir, "ingest", "--no-progress", "--batch-size", str(BATCH), str(corpus))
    return data_dir, corpus, done


def test_ingest_stops_with_one_line_and_keeps_what_was_committed(full_disk, small_disk: Path) -> None:
    data_dir, corpus, done = full_disk
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"ingest stopped: the disk holding {data_dir / 'newsbot.sqlite3'} is full"), first
    committed = int(first.split("; the ")[1].split()[0])
    assert 0 < committed < ARTICLES and committed % BATCH == 0
    store = Store(data_dir / "newsbot.sqlite3")
    try:
        assert store.articles.count() + store.articles.duplicate_count() == committed
    finally:
        store.close()

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)  # space freed
    again = cli(data_dir, "ingest", "--no-progress", "--batch-size", str(BATCH), str(corpus))
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"unchanged {committed}," in again.stdout.splitlines()[0]


@pytest.mark.parametrize("command", [["ask", "budget item of town 12"], ["sources"]])
def test_read_paths_answer_from_memory_with_one_warning(full_disk, small_disk: Path, command: list[str]) -> None:
    data_dir, _, _ = full_disk
    fill(small_disk)
    done = cli(data_dir, *command)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Town 12 weighs its budget" in done.stdout if command[0] == "ask" else "example.org" in done.stdout
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("indexing: ")]  # progress
    assert len(lines) == 1 and "search index not saved" in lines[0] and "answering from memory" in lines[0], lines
    left = {p.name for p in (data_dir / "index").rglob("*") if p.is_file()}
    assert left <= {"LOCK"}, left  # the failed saves took back every file they wrote


async def test_run_keeps_answering_on_a_full_disk(full_disk, small_disk: Path, botapi: BotApiServer) -> None:
    data_dir, _, _ = full_disk
    fill(small_disk)
    settings = make_settings(small_disk, botapi)
    assert settings.data_dir == data_dir
    bot = await start(botapi, settings)
    try:
        await botapi.wait_for(lambda: botapi.calls["getUpdates"] > 0, timeout=60, what="the bot polling")
        alice = botapi.add_user("Alice")
        for n, question in enumerate(["budget item of town 12", "Which town discussed budget item 85?"], 1):
            botapi.send_text(alice, alice, question)
            replies = await botapi.wait_for_bot_messages(alice, n, timeout=30)
            assert "Town 12 weighs its budget" in (replies[-1].text or ""), replies[-1].text
        assert bot.returncode is None
    finally:
        await stop(bot)
    _, err = await bot.communicate()
    assert "Traceback" not in err.decode(), err.decode()[-3000:]
