"""Articles into index documents: passages, term ids, and the columnar batches the indexes take.

An article is encoded once (its title's term ids and its body's, split into passages) and becomes one
article document (title + body) and one document per passage (title prefix + the passage). A bulk build
encodes in forked worker processes when cores are idle, mapping their term ids to the index's vocabulary
so the result is the same as encoding here.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from bot.models import Article

from .analyzer import default_analyzer
from .columns import DocBatch
from .hits import day_number
from .passages import passage_spans
from .vocabulary import SEPARATOR, Vocabulary

#: How the article title takes part in passage scoring: "prefix" adds the title's words to every passage
#: (measured best on the dev questions, see bench/search.py --recall), "none" scores the body only.
TITLE_MODES = ("prefix", "none")
DEFAULT_TITLE_MODE = "prefix"


def indexable(article: Article) -> bool:
    """Deleted and flagged articles are never searchable."""
    return not article.deleted and article.flagged is None and article.id is not None


def doc_batches(items: Sequence[tuple[Article, Encoded]], title_mode: str) -> tuple[DocBatch, DocBatch]:
    """Columnar passage and article documents for encoded articles.

    An article document is its title's ids then its body's; a passage is (in "prefix" mode) its article's
    title ids then its slice of the body. All passages come out of one gather over the articles' ids.
    """
    n_items = len(items)
    empty = np.zeros(0, dtype=np.int32)
    counts = np.fromiter((len(enc.spans) for _, enc in items), dtype=np.int64, count=n_items)
    t_len = np.fromiter((enc.title.shape[0] for _, enc in items), dtype=np.int64, count=n_items)
    b_len = np.fromiter((enc.body.shape[0] for _, enc in items), dtype=np.int64, count=n_items)
    a_ids = np.concatenate([x for _, enc in items for x in (enc.title, enc.body)]) if items else empty
    p_len = np.concatenate([enc.lengths for _, enc in items]).astype(np.int64) if items else empty.astype(np.int64)
    # where each article, and each passage's body slice (passages cover the body), start in a_ids
    art_off = np.cumsum(t_len + b_len) - (t_len + b_len)
    body_off = np.cumsum(p_len) - p_len + np.repeat(art_off + t_len - (np.cumsum(b_len) - b_len), counts)
    prefix = np.repeat(t_len if title_mode == "prefix" else np.zeros_like(t_len), counts)
    starts = np.stack([np.repeat(art_off, counts), body_off], axis=1).ravel()
    lens = np.stack([prefix, p_len], axis=1).ravel()
    out_off = np.cumsum(lens) - lens
    gather = np.repeat(starts - out_off, lens) + np.arange(int(lens.sum()), dtype=np.int64)
    n = counts
    arts = [a for a, _ in items]
    keys = np.fromiter((int(a.id or 0) for a in arts), dtype=np.int64, count=len(arts))
    days = np.fromiter((day_number(a.published) for a in arts), dtype=np.int32, count=len(arts))
    spans = np.concatenate([enc.spans for _, enc in items]) if items else np.zeros((0, 2), dtype=np.int32)
    first = np.cumsum(counts) - counts
    passages = DocBatch(
        keys=np.repeat(keys, n),
        pos=(np.arange(spans.shape[0], dtype=np.int64) - np.repeat(first, counts)).astype(np.int32),
        days=np.repeat(days, n),
        sources=[a.source for a, c in zip(arts, counts.tolist()) for _ in range(c)],
        starts=np.ascontiguousarray(spans[:, 0]),
        ends=np.ascontiguousarray(spans[:, 1]),
        ids=a_ids[gather],
        lengths=p_len + prefix,
    )
    articles = DocBatch(
        keys=keys,
        pos=np.zeros(len(arts), dtype=np.int32),
        days=days,
        sources=[a.source for a in arts],
        starts=np.zeros(len(arts), dtype=np.int32),
        ends=np.fromiter((len(a.text) for a in arts), dtype=np.int32, count=len(arts)),
        ids=a_ids,
        lengths=t_len + b_len,
    )
    return passages, articles


@dataclass(slots=True)
class Encoded:
    """An article's passages and term ids: the title's, and the body's (its passages' concatenated, the
    passages cover every body word) with each passage's count in ``lengths``."""

    spans: np.ndarray  # (passages, 2) int32: start and end offsets in the article text
    title: np.ndarray
    body: np.ndarray
    lengths: np.ndarray


def encode_article(vocab: Vocabulary, title: str, text: str) -> Encoded:
    """Split into passages and encode title and passages."""
    spans = passage_spans(text)
    body, lengths = vocab.encode_many([text[s:e] for s, e in spans])
    return Encoded(np.array(spans, dtype=np.int32).reshape(-1, 2), vocab.encode(title), body, lengths)


def encode_articles(vocab: Vocabulary, pairs: Sequence[tuple[str, str]]) -> list[Encoded]:
    """:func:`encode_article` for many ``(title, text)`` pairs with one tokenizer call for all of them.

    Texts are encoded in the same order as one by one (each article's passages, then its title), so new
    terms get the same ids.
    """
    if len(pairs) < 2 or any(SEPARATOR in title or SEPARATOR in text for title, text in pairs):
        return [encode_article(vocab, title, text) for title, text in pairs]
    all_spans = [passage_spans(text) for _, text in pairs]
    parts: list[str] = []
    for (title, text), spans in zip(pairs, all_spans):
        parts.extend([text[s:e] for s, e in spans])
        parts.append(title)
    ids, lengths = vocab.encode_many(parts)
    ends = np.cumsum(lengths).tolist()
    flat = chain.from_iterable(chain.from_iterable(all_spans))
    span_rows = np.fromiter(flat, dtype=np.int32, count=2 * (len(parts) - len(pairs))).reshape(-1, 2)
    out = []
    at, offset, row = 0, 0, 0
    for spans in all_spans:
        n = len(spans)
        body_end = ends[at + n - 1] if n else offset
        title_end = ends[at + n]
        out.append(Encoded(span_rows[row : row + n], ids[body_end:title_end], ids[offset:body_end],
                            lengths[at : at + n]))  # fmt: skip
        at, offset, row = at + n + 1, title_end, row + n
    return out


_WORKER_VOCAB: Vocabulary | None = None
_WORKER_REPORTED = 0


def _encode_worker(pairs: list[tuple[str, str]]) -> tuple[int, list[str], list[tuple]]:
    """In a worker process: encode with a process-local vocabulary, report its new terms since last time."""
    global _WORKER_VOCAB, _WORKER_REPORTED
    if _WORKER_VOCAB is None:
        _WORKER_VOCAB = Vocabulary(default_analyzer())
    vocab = _WORKER_VOCAB
    out = [(enc.spans, enc.title, enc.body, enc.lengths) for enc in encode_articles(vocab, pairs)]
    new_terms = vocab.terms[_WORKER_REPORTED:]
    _WORKER_REPORTED = len(vocab.terms)
    return os.getpid(), new_terms, out


def idle_cpus(sample: float = 0.1) -> float:
    """CPUs idle right now (sampled from /proc/stat over ``sample`` seconds); all of them where unknown.

    Worker processes only pay off on idle cores: on a busy machine (another job holding a core) two
    workers plus this process measured 20 s for the full corpus against 15 s in this process alone
    (before the numpy chunk path; alone it now takes about 9 CPU seconds).
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    def times() -> tuple[int, int]:
        with open("/proc/stat", "rb") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        return sum(fields), fields[3] + (fields[4] if len(fields) > 4 else 0)  # total, idle + iowait

    try:
        total0, idle0 = times()
        time.sleep(sample)
        total1, idle1 = times()
    except (OSError, ValueError, IndexError):
        return float(cpus)
    if total1 <= total0:
        return float(cpus)
    return min(float(cpus), (os.cpu_count() or 1) * (idle1 - idle0) / (total1 - total0))


def encode_parallel(chunks: Iterable[list[Article]], vocab: Vocabulary,
                    timings: dict[str, float]) -> Iterator[tuple[list[Article], list[Encoded]]]:  # fmt: skip
    """Encode chunks of articles in worker processes, mapping their term ids to ``vocab``'s.

    Stays in this process when fork is unavailable or unsafe (other threads running) or when fewer than
    two CPUs are idle (see :func:`idle_cpus`). Either way the vocabulary gets the same ids in the same order.
    """
    # Workers are forked: cheap, and they inherit the code without re-running any main module. Forking
    # is unsafe while other threads may hold locks (a running bot), so then the work stays here.
    try:
        ctx = multiprocessing.get_context("fork") if threading.active_count() == 1 else None
    except ValueError:
        ctx = None
    workers = min(round(idle_cpus()), 4) if ctx is not None else 1
    if ctx is None or workers < 2:
        for chunk in chunks:
            t0 = time.perf_counter()
            encoded = encode_articles(vocab, [(a.title, a.text) for a in chunk if indexable(a)])
            timings["tokenize"] = timings.get("tokenize", 0.0) + time.perf_counter() - t0
            yield chunk, encoded
        return
    pending: dict[int, list[Article]] = {}

    def tasks() -> Iterator[list[tuple[str, str]]]:
        for n, chunk in enumerate(chunks):
            pending[n] = chunk
            yield [(a.title, a.text) for a in chunk if indexable(a)]

    remaps: dict[int, np.ndarray] = {}
    t0 = time.perf_counter()
    with ctx.Pool(workers) as pool:
        for n, (pid, new_terms, out) in enumerate(pool.imap(_encode_worker, tasks())):
            added = np.fromiter((vocab.add(t) for t in new_terms), dtype=np.int32, count=len(new_terms))
            remap = remaps[pid] = np.concatenate([remaps.get(pid, np.zeros(0, dtype=np.int32)), added])
            encoded = [Encoded(spans, remap[title], remap[body], lengths) for spans, title, body, lengths in out]
            timings["tokenize"] = timings.get("tokenize", 0.0) + time.perf_counter() - t0
            yield pending.pop(n), encoded
            t0 = time.perf_counter()



def batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    chunk: list[Article] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
