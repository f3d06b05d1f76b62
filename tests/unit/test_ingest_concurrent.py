"""Concurrent ingests (#13 item 1): real `python -m bot ingest` processes at once on one data directory
leave exactly the store one ingest leaves, and the learned chrome statistics count each article once."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.ingest import ingest
from bot.ingest.chrome import ChromeCounter, learn
from bot.models import article_uid
from bot.store import LockBusy, Store

from .concurrent_support import article, write_corpus
from .ingest_support import ROOT

ARTICLES = 1500


def _ingest_process(corpus: Path, data_dir: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "bot", "ingest", *extra, str(corpus)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _fingerprint(data_dir: Path) -> tuple[str, tuple[int, int, int], int, int]:
    """Content digest, chrome totals, live articles and duplicates of a data directory's store."""
    store = Store(data_dir / "newsbot.sqlite3")
    try:
        return (store.articles.digest(), store.state.chrome_totals(), store.articles.count(),
                store.articles.duplicate_count())  # fmt: skip
    finally:
        store.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("concurrent") / "generated.jsonl", ARTICLES)


@pytest.fixture(scope="module")
def clean(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """The store one ingest leaves."""
    data_dir = tmp_path_factory.mktemp("clean")
    proc = _ingest_process(corpus, data_dir, "--no-progress")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    return _fingerprint(data_dir)


def test_three_ingests_at_once_leave_the_store_one_ingest_leaves(corpus: Path, clean: tuple, tmp_path: Path) -> None:
    procs = [_ingest_process(corpus, tmp_path, "--no-progress") for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert _fingerprint(tmp_path) == clean
    firsts = sorted(out.splitlines()[0] for out, _ in outs)
    # one of them stored everything, the others found it all there already
    assert sum("added 0, updated 0, unchanged 1500," in line for line in firsts) == 2, firsts
    _keys, total, counted = clean[1]
    assert counted == ARTICLES and total > 0


def test_articles_counted_by_two_ingests_are_counted_once(corpus: Path, tmp_path: Path) -> None:
    """Two ingests that both read the statistics before either committed: the second adds nothing."""
    path = tmp_path / "newsbot.sqlite3"
    first, second = Store(path), Store(path)
    try:
        counters = [ChromeCounter(first.state.chrome_counted_uids()),
                    ChromeCounter(second.state.chrome_counted_uids())]  # fmt: skip
        for i in range(ARTICLES):
            record = article(i)
            for counter in counters:
                counter.add(record["source"], article_uid(record["url"]), record["text"].split("\n\n"))
        once = learn(first.state, counters[0])
        totals = first.state.chrome_totals()
        twice = learn(second.state, counters[1])
        assert second.state.chrome_totals() == totals
        assert twice.keys_by_source == once.keys_by_source and once.size() > 0
        assert totals[2] == len(counters[0].new_uids)
    finally:
        first.close()
        second.close()


def test_a_second_ingest_waits_for_the_first(corpus: Path, clean: tuple, tmp_path: Path) -> None:
    store = Store(tmp_path / "newsbot.sqlite3")
    try:
        with store.ingest_lock():
            proc = _ingest_process(corpus, tmp_path)
            assert proc.stderr is not None
            line = proc.stderr.readline()
            assert "waiting for another ingest into this store to finish" in line and f"pid {os.getpid()}" in line
            time.sleep(0.5)
            assert store.articles.count() == 0 and proc.poll() is None  # nothing written while waiting
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    finally:
        store.close()
    assert _fingerprint(tmp_path) == clean


def test_the_pollers_ingest_skips_while_another_runs(corpus: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "newsbot.sqlite3")
    other = Store(tmp_path / "newsbot.sqlite3")
    try:
        with other.ingest_lock(), pytest.raises(LockBusy, match=f"pid {os.getpid()}"):
            ingest([corpus], store, wait=False)
        assert store.articles.count() == 0
        assert ingest([corpus], store, wait=False).added > 0  # free again
    finally:
        store.close()
        other.close()


def test_a_killed_ingest_leaves_no_stale_lock(corpus: Path, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import sys, time; from bot.store import Store; s = Store(sys.argv[1]);\n"
         "with s.ingest_lock(): print('held', flush=True); time.sleep(120)"), str(tmp_path / "newsbot.sqlite3")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = Store(tmp_path / "newsbot.sqlite3")
        try:
            with pytest.raises(LockBusy, match=f"pid {holder.pid}"):
                ingest([corpus], store, wait=False)
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=10)
            assert ingest([corpus], store, wait=False).added > 0
        finally:
            store.close()
    finally:
        holder.kill()
        holder.wait()


def test_the_bundled_corpus_is_not_added_to_a_store_another_ingest_filled(corpus: Path, tmp_path: Path) -> None:
    """`run` or `ask` on an empty store while `ingest` fills it: they wait, then find it filled."""
    from bot.config import Settings
    from bot.ingest import ensure_bundled_corpus

    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]  # bundled corpus paths
    store = Store(settings.database_path)
    try:
        with store.ingest_lock():
            script = ("import sys; from bot.config import Settings; from bot.ingest import ensure_bundled_corpus; "
                      "from bot.store import Store; s = Settings(_env_file=None, data_dir=sys.argv[1]); "
                      "print(ensure_bundled_corpus(s, Store(s.database_path)) is None)")
            waiting = subprocess.Popen(
                [sys.executable, "-c", script, str(tmp_path)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert waiting.stderr is not None
            assert select.select([waiting.stderr], [], [], 60)[0], "the other process never said it waits"
            assert "waiting for the ingest of pid" in waiting.stderr.readline()
            ingest([corpus], store)  # the operator's own corpus, while the other process waits
        out, _ = waiting.communicate(timeout=120)
        assert out.strip() == "True"  # it found the store filled and added nothing
        assert ensure_bundled_corpus(settings, store) is None
        assert {a.source for a in store.articles.latest(limit=5000)} == {"example.org"}  # no DW article
    finally:
        store.close()
