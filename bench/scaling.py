"""Benchmark: how the store and the index grow from the shared corpus to a corpus N times its size.

    nice -n 10 python bench/scaling.py --articles ../shared/data/news/articles.jsonl.gz \\
        --questions ../shared/data/news/questions-dev.jsonl --factor 10 --work /tmp/newsbot-scaling

In ``--work`` (kept between runs, never in the repository):

- ``x1/``: the corpus ingested by ``bot.ingest`` as an operator would (done once);
- ``x<N>/``: that store plus copies 2 … N of every article (:mod:`tools.corpus_copies`: new ids and URLs,
  dates moved back a day per copy, the same texts), made once and reused.

Each run then measures both scales the same way:

- the index built from the store in a fresh process, as a replica without a saved index does (wall time with the save,
  tokenize time, peak resident memory of the builder and of its tokenizer workers), unless a build of
  that store is already saved there (``--rebuild`` forces one: the 10× build is the slow step);
- bytes on disk of the store (the SQLite file) and of the index (the files its manifest references, by
  kind: postings, per-document columns, document frequencies, vocabulary), per article;
- serving, with ``bench/search.py``'s own code in a fresh process: load time, every dev question through
  the bot's path from its text (parse, analyze, the 200 best articles up to the question's date), p50/p99,
  resident memory afterwards, and how long a newly stored article takes to become searchable;
- rank-bm25 on the same path at 1× (every ``--rank-every``-th question, in a fresh process, with its
  memory); at N× only with ``--rank-bm25-at-factor`` (it keeps every document as a Python dict: see
  docs/scaling.md for why that is not affordable at 10× on a shared machine).

Ends with one line of ``key=value`` figures: each figure at 1× and at N×, and their ratio measured in this
run. Design notes and the figures: ``docs/scaling.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import search as search_bench
from bot.models import Article
from bot.store import Store
from tools.corpus_copies import copies
from tools.sample import read_questions

DB = "newsbot.sqlite3"
INGESTED, GENERATED, BUILT = "ingested.json", "generated.json", "build.json"
log = search_bench.log


# -- the corpora -------------------------------------------------------------------------------------------


def text_bytes(article: Article) -> int:
    """UTF-8 bytes of what an article says (title and text): what the store exists to keep."""
    return len(article.title.encode("utf-8", "surrogatepass")) + len(
        article.text.encode("utf-8", "surrogatepass")
    )


def ensure_x1(articles: Path, work: Path) -> dict:
    """``work/x1``: the corpus through the real ingest (once; an unfinished one is started over)."""
    x1 = work / "x1"
    marker = x1 / INGESTED
    if marker.exists():
        return json.loads(marker.read_text())
    shutil.rmtree(x1, ignore_errors=True)
    x1.mkdir(parents=True)
    store, ingest_s = search_bench.open_store(articles, x1)
    stored = live_text = 0
    for art in store.articles.changes_since(0):
        if not art.deleted:
            stored += 1
            live_text += text_bytes(art)
    store.close()
    facts = {"ingest_s": ingest_s, "stored": stored, "text_bytes": live_text}
    marker.write_text(json.dumps(facts))
    return facts


def ensure_copies(work: Path, factor: int, batch: int = 1000) -> dict:
    """``work/x<factor>``: x1's store plus copies 1 … factor-1 of each article (once)."""
    xn = work / f"x{factor}"
    marker = xn / GENERATED
    if marker.exists():
        return json.loads(marker.read_text())
    shutil.rmtree(xn, ignore_errors=True)
    xn.mkdir(parents=True)
    shutil.copyfile(work / "x1" / DB, xn / DB)  # x1's store is closed: its WAL is folded into the file
    source, store = Store(work / "x1" / DB), Store(xn / DB)
    t0 = time.perf_counter()
    added = text = 0
    pending: list[Article] = []
    originals = [a for a in source.articles.changes_since(0) if not a.deleted]  # ids are read before writes
    source.close()
    for copy in copies(originals, factor):
        pending.append(copy)
        if len(pending) >= batch:
            added += _store_copies(store, pending)
            text += sum(map(text_bytes, pending))
            pending = []
            if added % (20 * batch) == 0:
                log(
                    f"copies: {added:,} of {len(originals) * (factor - 1):,} stored ({time.perf_counter() - t0:.0f} s)"
                )
    if pending:
        added += _store_copies(store, pending)
        text += sum(map(text_bytes, pending))
    stored = store.articles.count(include_flagged=True)
    store.close()
    x1 = json.loads((work / "x1" / INGESTED).read_text())
    facts = {"generate_s": time.perf_counter() - t0, "copies": added, "stored": stored,
             "text_bytes": x1["text_bytes"] + text}  # fmt: skip
    marker.write_text(json.dumps(facts))
    return facts


def _store_copies(store: Store, batch: list[Article]) -> int:
    results = store.articles.upsert_many(batch)
    added = sum(r.outcome.value == "added" for r in results)
    if added != len(batch):  # a copy taken for a duplicate would make the corpus smaller than it says
        raise SystemExit(f"only {added} of {len(batch)} copies were stored as new articles")
    return added


# -- measuring one scale ---------------------------------------------------------------------------------------


def build_here(data_dir: Path) -> dict:
    """In a fresh process: the index built from the store as a replica without a saved index does
    (:meth:`IndexRetriever.rebuild`: streams the store, tokenizes, builds the postings once, saves), with
    its peak memory and that of its tokenizer workers."""
    from bot.search.retriever import IndexRetriever

    store = Store(data_dir / DB)
    index_dir = data_dir / "index"
    shutil.rmtree(index_dir, ignore_errors=True)  # a clean directory: the size on disk is this build's
    retriever = IndexRetriever(store, index_dir)
    cpu0, child0 = time.process_time(), search_bench.children_cpu()
    t0 = time.perf_counter()
    retriever.rebuild()
    index = retriever.articles
    fig = {"build_s": time.perf_counter() - t0, "tokenize_s": retriever.timings.get("tokenize", 0.0),
           "index_s": retriever.timings.get("index", 0.0),
           "build_cpu_s": time.process_time() - cpu0 + search_bench.children_cpu() - child0,
           "articles": index.n_docs, "postings": index.n_postings, "terms": len(index.vocab),
           "build_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
           "build_workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6,
           "build_load_avg_1m": os.getloadavg()[0]}  # fmt: skip
    store.close()
    return fig


def built(data_dir: Path, rebuild: bool) -> dict:
    """The build's figures: measured now in a fresh process, or those of the build saved in ``data_dir``."""
    marker = data_dir / BUILT
    if not rebuild and marker.exists() and (data_dir / "index").exists():
        return json.loads(marker.read_text()) | {"build_cached": 1}
    marker.unlink(missing_ok=True)
    log(f"building the index of {data_dir} in a fresh process ...")
    fig = _run_json("--build", str(data_dir))
    marker.write_text(json.dumps(fig))
    return fig | {"build_cached": 0}


def sizes(data_dir: Path) -> dict[str, float]:
    """Bytes on disk: the store's files, and the index's current files by kind."""
    store = sum(p.stat().st_size for p in data_dir.glob(DB + "*"))  # with -wal/-shm if a process has it open
    kinds: dict[str, int] = defaultdict(int)
    for current in (data_dir / "index").rglob("CURRENT"):
        manifest = json.loads((current.parent / current.read_text().strip()).read_text())
        for name, (size, _) in manifest["files"].items():
            kinds[_kind(name)] += size
    return {"store_bytes": store, "index_bytes": sum(kinds.values())} | {
        f"index_{k}_bytes": v for k, v in kinds.items()
    }


def _kind(name: str) -> str:
    if name.startswith("seg-"):
        return "postings"
    if name.endswith(".vocab.txt"):
        return "vocab"
    return "df" if name.endswith(".df.npy") else "columns"


def versus_rank_bm25_here(data_dir: Path, questions: Path, every: int, ours_ms: Path) -> dict:
    """In a fresh process: rank-bm25 on the bot's path for every ``every``-th question, and its memory.

    Ours is the serving run's time for the same questions (``ours_ms``, a JSON list), as in
    ``bench/search.py``: timed here, a fresh worker's first questions also wait for the store to read the
    hits' titles into its cache (15 ms wall against 1.3 ms once cached, at 1x).
    """
    import psutil

    from bot.search.retriever import IndexRetriever

    store = Store(data_dir / DB)
    retriever = IndexRetriever(store, data_dir / "index")
    retriever.open()
    before = psutil.Process().memory_info().rss / 1e6
    fig = search_bench.versus_rank_bm25(retriever, store, read_questions(questions), every,
                                        json.loads(ours_ms.read_text()))  # fmt: skip
    fig["rank_bm25_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6 - before
    store.close()
    return fig


def _run_json(*args: str) -> dict:
    """This script in a fresh interpreter (load time and memory as a real start-up's); its last line."""
    out = subprocess.run([sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(data_dir: Path, questions: Path, rebuild: bool, rank_every: int, rank_bm25: bool) -> dict:
    """Every figure of one scale."""
    fig = built(data_dir, rebuild)
    log(f"serving {data_dir} in a fresh process ...")
    served = search_bench.serve_in_subprocess(data_dir, questions)
    ours_ms = data_dir / "ours_ms.json"
    ours_ms.write_text(json.dumps(served.pop("lat")))
    fig |= served | sizes(data_dir)
    store = Store(data_dir / DB)
    fig["stored"] = store.articles.count(include_flagged=True)
    store.close()
    fig["index_B_per_article"] = fig["index_bytes"] / fig["articles"]
    fig["store_B_per_article"] = fig["store_bytes"] / fig["stored"]
    if rank_bm25:
        log(f"rank-bm25 on the same path over {data_dir} in a fresh process ...")
        fig |= _run_json("--rank-bm25", str(data_dir), "--questions", str(questions), "--rank-every",
                         str(rank_every), "--ours-ms", str(ours_ms))  # fmt: skip
    return fig


# -- main ------------------------------------------------------------------------------------------------------

#: Figures reported at both scales with their ratio, in this order.
COMPARED = ["articles", "index_B_per_article", "store_B_per_article", "text_B_per_article", "build_s",
            "build_cpu_s", "tokenize_s", "build_peak_rss_mb", "load_s", "p50_ms", "p99_ms", "p50_cpu_ms",
            "p99_cpu_ms", "rss_mb", "add_visible_s"]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, help="the corpus (.jsonl/.jsonl.gz) ingested at 1x")
    parser.add_argument("--questions", type=Path, help="questions-dev.jsonl")
    parser.add_argument("--factor", type=int, default=10, help="the larger corpus, in copies of the first")
    parser.add_argument("--work", type=Path, help="where the stores and indexes are made and kept")
    parser.add_argument("--rebuild", action="store_true", help="measure the builds again (slow at 10x)")
    parser.add_argument("--rank-every", type=int, default=30, help="time rank-bm25 on every n-th question")
    parser.add_argument("--rank-bm25-at-factor", action="store_true", help="rank-bm25 at N x too (memory!)")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rank-bm25", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ours-ms", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        print(json.dumps(build_here(args.build)))
        return 0
    if args.rank_bm25:
        print(
            json.dumps(versus_rank_bm25_here(args.rank_bm25, args.questions, args.rank_every, args.ours_ms))
        )
        return 0
    if args.articles is None or args.questions is None or args.work is None:
        parser.error("give --articles, --questions and --work")
    if args.factor < 2:
        parser.error("--factor is at least 2")
    t0 = time.perf_counter()
    ingested = ensure_x1(args.articles, args.work)
    log(f"1x: {ingested['stored']:,} articles stored; making the {args.factor}x corpus (once) ...")
    generated = ensure_copies(args.work, args.factor)
    scales = {1: (args.work / "x1", ingested), args.factor: (args.work / f"x{args.factor}", generated)}
    figs = {}
    for scale, (data_dir, facts) in scales.items():
        with_rank = scale == 1 or args.rank_bm25_at_factor
        figs[scale] = measure(data_dir, args.questions, args.rebuild, args.rank_every, with_rank)
        figs[scale]["text_B_per_article"] = facts["text_bytes"] / facts["stored"]
    one, big = figs[1], figs[args.factor]
    out: dict[str, object] = {"factor": args.factor}
    for key in COMPARED:
        out[f"{key}_x1"], out[f"{key}_x{args.factor}"] = one[key], big[key]
        out[f"{key}_ratio"] = big[key] / one[key] if one[key] else float("nan")
    # what each article past the first corpus costs: the slopes the capacity figures in docs/scaling.md use
    added = big["stored"] - one["stored"]
    for key, name in (("store_bytes", "store"), ("index_bytes", "index"), ("rss_mb", "rss"),
                      ("build_peak_rss_mb", "build_peak")):  # fmt: skip
        scale = 1e6 if key.endswith("_mb") else 1
        out[f"{name}_B_per_added_article"] = (big[key] - one[key]) * scale / added
    out |= {"rank_bm25_p50_ms_x1": one["rank_bm25_p50_ms"], "speedup_x1": one["speedup"],
            "rank_bm25_peak_rss_mb_x1": one["rank_bm25_peak_rss_mb"],
            "parity_mismatches_x1": one["parity_mismatches"]}  # fmt: skip
    if "rank_bm25_p50_ms" in big:
        out |= {
            f"rank_bm25_p50_ms_x{args.factor}": big["rank_bm25_p50_ms"],
            f"speedup_x{args.factor}": big["speedup"],
        }
    out |= {"build_cached": big["build_cached"], "load_avg_1m": os.getloadavg()[0],
            "wall_s": time.perf_counter() - t0}  # fmt: skip
    for scale, fig in figs.items():  # everything else, for the record
        detail = {k: v for k, v in fig.items() if k not in COMPARED}
        print(
            f"x{scale}: " + " ".join(f"{k}={search_bench._fmt(v)}" for k, v in sorted(detail.items())),
            file=sys.stderr,
        )
    print(" ".join(f"{k}={search_bench._fmt(v)}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
