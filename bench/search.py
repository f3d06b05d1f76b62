"""Benchmark: the bot's search path over the whole shared corpus, and rank-bm25 on the same path.

    python bench/search.py --articles ../shared/data/news/articles.jsonl.gz \\
        --questions ../shared/data/news/questions-dev.jsonl [--data-dir DIR]

The path measured is the one an answer takes (``Answerer.ranked_articles``): from the question's text,
parse it (dates, quoted phrases), analyze the query, and fetch the pool of articles (``RankConfig.pool``,
200) published up to the question's date from the article index, titles included.

In one run: ingest the corpus into a temporary data directory with ``bot.ingest`` (or reuse ``--data-dir``),
build the index (tokenize time and total build time), save it (size on disk), then in a fresh process, as
an answer worker does, load it (load time), run every dev question through the path (p50/p99; on the
stderr line also the CPU time, which other jobs on a shared machine cannot inflate), take its resident
memory, and time how long a newly stored article takes to become searchable. Then rank-bm25's
``BM25Okapi`` over the same article documents (title + body, the same analyzer) on the same path: parse,
analyze, score every article, keep those up to the date, take the best 200; its latency, the top-10 parity
with ours, and the speedup, on the same questions in the same run.

Ends with one line of ``key=value`` figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answer.question import parse_question
from bot.answer.rank import RankConfig
from bot.models import Article
from bot.search.hits import SearchFilters
from bot.search.retriever import IndexRetriever
from bot.store import Store
from tools.sample import read_questions

POOL = RankConfig().pool


def log(msg: str) -> None:
    """Progress on stderr (stdout carries the figures)."""
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    """Percentile in the units given."""
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def index_mb(path: Path) -> float:
    """Size in MB of the files the current manifests of the indexes under ``path`` reference.

    (A save keeps the previous generation's files for readers still holding them; they are not counted.)
    """
    total = 0
    for current in path.rglob("CURRENT"):
        manifest = json.loads((current.parent / current.read_text().strip()).read_text())
        total += sum(size for size, _ in manifest["files"].values())
    return total / 1e6


def children_cpu() -> float:
    """CPU seconds used by finished child processes (the tokenizer workers)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def query_of(question: dict) -> tuple[str, SearchFilters]:
    """The path's first half, as the answer pipeline does it: the query text and the as-of filter."""
    as_of = date.fromisoformat(question["date"])
    parsed = parse_question(question["question"], as_of)
    return " ".join([parsed.text, *parsed.phrases]), SearchFilters(date_to=as_of)


# -- corpus -----------------------------------------------------------------------------------------------


def open_store(articles: Path, data_dir: Path) -> tuple[Store, float]:
    """The store in ``data_dir``, ingesting ``articles`` first when it is empty; returns ingest seconds."""
    store = Store(data_dir / "newsbot.sqlite3")
    if store.articles.count(include_flagged=True) > 0:
        return store, 0.0
    from bot.ingest import ingest

    log(f"ingesting {articles} into {data_dir} ...")
    t0 = time.perf_counter()
    ingest([articles], store, progress=sys.stderr.isatty())
    return store, time.perf_counter() - t0


# -- build ----------------------------------------------------------------------------------------------------


def build(store: Store, index_dir: Path) -> tuple[IndexRetriever, dict[str, float]]:
    """Full build from the store (as a rebuild does), then save."""
    arts = list(store.articles.changes_since(0))
    if index_dir.exists():
        shutil.rmtree(index_dir)  # a clean directory: the size on disk is this build's
    retriever = IndexRetriever(store, index_dir)
    cpu0, child0 = time.process_time(), children_cpu()
    t0 = time.perf_counter()
    retriever.apply(arts, bulk=True)
    build_s = time.perf_counter() - t0
    figures = {
        "build_s": build_s,
        "tokenize_s": retriever.timings.get("tokenize", 0.0),
        "index_s": retriever.timings.get("index", 0.0),
        "build_cpu_s": time.process_time() - cpu0 + children_cpu() - child0,
    }
    t0 = time.perf_counter()
    retriever.save()
    figures["save_s"] = time.perf_counter() - t0
    figures["disk_mb"] = index_mb(index_dir)
    return retriever, figures


# -- serving (in a fresh process) -----------------------------------------------------------------------------


def serve(data_dir: Path, questions: Path) -> dict[str, float]:
    """Load as a worker does, run every question through the path, measure memory and add-to-visible time."""
    import psutil

    store = Store(data_dir / "newsbot.sqlite3")
    t0 = time.perf_counter()
    retriever = IndexRetriever(store, data_dir / "index")
    retriever.open()
    load_s = time.perf_counter() - t0
    qs = read_questions(questions)
    # the first question after start-up also waits for the compiled kernels to finish loading
    t = time.perf_counter()
    query, filters = query_of(qs[0])
    retriever.search_articles(query, POOL, filters)
    first_query_s = time.perf_counter() - t
    lat, cpu = [], []
    for q in qs:
        t, c = time.perf_counter(), time.thread_time()
        query, filters = query_of(q)
        retriever.search_articles(query, POOL, filters)
        cpu.append((time.thread_time() - c) * 1000)  # CPU of this thread: what other jobs cannot inflate
        lat.append((time.perf_counter() - t) * 1000)
    rss_mb = psutil.Process().memory_info().rss / 1e6
    # a new article: stored, then searchable after the next refresh
    word = f"zqxbench{os.getpid()}"
    new = Article(url=f"https://bench.example/{word}", title=f"Bench {word}", published=date.today(),
                  text=f"The {word} happened today in the benchmark town. " * 8, source="bench.example")  # fmt: skip
    aid = store.articles.upsert(new).article_id
    t = time.perf_counter()
    retriever.refresh(save=False)
    found = [h.article_id for h in retriever.search_articles(word, 1)]
    add_visible_s = time.perf_counter() - t
    assert found == [aid], "the new article is not searchable"
    store.articles.delete(aid)
    retriever.refresh(save=True)
    return {"load_s": load_s, "first_query_s": first_query_s, "rss_mb": rss_mb, "p50_ms": pct(lat, 50),
            "p99_ms": pct(lat, 99), "p50_cpu_ms": pct(cpu, 50), "p99_cpu_ms": pct(cpu, 99), "lat": lat,
            "add_visible_s": add_visible_s, "questions": len(qs)}  # fmt: skip


def serve_in_subprocess(data_dir: Path, questions: Path) -> dict:
    """Run :func:`serve` in a fresh interpreter so load time and memory are a real start-up's."""
    out = subprocess.run(
        [sys.executable, __file__, "--serve", str(data_dir), "--questions", str(questions)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- rank-bm25 on the same path -------------------------------------------------------------------------------


def versus_rank_bm25(retriever: IndexRetriever, store: Store, questions: list[dict], every: int,
                     ours_ms: list[float]) -> dict[str, float]:  # fmt: skip
    """rank-bm25 over the same article documents, timed on every ``every``-th question from its text."""
    from rank_bm25 import BM25Okapi

    vocab, analyze = retriever.articles.vocab, retriever.analyzer.analyze
    arts = [a for a in store.articles.changes_since(0) if a.id is not None and not a.deleted and not a.flagged]
    arts.sort(key=lambda a: int(a.id or 0))
    # documents as the index holds them (encoding against the built vocabulary adds no term)
    terms = vocab.terms
    docs = [[terms[i] for i in vocab.encode(a.title)] + [terms[i] for i in vocab.encode(a.text)] for a in arts]
    days = np.array([a.published.toordinal() for a in arts])
    t0 = time.perf_counter()
    ref = BM25Okapi(docs)
    ref_build = time.perf_counter() - t0
    del docs
    timed = list(range(0, len(questions), every))
    ref_ms, mismatches = [], 0
    for n in timed:
        t = time.perf_counter()
        query, filters = query_of(questions[n])
        scores = np.asarray(ref.get_scores(analyze(query)), dtype=np.float64)
        scores[days > filters.date_to.toordinal()] = -np.inf  # type: ignore[union-attr]
        top = np.argpartition(-scores, min(POOL, len(scores) - 1))[:POOL]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        ref_ms.append((time.perf_counter() - t) * 1000)
        got = [h.score for h in retriever.search_articles(query, 10, filters)]
        want = scores[top[:10]].tolist()[: len(got)]
        if len(got) != len(want) or not np.allclose(got, want, rtol=1e-5):
            mismatches += 1
    ours_same = [ours_ms[n] for n in timed]
    return {"rank_bm25_build_s": ref_build, "rank_bm25_p50_ms": pct(ref_ms, 50), "rank_bm25_questions": len(timed),
            "ours_p50_ms_same_questions": pct(ours_same, 50), "parity_mismatches": mismatches,
            "speedup": pct(ref_ms, 50) / pct(ours_same, 50)}  # fmt: skip


# -- main ------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, help="corpus (.jsonl/.jsonl.gz) to ingest")
    parser.add_argument("--questions", type=Path, required=True, help="questions-dev.jsonl")
    parser.add_argument("--data-dir", type=Path, help="reuse or keep this data directory (default: temporary)")
    parser.add_argument("--rank-every", type=int, default=10, help="time rank-bm25 on every n-th question")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        print(json.dumps(serve(args.serve, args.questions)))
        return 0
    if args.articles is None and args.data_dir is None:
        parser.error("give --articles (and/or --data-dir with an ingested store)")
    with tempfile.TemporaryDirectory(prefix="newsbot-search-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        store, ingest_s = open_store(args.articles, data_dir)
        log("building the index ...")
        retriever, fig = build(store, data_dir / "index")
        fig["ingest_s"] = ingest_s
        fig["articles"] = retriever.articles.n_docs
        log(f"built: {fig['articles']} articles in {fig['build_s']:.1f} s; serving in a fresh process ...")
        fig |= serve_in_subprocess(data_dir, args.questions)
        ours_ms = fig.pop("lat")
        log("rank-bm25 on the same path ...")
        fig |= versus_rank_bm25(retriever, store, read_questions(args.questions), args.rank_every, ours_ms)
        fig["load_avg_1m"] = os.getloadavg()[0]
        store.close()
        keys = ["articles", "tokenize_s", "build_s", "load_s", "disk_mb", "rss_mb", "p50_ms", "p99_ms",
                "rank_bm25_p50_ms", "speedup", "add_visible_s"]  # fmt: skip
        extra = sorted(set(fig) - set(keys))
        print(" ".join(f"{k}={_fmt(fig[k])}" for k in extra), file=sys.stderr)
        print(" ".join(f"{k}={_fmt(fig[k])}" for k in keys))
    return 0


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
