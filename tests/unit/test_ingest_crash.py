"""A real `kill -9` of `python -m bot ingest` mid-run loses nothing reported and leaves no half article."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.store import Store

from .ingest_support import ROOT

ARTICLES = 6000
BATCH = 200
KILL_AFTER = 3 * BATCH
COMMITTED = re.compile(r"committed (\d+) records")


def _article(i: int) -> dict:
    body = [
        f"Paragraph {p} of generated story {i}: the council discussed item {i * 13 + p} at length."
        for p in range(8)
    ]
    return {
        "url": f"https://example.org/2023/05/{i % 28 + 1:02d}/generated-{i}",
        "title": f"Generated story {i}",
        "text": "\n\n".join(body + [f"END-{i}."]),
        "published": f"2023-05-{i % 28 + 1:02d}",
        "source": "example.org",
    }


def _run(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_mid_ingest_then_rerun(tmp_path: Path) -> None:
    corpus = tmp_path / "generated.jsonl"
    corpus.write_text("".join(json.dumps(_article(i)) + "\n" for i in range(ARTICLES)), encoding="utf-8")
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    proc = _run([str(corpus), "--batch-size", str(BATCH)], env)
    reported = 0
    deadline = time.monotonic() + 60
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            m = COMMITTED.search(line)
            if m:
                reported = int(m.group(1))
                if reported >= KILL_AFTER:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
            assert time.monotonic() < deadline, "ingest produced no progress in time"
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    assert KILL_AFTER <= reported < ARTICLES

    store = Store(tmp_path / "data" / "newsbot.sqlite3")
    stored = list(store.articles.changes_since(0))
    assert len(stored) >= reported  # everything reported as committed survived
    assert len(stored) % BATCH == 0  # whole batches only
    for article in stored:  # no half article: every stored body is complete
        number = int(article.url.rsplit("-", 1)[1])
        assert article.text == _article(number)["text"]
    store.close()

    # The rerun is about the store: --no-index leaves the index and the sentence store (a minute of CPU
    # for these articles on a loaded 2-core machine) to the next command.
    rerun = _run([str(corpus), "--no-progress", "--no-index", "--batch-size", str(BATCH)], env)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, out + err
    assert f"added {ARTICLES - len(stored)}, updated 0, unchanged {len(stored)}," in out
    store = Store(tmp_path / "data" / "newsbot.sqlite3")
    assert store.articles.count() == ARTICLES
