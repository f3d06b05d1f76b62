"""Benchmark: the answer path's store reads on SQLite and on PostgreSQL, measured in the same run.

    python bench/store_reads.py [--articles ../shared/data/news/articles.jsonl.gz] [--limit 5000]
        [--questions ../shared/data/news/questions-dev.jsonl] [--database-url postgresql://postgres@127.0.0.1:5432/test]

An answer reads about 12 articles from the store (``Answerer.ranked_articles``: the best articles after the
rerank, with spares, in one ``get_many``). Here the same articles are stored in an SQLite file and in a
fresh PostgreSQL schema (same ids), one search index is built, and for each dev question:

* ``answer``: the whole path from the question's text (``Answerer.answer``: parse, search, rerank, read
  the articles, quote), once per store: what a person waits for, and the reference the reads are put
  against;
* ``get_many``: the ids that answer read, fetched again alone from each store.

Without the shared corpus it stores a generated one. The PostgreSQL schema is dropped at the end.
Ends with one line of ``key=value`` figures (µs; ratios PostgreSQL/SQLite measured in this run).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answer.pipeline import Answerer
from bot.models import Article
from bot.search.retriever import IndexRetriever
from bot.store import Store
from tools.sample import SHARED_ARTICLES, SHARED_QUESTIONS, read_articles, read_questions


def log(msg: str) -> None:
    """Progress on stderr (stdout carries the figures)."""
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def generated(n: int) -> list[Article]:
    """A stand-in corpus when the shared one is absent: n articles of a few paragraphs each."""
    words = ["minister", "summit", "grain", "deal", "election", "storm", "court", "vote", "ceasefire", "inflation", "talks", "market"]
    out = []
    for i in range(n):
        w = [words[(i * k) % len(words)] for k in range(1, 40)]
        text = "\n\n".join(" ".join(w[j : j + 12]).capitalize() + "." for j in range(0, 36, 12))
        out.append(Article(url=f"https://bench.example/{i}", title=" ".join(w[:6]).title(), text=text,
                           published=date(2024, 1, 1) + timedelta(days=i % 700), source="bench.example"))  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=Path, default=SHARED_ARTICLES)
    ap.add_argument("--questions", type=Path, default=SHARED_QUESTIONS)
    ap.add_argument("--limit", type=int, default=5000, help="articles stored (default %(default)s)")
    ap.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the questions (default %(default)s)")
    args = ap.parse_args()

    import psycopg

    from tests.postgres_support import with_schema

    if args.articles.exists():
        log(f"reading {args.limit} articles of {args.articles}")
        articles = list(read_articles(args.articles, limit=args.limit))
    else:
        log(f"{args.articles} not found: a generated corpus of {args.limit} articles")
        articles = generated(args.limit)
    for a in articles:
        a.id = None
    questions = [q["question"] for q in read_questions(args.questions)][:200] if args.questions.exists() else [
        "minister summit grain deal", "election court vote", "storm market inflation"] * 20  # fmt: skip

    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    work = Path(tempfile.mkdtemp(prefix="store-reads-"))
    stores: dict[str, Store] = {}
    try:
        stores["sqlite"] = Store(work / "newsbot.sqlite3")
        stores["postgresql"] = Store(with_schema(args.database_url, schema))
        for name, store in stores.items():
            t0 = time.perf_counter()
            for start in range(0, len(articles), 500):
                store.articles.upsert_many(articles[start : start + 500])
            log(f"{name}: stored {store.articles.count(include_flagged=True)} articles in "
                f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        index_dir = work / "index"
        builder = IndexRetriever(stores["sqlite"], index_dir)
        builder.open()  # built from SQLite and saved; the PostgreSQL answerer loads the same files
        answerers = {}
        for name, store in stores.items():
            retriever = IndexRetriever(store, index_dir)
            retriever.open()
            answerers[name] = Answerer(store, retriever)
        read_ids: list[list[int]] = []
        spy = stores["sqlite"].articles
        real = spy.get_many

        def recording(ids: object) -> object:
            wanted = list(ids)  # type: ignore[call-overload]
            read_ids.append(wanted)
            return real(wanted)

        spy.get_many = recording  # type: ignore[method-assign]
        for q in questions:  # warm both (page cache, prepared statements, sentence caches) and record ids
            answerers["sqlite"].answer(q)
        spy.get_many = real  # type: ignore[method-assign]
        for q in questions:
            answerers["postgresql"].answer(q)

        answer_us: dict[str, list[float]] = {n: [] for n in stores}
        read_us: dict[str, list[float]] = {n: [] for n in stores}
        for _ in range(args.rounds):
            for name, store in stores.items():  # alternate, so a load spike on the machine hits both alike
                for q in questions:
                    t0 = time.perf_counter()
                    answerers[name].answer(q)
                    answer_us[name].append((time.perf_counter() - t0) * 1e6)
                for ids in read_ids:
                    t0 = time.perf_counter()
                    store.articles.get_many(ids)
                    read_us[name].append((time.perf_counter() - t0) * 1e6)
        sizes = [len(ids) for ids in read_ids]
        figures = {
            "articles": len(articles), "questions": len(questions), "reads_per_answer": len(read_ids) / len(questions),
            "ids_per_read_p50": pct(sizes, 50),
            "get_many_sqlite_p50_us": pct(read_us["sqlite"], 50), "get_many_sqlite_p99_us": pct(read_us["sqlite"], 99),
            "get_many_pg_p50_us": pct(read_us["postgresql"], 50), "get_many_pg_p99_us": pct(read_us["postgresql"], 99),
            "answer_sqlite_p50_us": pct(answer_us["sqlite"], 50), "answer_pg_p50_us": pct(answer_us["postgresql"], 50),
            "answer_sqlite_p99_us": pct(answer_us["sqlite"], 99), "answer_pg_p99_us": pct(answer_us["postgresql"], 99),
        }  # fmt: skip
        figures["get_many_ratio_pg_sqlite"] = figures["get_many_pg_p50_us"] / figures["get_many_sqlite_p50_us"]
        figures["answer_ratio_pg_sqlite"] = figures["answer_pg_p50_us"] / figures["answer_sqlite_p50_us"]
        figures["pg_read_share_of_answer"] = figures["get_many_pg_p50_us"] / figures["answer_pg_p50_us"]
        print(" ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))
        return 0
    finally:
        for store in stores.values():
            store.close()
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
