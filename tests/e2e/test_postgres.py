"""Every command on a PostgreSQL store (NEWSBOT_DATABASE_URL=postgresql://...): ingest, sources, latest,
ask, eval as a person types them, `run` answering a question through the local Bot API server, and a
question asked while the server is out of reach."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bot.chat.errors import BUSY
from bot.store import Store
from tests.botapi import BotApiServer
from tests.e2e.bot_fixtures import ARTICLES, make_settings, started_runner
from tests.e2e.test_bot_run import clean_env, start_bot
from tests.postgres_support import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "corpus" / "dw-2022-11-29-nato-bucharest.txt"


def _bot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


def test_ingest_sources_latest_ask_and_eval_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    env = clean_env(NEWSBOT_DATABASE_URL=postgres_url, NEWSBOT_DATA_DIR=str(tmp_path / "data"),
                    NEWSBOT_CORPUS_PATHS="[]")  # fmt: skip
    done = _bot(["ingest", "--no-progress", str(SEED)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ingest: added 1,")
    assert _bot(["ingest", "--no-progress", str(SEED)], env, tmp_path).stdout.startswith(
        "ingest: added 0, updated 0, unchanged 1,"
    )  # the second run finds it stored

    sources = _bot(["sources"], env, tmp_path)
    assert sources.returncode == 0 and "1 article" in sources.stdout, sources.stdout + sources.stderr
    latest = _bot(["latest"], env, tmp_path)
    assert latest.returncode == 0 and "Bucharest" in latest.stdout, latest.stderr
    ask = _bot(["ask", "Why were NATO ministers in Bucharest?"], env, tmp_path)
    assert ask.returncode == 0 and "Bucharest" in ask.stdout, ask.stderr
    assert "Traceback" not in sources.stderr + latest.stderr + ask.stderr

    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "q1", "date": "2022-11-30", "question": "Where did NATO foreign "
                                     "ministers meet?", "answer": "Bucharest", "answer_in_corpus": True}) + "\n")  # fmt: skip
    evaluated = _bot(["eval", str(questions), "--quiet", "--report", str(tmp_path / "report.json")], env, tmp_path)
    assert evaluated.returncode == 0, evaluated.stdout + evaluated.stderr
    assert (tmp_path / "report.json").exists()
    assert not (tmp_path / "data" / "newsbot.sqlite3").exists()  # everything went to PostgreSQL


async def test_run_answers_from_a_postgresql_store(botapi: BotApiServer, postgres_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, botapi)
    settings.data_dir.mkdir()  # the index lives there, per machine; the store does not
    store = Store(postgres_url)
    try:
        store.articles.upsert_many(ARTICLES)
    finally:
        store.close()
    proc = await start_bot(botapi, settings, NEWSBOT_DATABASE_URL=postgres_url, NEWSBOT_ANSWER_WORKERS="1")
    try:
        await botapi.wait_for(lambda: botapi.calls["getUpdates"] > 0, timeout=60, what="the bot polling")
        alice = botapi.add_user("Alice")
        botapi.send_text(alice, alice, "Why did NATO ministers meet in Bucharest?")
        [reply] = await botapi.wait_for_bot_messages(alice, 1, timeout=30)
        assert "Bucharest" in (reply.text or "")
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0 and b"Traceback" not in stderr, stderr.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert not (settings.data_dir / "newsbot.sqlite3").exists()


async def test_a_question_while_postgresql_is_unreachable_gets_busy_then_answers(
    botapi: BotApiServer, postgres_url: str, tmp_path: Path
) -> None:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    try:
        async with started_runner(botapi, tmp_path, database_url=proxy.url(postgres_url)):
            alice = botapi.add_user("Alice")
            botapi.send_text(alice, alice, "Why did NATO ministers meet in Bucharest?")
            [answer] = await botapi.wait_for_bot_messages(alice, 1, timeout=10)
            assert "Bucharest" in (answer.text or "")
            proxy.stop()  # the server restarts, or the network to it is down
            botapi.send_text(alice, alice, "What did the ministers promise Ukraine?")
            replies = await botapi.wait_for_bot_messages(alice, 2, timeout=30)
            assert replies[1].text == BUSY
            proxy.start()
            await asyncio.sleep(1)
            for attempt in range(20):  # the pool reconnects within seconds of the server's return
                botapi.send_text(alice, alice, "Why did NATO ministers meet in Bucharest?")
                replies = await botapi.wait_for_bot_messages(alice, 3 + attempt, timeout=30)
                if replies[-1].text != BUSY:
                    break
                await asyncio.sleep(1)
            assert "Bucharest" in (replies[-1].text or "")
    finally:
        proxy.stop()
