"""Benchmark: the passage index over the whole shared corpus, and rank-bm25 at equal size.

    python bench/search.py --articles ../shared/data/news/articles.jsonl.gz \\
        --questions ../shared/data/news/questions-dev.jsonl [--recall]

In one run: ingest the corpus into a temporary data directory with ``bot.ingest`` (or reuse ``--data-dir``),
build the passage and article indexes (tokenize time and total build time), save them (size on disk), then
in a fresh process load them (load time), answer every dev question with the date filter on (top-10 latency
p50/p99, and on the stderr line also its CPU time, which other jobs on a shared machine cannot inflate; and
resident memory) and time how long a newly stored article takes to become searchable. Then
rank-bm25 and our index over the same 100k-passage subsample: latency and top-10 parity, and the speedup.
``--recall`` adds passage answer recall@1/5/10 (data README definition) for the title variants.

Ends with one line of ``key=value`` figures. Targets (issue 3): p50 <= 1 ms, p99 <= 3 ms at full size;
>= 1000x rank-bm25 at 100k; full build (tokenize + index) <= 15 s; <= 500 MB resident; a new article
searchable <= 1 s after ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

from bot.models import Article
from bot.search.analyzer import default_analyzer
from bot.search.hits import SearchFilters
from bot.search.index import BM25Index
from bot.search.retriever import IndexRetriever
from bot.search.sample import normalize_answer, normalize_answer_text, read_questions
from bot.store import Store


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


def build(store: Store, index_dir: Path, title_mode: str = "prefix") -> tuple[IndexRetriever, dict[str, float]]:
    """Full build from the store (as a rebuild does), then save."""
    arts = list(store.articles.changes_since(0))
    if index_dir.exists():
        shutil.rmtree(index_dir)  # a clean directory: the size on disk is this build's
    retriever = IndexRetriever(store, index_dir, title_mode=title_mode)
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
    """Load, answer every question with the date filter, measure memory and add-to-visible time."""
    import psutil

    store = Store(data_dir / "newsbot.sqlite3")
    t0 = time.perf_counter()
    retriever = IndexRetriever(store, data_dir / "index")
    retriever.open()
    load_s = time.perf_counter() - t0
    analyzer = retriever.analyzer
    qs = read_questions(questions)
    # the first question after start-up also waits for the compiled kernels to finish loading
    t = time.perf_counter()
    first = SearchFilters(date_to=date.fromisoformat(qs[0]["date"]))
    retriever.passages.search(analyzer.analyze(qs[0]["question"]), 10, first)
    first_query_s = time.perf_counter() - t
    lat, cpu, full = [], [], []
    for q in qs:
        f = SearchFilters(date_to=date.fromisoformat(q["date"]))
        t, c = time.perf_counter(), time.thread_time()
        retriever.passages.search(analyzer.analyze(q["question"]), 10, f)
        cpu.append((time.thread_time() - c) * 1000)  # CPU of this thread: what other jobs cannot inflate
        lat.append((time.perf_counter() - t) * 1000)
    for q in qs[::10]:
        f = SearchFilters(date_to=date.fromisoformat(q["date"]))
        t = time.perf_counter()
        retriever.search(q["question"], 10, f)
        full.append((time.perf_counter() - t) * 1000)
    rss_mb = psutil.Process().memory_info().rss / 1e6
    # a new article: stored, then searchable after the next refresh
    word = f"zqxbench{os.getpid()}"
    new = Article(url=f"https://bench.example/{word}", title=f"Bench {word}", published=date.today(),
                  text=f"The {word} happened today in the benchmark town. " * 8, source="bench.example")  # fmt: skip
    aid = store.articles.upsert(new).article_id
    t = time.perf_counter()
    retriever.refresh(save=False)
    found = [h.article_id for h in retriever.search(word, 1)]
    add_visible_s = time.perf_counter() - t
    assert found == [aid], "the new article is not searchable"
    store.articles.delete(aid)
    retriever.refresh(save=True)
    return {"load_s": load_s, "first_query_s": first_query_s, "rss_mb": rss_mb, "p50_ms": pct(lat, 50),
            "p99_ms": pct(lat, 99), "p50_cpu_ms": pct(cpu, 50), "p99_cpu_ms": pct(cpu, 99),
            "p50_with_text_ms": pct(full, 50), "add_visible_s": add_visible_s, "questions": len(qs)}  # fmt: skip


def serve_in_subprocess(data_dir: Path, questions: Path) -> dict[str, float]:
    """Run :func:`serve` in a fresh interpreter so load time and memory are a real start-up's."""
    out = subprocess.run(
        [sys.executable, __file__, "--serve", str(data_dir), "--questions", str(questions)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- rank-bm25 at equal size --------------------------------------------------------------------------------


def passage_tokens(retriever: IndexRetriever, texts: dict[int, Article], n: int, seed: int = 7) -> list[list[str]]:
    """Tokens (title prefix + passage, as indexed) of ``n`` random live passages."""
    cols = retriever.passages._cols
    live = np.flatnonzero(cols["alive"].view)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(live, size=min(n, live.shape[0]), replace=False))
    an = default_analyzer()
    docs = []
    for slot in chosen.tolist():
        a = texts[int(cols["key"].view[slot])]
        s, e = int(cols["start"].view[slot]), int(cols["end"].view[slot])
        docs.append(an.analyze(a.title) + an.analyze(a.text[s:e]))
    return docs


def versus_rank_bm25(docs: list[list[str]], questions: list[dict], n_rank: int) -> dict[str, float]:
    """Latency of rank-bm25 and of our index over the same passages; top-10 parity on the timed questions."""
    from rank_bm25 import BM25Okapi

    an = default_analyzer()
    queries = [an.analyze(q["question"]) for q in questions]
    t0 = time.perf_counter()
    ref = BM25Okapi(docs)
    ref_build = time.perf_counter() - t0
    ours = BM25Index()
    with ours.bulk():
        ours.add_batch(_batch_of(ours, docs))
    ours_lat = []
    for q in queries:
        t = time.perf_counter()
        ours.search(q, 10)
        ours_lat.append((time.perf_counter() - t) * 1000)
    ref_lat, mismatches = [], 0
    for q in queries[:: max(1, len(queries) // n_rank)][:n_rank]:
        t = time.perf_counter()
        scores = ref.get_scores(q)
        top = np.argsort(scores)[::-1][:10]
        ref_lat.append((time.perf_counter() - t) * 1000)
        got = ours.search(q, 10)
        want = [float(scores[i]) for i in top if scores[i] > 0][: len(got)]
        if not np.allclose([h.score for h in got], want, rtol=1e-5):
            mismatches += 1
    return {"rank_bm25_build_s_100k": ref_build, "rank_bm25_p50_ms_100k": pct(ref_lat, 50),
            "ours_p50_ms_100k": pct(ours_lat, 50), "parity_mismatches_100k": mismatches,
            "speedup_100k": pct(ref_lat, 50) / pct(ours_lat, 50)}  # fmt: skip


def _batch_of(index: BM25Index, docs: list[list[str]]):
    from bot.search.columns import DocBatch

    ids = [index.vocab.encode_terms(d) for d in docs]
    n = len(docs)
    z = np.zeros(n, dtype=np.int32)
    return DocBatch(keys=np.arange(1, n + 1, dtype=np.int64), pos=z, days=z, sources=[""] * n, starts=z, ends=z,
                    ids=np.concatenate(ids), lengths=np.fromiter(map(len, ids), dtype=np.int64, count=n))  # fmt: skip


# -- answer recall of title variants -----------------------------------------------------------------------


def recall(retriever: IndexRetriever, store: Store, texts: dict[int, Article], questions: list[dict]) -> dict:
    """Passage recall@1/5/10 (answer text contained, date filter on) for each title variant."""
    body = IndexRetriever(store, None, title_mode="none")
    body.apply(list(texts.values()), bulk=True)
    titles = BM25Index(default_analyzer(), name="titles")
    from bot.search.columns import DocInput

    titles.add([DocInput(a.id, 0, a.published, a.source, text=a.title) for a in texts.values() if a.id])
    an = default_analyzer()
    norm_cache: dict[tuple[int, int, int], str] = {}

    def has(aid: int, s: int, e: int, answer: str) -> bool:
        key = (aid, s, e)
        if key not in norm_cache:
            norm_cache[key] = normalize_answer_text(texts[aid].text[s:e])
        return answer in norm_cache[key]

    variants = {
        "prefix": lambda q, f: [(h.key, h.start, h.end) for h in retriever.passages.search(q, 10, f)],
        "none": lambda q, f: [(h.key, h.start, h.end) for h in body.passages.search(q, 10, f)],
        "article_first": lambda q, f: _article_first(retriever, body, q, f),
    }
    for w in (0.5, 1.0, 2.0):
        variants[f"field_w{w}"] = lambda q, f, w=w: _title_field(body, titles, q, f, w)
    hits = {name: np.zeros(3) for name in variants}
    n = 0
    for q in questions:
        if not q.get("answer_in_corpus"):
            continue
        n += 1
        answer = normalize_answer(q["answer"])
        terms = an.analyze(q["question"])
        f = SearchFilters(date_to=date.fromisoformat(q["date"]))
        for name, fn in variants.items():
            found = [has(a, s, e, answer) for a, s, e in fn(terms, f)]
            for i, k in enumerate((1, 5, 10)):
                hits[name][i] += any(found[:k])
    return {name: [round(float(x) / n, 4) for x in h] for name, h in hits.items()} | {"questions": n}


def _article_first(arts: IndexRetriever, body: IndexRetriever, q: list[str], f: SearchFilters) -> list[tuple]:
    """Top articles (title + body), each quoted by its best body passage."""
    top = arts.articles.search(q, 10, f)
    out = []
    for h in top:
        scored = body.passages.score_keys(q, [h.key])
        if scored:
            best = max(scored, key=lambda p: p.score)
            out.append((best.key, best.start, best.end))
    return out


def _title_field(body: IndexRetriever, titles: BM25Index, q: list[str], f: SearchFilters, w: float) -> list[tuple]:
    """Body BM25 + w × title BM25 of the passage's article, over body top-200 ∪ passages of title top-30."""
    cands = {(h.key, h.pos): h for h in body.passages.search(q, 200, f)}
    tscore = {h.key: h.score for h in titles.search(q, 30, f)}
    for h in body.passages.score_keys(q, list(tscore)):
        cands.setdefault((h.key, h.pos), h)
    extra = {h.key: h.score for h in titles.score_keys(q, list({k for k, _ in cands} - set(tscore)))}
    tscore.update(extra)
    ranked = sorted(cands.values(), key=lambda h: -(h.score + w * tscore.get(h.key, 0.0)))[:10]
    return [(h.key, h.start, h.end) for h in ranked]


# -- main ------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, help="corpus (.jsonl/.jsonl.gz) to ingest")
    parser.add_argument("--questions", type=Path, required=True, help="questions-dev.jsonl")
    parser.add_argument("--data-dir", type=Path, help="reuse or keep this data directory (default: temporary)")
    parser.add_argument("--sample", type=int, default=100_000, help="passages for the rank-bm25 comparison")
    parser.add_argument("--rank-questions", type=int, default=20, help="questions timed on rank-bm25")
    parser.add_argument("--recall", action="store_true", help="also measure answer recall of title variants")
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
        index_dir = data_dir / "index"
        log("building the index ...")
        retriever, fig = build(store, index_dir)
        fig["ingest_s"] = ingest_s
        fig["passages"] = retriever.passages.n_docs
        fig["articles"] = retriever.articles.n_docs
        log(f"built: {fig['passages']} passages in {fig['build_s']:.1f} s; serving in a fresh process ...")
        fig |= serve_in_subprocess(data_dir, args.questions)
        questions = read_questions(args.questions)
        texts = {int(a.id or 0): a for a in store.articles.changes_since(0) if not a.deleted and not a.flagged}
        log(f"rank-bm25 vs ours on {args.sample} passages ...")
        docs = passage_tokens(retriever, texts, args.sample)
        fig |= versus_rank_bm25(docs, questions, args.rank_questions)
        if args.recall:
            log("recall of title variants ...")
            rec = recall(retriever, store, texts, questions)
            print("recall@1/5/10 (answer_in_corpus questions, date filter on):")
            for name, values in rec.items():
                print(f"  {name}: {values}")
        fig["load_avg_1m"] = os.getloadavg()[0]
        store.close()
        keys = ["passages", "tokenize_s", "build_s", "load_s", "disk_mb", "rss_mb", "p50_ms", "p99_ms",
                "rank_bm25_p50_ms_100k", "speedup_100k", "add_visible_s"]  # fmt: skip
        extra = sorted(set(fig) - set(keys))
        print(" ".join(f"{k}={_fmt(fig[k])}" for k in extra), file=sys.stderr)
        print(" ".join(f"{k}={_fmt(fig[k])}" for k in keys))
    return 0


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


if __name__ == "__main__":
    random.seed(0)
    sys.exit(main())
