"""Benchmark: an answer's CPU against its search's, on the full shared corpus, in one run (#18).

    python bench/answer.py ../shared/data/news [--data-dir DIR] [--questions 500] [--live]

The argument is the shared news folder (``articles.jsonl.gz`` and ``questions-dev.jsonl``). The corpus is
ingested into ``--data-dir`` (or a temporary directory) unless that already holds it; the search index and
the sentence store are brought up to date there as ``python -m bot ingest`` does. Then, in a fresh process
opened the way an answer worker opens (:func:`bot.chat.workers._open_worker`: the bot's services read
only: its own store connection, the saved index and sentence store), the same evenly spread dev questions go through two paths,
from the question's text each time, one after the other per question so both see the same machine:

- search only: the bot's own retrieval call: parse the question, analyse it, and fetch the pool of
  articles (``RankConfig.pool``) up to the question's date, with the terms the answer path gives it;
- the whole answer path: ``Answerer.answer`` (parse, search, rerank, read the articles, quote, page).

CPU is the calling thread's (``time.thread_time``), which other jobs on a shared machine cannot inflate
the way they inflate wall time. ``--live`` answers without the sentence store (every article analysed per
question, the way before #18) for a before/after in the same setting.

Ends with one line: search_cpu_ms_p50, answer_cpu_ms_p50, answer_cpu_ms_p99, ratio_p50 (answer over
search, medians), answer_wall_ms_p50, worker_rss_mb (the worker process after every question),
extra_disk_mb (the sentence store on disk) and index_mb (the search index, for scale).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def log(msg: str) -> None:
    """Progress on stderr (stdout carries the figures)."""
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6 if path.exists() else 0.0


def rss_mb() -> float:
    """Resident memory of this process now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(news: Path, data_dir: Path) -> None:
    """Ingest the corpus unless the data directory holds it; index and sentence store up to date."""
    from bot.config import load_settings
    from bot.ingest import ingest
    from bot.services import open_services
    from bot.store import Store

    os.environ["NEWSBOT_DATA_DIR"] = str(data_dir)
    store = Store(data_dir / "newsbot.sqlite3")
    try:
        if store.articles.count() == 0:
            log(f"ingesting {news / 'articles.jsonl.gz'} into {data_dir} (a few minutes)")
            ingest([news / "articles.jsonl.gz"], store, progress=True)
    finally:
        store.close()
    open_services(load_settings(), ingest_bundled=False, report=log).close()


def measure(data_dir: str, questions: list[dict], live: bool) -> dict:
    """In a fresh process, as a worker: both paths for every question; CPU and wall times, RSS."""
    from bot.answer.question import parse_question
    from bot.chat import workers
    from bot.config import load_settings
    from bot.search.hits import SearchFilters

    os.environ["NEWSBOT_DATA_DIR"] = data_dir
    settings = load_settings()
    workers._open_worker(settings, None)  # opened as a worker opens
    assert workers._services is not None
    answerer = workers._services.answerer
    if live:
        answerer.sentences = None
    retriever, analyzer, pool = answerer.retriever, answerer.analyzer, answerer.config.pool
    answerer.answer("news", limit=1)  # kernels loaded, caches primed as a worker's warm-up does

    def search(question: str, as_of: date) -> int:
        parsed = parse_question(question, as_of)
        terms = analyzer.analyze(parsed.text)
        search_terms = (*terms, *(t for phrase in parsed.phrases for t in analyzer.analyze(phrase)))
        query = " ".join([parsed.text, *parsed.phrases])
        return len(retriever.search_articles(query, k=pool, filters=SearchFilters(date_to=as_of),
                                             terms=search_terms or None))  # fmt: skip

    search_cpu, answer_cpu, answer_wall = [], [], []
    for q in questions:
        day = date.fromisoformat(q["date"])
        t0 = time.thread_time()
        search(q["question"], day)
        search_cpu.append((time.thread_time() - t0) * 1000)
        w0, t0 = time.perf_counter(), time.thread_time()
        answerer.answer(q["question"], as_of=day)
        answer_cpu.append((time.thread_time() - t0) * 1000)
        answer_wall.append((time.perf_counter() - w0) * 1000)
    stored = len(getattr(answerer, "sentences", None) or ())  # (none before #18)
    return {"search_cpu": search_cpu, "answer_cpu": answer_cpu, "answer_wall": answer_wall, "rss": rss_mb(),
            "stored": stored}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("news", type=Path, help="the shared news folder (articles.jsonl.gz, questions-dev.jsonl)")
    parser.add_argument("--data-dir", type=Path, help="reuse or keep this data directory (default: temporary)")
    parser.add_argument("--questions", type=int, default=500, help="dev questions, evenly spread (500)")
    parser.add_argument("--live", action="store_true", help="answer without the sentence store (before #18)")
    args = parser.parse_args(argv)
    dev = args.news / "questions-dev.jsonl"
    if not (args.news / "articles.jsonl.gz").exists() or not dev.exists():
        log(f"error: {args.news} holds no articles.jsonl.gz and questions-dev.jsonl")
        return 2
    rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = len(rows) / args.questions
    questions = [rows[int(i * step)] for i in range(min(args.questions, len(rows)))]
    with tempfile.TemporaryDirectory(prefix="newsbot-answer-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        prepare(args.news, data_dir)
        log(f"answering {len(questions)} dev questions both ways in a fresh worker process")
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(1) as pool:
            found = pool.apply(measure, (str(data_dir), questions, args.live))
        extra = dir_mb(data_dir / "index" / "sentences")
        index = dir_mb(data_dir / "index" / "articles")
    s50, a50 = pct(found["search_cpu"], 50), pct(found["answer_cpu"], 50)
    log(f"search cpu p50/p99 {s50:.2f}/{pct(found['search_cpu'], 99):.2f} ms; answer cpu p50/p99 "
        f"{a50:.2f}/{pct(found['answer_cpu'], 99):.2f} ms; wall p50 {pct(found['answer_wall'], 50):.2f} ms; "
        f"articles in the sentence store {found['stored']:,}{' (not used: --live)' if args.live else ''}")  # fmt: skip
    print(
        f"questions={len(questions)} store={'off' if args.live else 'on'} search_cpu_ms_p50={s50:.2f} "
        f"answer_cpu_ms_p50={a50:.2f} answer_cpu_ms_p99={pct(found['answer_cpu'], 99):.2f} "
        f"ratio_p50={a50 / s50 if s50 else float('nan'):.1f} answer_wall_ms_p50={pct(found['answer_wall'], 50):.2f} "
        f"worker_rss_mb={found['rss']:.0f} extra_disk_mb={extra:.1f} index_mb={index:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
