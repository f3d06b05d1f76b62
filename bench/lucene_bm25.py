"""How far Lucene's BM25 (OpenSearch's and Elasticsearch's default similarity) would move our results.

    nice -n 10 python bench/lucene_bm25.py --data-dir DIR --questions ../shared/data/news/questions-dev.jsonl

``DIR`` is a data directory with a store and a built index (``bench/scaling.py --work W`` leaves one in
``W/x1``). Our scoring is rank-bm25's BM25Okapi (:mod:`bot.search.bm25`). Lucene's ``BM25Similarity``
differs in three ways, simulated here on our own index and query kernel, one at a time and together:

- ``idf``: ``log(1 + (N - n + 0.5) / (n + 0.5))``, never negative, so no floor; ours is
  ``log((N - n + 0.5) / (n + 0.5))`` with rank-bm25's floor (``0.25 ×`` the mean idf) for terms in more
  than half the documents;
- ``k1``: 1.2 (ours 1.5); ``b`` is 0.75 in both. (Lucene also drops the constant ``k1 + 1`` from the
  numerator, which scales every score alike and changes no ranking, so it is left in.)
- ``norms``: a document's length is stored in one byte (``SmallFloat.intToByte4``): exact below 24
  tokens, above that rounded down to 4 significant bits of ``length - 24`` (up to 12.5 % shorter);
  ``avgdl`` stays exact (``sumTotalTermFreq / docCount``).

Not simulated: deleted documents that still count in Lucene's statistics until their segment is merged
(our index has none here), per-shard statistics (one shard here: see docs/scaling.md), float32 arithmetic.

For every dev question, on the bot's path (its text parsed and analysed, the articles up to its date):
the overlap of each variant's top 10 and top 200 (the pool the answer layer reranks) with ours, and the
share of questions (``answer_in_corpus``) whose answer occurs in the title or text of one of the top
1/5/10 articles. Ends with one ``key=value`` line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import POOL, log, query_of
from bot.answer.evaluate import normalize, normalize_answer
from bot.search.bm25 import Params
from bot.search.index import BM25Index
from bot.search.retriever import ARTICLES_DIR
from bot.store import Store
from tools.sample import read_questions

NUM_FREE_VALUES = 24  # Lucene SmallFloat: byte values below this are lengths stored exactly
KS = (1, 5, 10)


def int4_round_trip(values: np.ndarray) -> np.ndarray:
    """``int4ToLong(longToInt4(v))``: keep the 4 most significant bits (floor)."""
    v = np.asarray(values, dtype=np.int64)
    bits = np.zeros(v.shape, dtype=np.int64)
    nz = v > 0
    bits[nz] = np.floor(np.log2(v[nz])).astype(np.int64) + 1
    shift = np.maximum(bits - 4, 0)
    return (v >> shift) << shift


def lucene_length(length: np.ndarray) -> np.ndarray:
    """The document length Lucene's BM25 scores with: ``byte4ToInt(intToByte4(length))``."""
    length = np.asarray(length, dtype=np.int64)
    return np.where(
        length < NUM_FREE_VALUES, length, NUM_FREE_VALUES + int4_round_trip(length - NUM_FREE_VALUES)
    )


def lucene_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """``log(1 + (N - n + 0.5) / (n + 0.5))``; 0 for terms in no live document (as ours)."""
    df = np.asarray(df, dtype=np.float64)
    return np.where(df > 0, np.log1p((n_docs - df + 0.5) / (df + 0.5)), 0.0)


VARIANTS = {  # name: (Lucene's idf, Lucene's k1, Lucene's one-byte lengths)
    "ours": (False, False, False),
    "idf": (True, False, False),
    "k1": (False, True, False),
    "norms": (False, False, True),
    "lucene": (True, True, True),
}


def variant_index(path: Path, idf: bool, k1: bool, norms: bool) -> BM25Index:
    """Our saved index, its collection statistics replaced by Lucene's where asked.

    Reaches into the index's cached statistics (``_get_stats``), which hold exactly the three parts that
    differ: the idf per term, and the length part of the denominator as a table by length.
    """
    index = BM25Index.load(path, params=Params(k1=1.2) if k1 else Params())
    stats = index._get_stats()
    if idf:
        stats.idf = lucene_idf(index._df, index.n_docs)
    if norms:
        lengths = lucene_length(np.arange(stats.norm.shape[0]))
        p = index.params
        stats.norm = p.k1 * (1 - p.b + p.b * lengths / stats.avgdl)
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a store and its built index")
    parser.add_argument("--questions", type=Path, required=True, help="questions-dev.jsonl")
    args = parser.parse_args(argv)
    store = Store(args.data_dir / "newsbot.sqlite3")
    indexes = {
        name: variant_index(args.data_dir / "index" / ARTICLES_DIR, *v) for name, v in VARIANTS.items()
    }
    analyze = indexes["ours"].analyzer.analyze
    questions = read_questions(args.questions)
    texts: dict[int, str] = {}
    top10 = {name: [] for name in VARIANTS}
    pool = {name: [] for name in VARIANTS}
    found = {name: {k: 0 for k in KS} for name in VARIANTS}
    in_corpus = 0
    log(f"{len(questions)} questions, {len(VARIANTS)} variants ...")
    for q in questions:
        query, filters = query_of(q)
        terms = analyze(query)
        results = {
            name: [h.key for h in index.search(terms, POOL, filters)] for name, index in indexes.items()
        }
        for name, keys in results.items():
            top10[name].append(len(set(keys[:10]) & set(results["ours"][:10])) / max(1, min(10, len(keys))))
            pool[name].append(len(set(keys) & set(results["ours"])) / max(1, len(keys)))
        if not q.get("answer_in_corpus"):
            continue
        in_corpus += 1
        answer = normalize_answer(q["answer"])
        wanted = {key for keys in results.values() for key in keys[: max(KS)]} - texts.keys()
        for aid, art in store.articles.get_many(wanted).items():
            texts[aid] = normalize(f"{art.title}\n{art.text}")
        for name, keys in results.items():
            for k in KS:
                found[name][k] += any(answer in texts.get(key, "") for key in keys[:k])
    store.close()
    out: dict[str, object] = {"questions": len(questions), "answer_in_corpus": in_corpus}
    for name in VARIANTS:
        if name != "ours":
            out[f"top10_overlap_{name}"] = float(np.mean(top10[name]))
            out[f"pool_overlap_{name}"] = float(np.mean(pool[name]))
        for k in KS:
            out[f"recall{k}_{name}"] = found[name][k] / max(1, in_corpus)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
