"""The store on PostgreSQL where it differs from SQLite: migrations under a lock, advisory process locks,
a server that goes away and comes back, and a password that never shows.

(Every other store test runs on both databases through the ``store`` fixture.)
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from bot.models import Article
from bot.store import LockBusy, Store, StoreUnavailable
from bot.store.schema import POSTGRES_MIGRATIONS

from ..postgres_support import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hunter2-not-logged"


def _article(i: int) -> Article:
    return Article(id=0, url=f"https://example.com/a/{i}", title=f"Title {i}", text=f"Body number {i}.\n\nMore.",
                   published=date(2026, 3, 1), source="example")  # fmt: skip


def _with_password(url: str) -> str:
    """``url`` with a password in it (the test server trusts local users, so any password is accepted)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{user}:{SECRET}@{host}").geturl()


def _store_script(target: str, at: float) -> list[str]:
    return [sys.executable, "-c", (
        "import sys, time\nfrom bot.store import Store\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "s = Store(sys.argv[1]); print(s.articles.count()); s.close()"), target, str(at)]  # fmt: skip


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_three_processes_starting_on_a_new_store_at_once_migrate_it_once(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    target = request.getfixturevalue("postgres_url") if dialect == "postgresql" else str(tmp_path / "db.sqlite3")
    at = time.time() + 3  # all three are past their imports by then
    procs = [subprocess.Popen(_store_script(target, at), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]  # fmt: skip
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert [out.strip() for out, _ in outs] == ["0", "0", "0"]
    store = Store(target)
    try:
        assert store.articles.upsert(_article(1)).article_id == 1  # a usable store
        if dialect == "postgresql":
            rows = store.db.query("SELECT version, COUNT(*) FROM schema_migrations GROUP BY version ORDER BY 1")
            assert [tuple(r) for r in rows] == [(m.version, 1) for m in POSTGRES_MIGRATIONS]
    finally:
        store.close()


def test_the_ingest_lock_names_its_holder_and_dies_with_it(postgres_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import sys, time; from bot.store import Store; s = Store(sys.argv[1]);\n"
         "with s.ingest_lock(): print('held', flush=True); time.sleep(120)"), postgres_url],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    store = Store(postgres_url)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match=f"pid {holder.pid}"), store.ingest_lock(wait=False):
            pass
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        deadline = time.monotonic() + 10  # the server notices the dead session at once, or nearly
        while True:
            try:
                with store.ingest_lock(wait=False):
                    break
            except LockBusy:
                assert time.monotonic() < deadline, "the lock outlived its killed holder"
                time.sleep(0.1)
        with store.ingest_lock(wait=False), store.ingest_lock(wait=False):  # the holding thread may re-enter
            pass
    finally:
        holder.kill()
        holder.wait()
        store.close()


def _kill_our_sessions(url: str) -> int:
    """Terminate this process's sessions on the server, as a PostgreSQL restart would."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"newsbot pid {os.getpid()}",),
        ).fetchall()
    return len(rows)


def test_connections_killed_by_a_restart_are_replaced_without_an_error(postgres_url: str) -> None:
    store = Store(postgres_url)
    try:
        store.articles.upsert(_article(1))
        assert _kill_our_sessions(postgres_url) >= 1
        assert store.articles.get_many([1])[1].title == "Title 1"  # read again on a fresh connection
        _kill_our_sessions(postgres_url)
        assert store.articles.upsert(_article(2)).article_id == 2  # a write whose connection died first
    finally:
        store.close()


def _within(seconds: float, call: Callable[[], object]) -> object:
    """Call until it stops raising StoreUnavailable (the server is back), failing after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except StoreUnavailable:
            assert time.monotonic() < deadline, "the store did not recover"
            time.sleep(0.5)


def test_an_unreachable_server_is_a_quick_typed_error_and_nothing_is_lost(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    store = Store(proxy.url(postgres_url))
    try:
        store.articles.upsert(_article(1))
        proxy.stop()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="unavailable"):
            store.articles.get_many([1])
        with pytest.raises(StoreUnavailable):
            store.articles.upsert(_article(2))
        assert time.monotonic() - started < 15  # "busy, try again", not a hang
        proxy.start()
        assert _within(30, lambda: store.articles.get_many([1]))[1].title == "Title 1"  # type: ignore[index]
        assert store.articles.upsert(_article(2)).article_id == 2
        assert store.articles.count() == 2
    finally:
        store.close()
        proxy.stop()


def test_the_password_in_the_url_is_never_logged(postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = _with_password(postgres_url)
    store = Store(url)
    try:
        assert SECRET not in store.db.label and "***" in store.db.label
        store.articles.upsert(_article(1))
        _kill_our_sessions(postgres_url)
        store.articles.get_many([1])  # logs the lost connection
    finally:
        store.close()
    unreachable = _with_password("postgresql://postgres@127.0.0.1:1/nothing")
    with pytest.raises(StoreUnavailable) as caught:
        Store(unreachable)
    assert SECRET not in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert SECRET not in caplog.text


def test_a_server_that_cannot_be_reached_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {"NEWSBOT_DATABASE_URL": _with_password("postgresql://postgres@127.0.0.1:1/news"),
            "PYTHONPATH": str(ROOT)}  # fmt: skip
    for command in (["sources"], ["ingest", "--no-progress"]):
        done = subprocess.run([sys.executable, "-m", "bot", *command], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2 and len(lines) == 1, done.stderr
        assert "NEWSBOT_DATABASE_URL" in lines[0] and SECRET not in done.stderr + done.stdout


def test_an_article_stored_by_another_process_wakes_a_listener(postgres_url: str) -> None:
    """Migration 2's trigger notifies on commit; ``Store.changes()`` (the index follower's wait) wakes."""
    reader, writer = Store(postgres_url), Store(postgres_url)
    try:
        with reader.changes() as changes:
            assert changes.wait(0.2) is False  # nothing yet (and the LISTEN is in place)
            writer.articles.upsert(_article(1))
            started = time.monotonic()
            assert changes.wait(10) is True
            assert time.monotonic() - started < 2
            assert reader.articles.max_seq() == 1  # the commit is visible once woken
    finally:
        reader.close()
        writer.close()
