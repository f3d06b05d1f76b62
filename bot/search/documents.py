"""Articles into index documents: term ids, and the columnar batches the article index takes.

An article becomes one document, its title's term ids then its body's (what rank-bm25 gets in the reference
backend: ``analyze(title) + analyze(text)``). A bulk build encodes in forked worker processes when cores
are idle, mapping their term ids to the index's vocabulary so the result is the same as encoding here.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from bot.models import Article

from .analyzer import default_analyzer
from .columns import DocBatch
from .hits import day_number
from .vocabulary import SEPARATOR, Vocabulary


def indexable(article: Article) -> bool:
    """Deleted and flagged articles are never searchable."""
    return not article.deleted and article.flagged is None and article.id is not None


@dataclass(slots=True)
class Encoded:
    """An article's term ids: its title's and its body's."""

    title: np.ndarray
    body: np.ndarray


def article_batch(items: Sequence[tuple[Article, Encoded]]) -> DocBatch:
    """Columnar article documents (title ids then body ids) for encoded articles."""
    arts = [a for a, _ in items]
    n = len(arts)
    t_len = np.fromiter((enc.title.shape[0] for _, enc in items), dtype=np.int64, count=n)
    b_len = np.fromiter((enc.body.shape[0] for _, enc in items), dtype=np.int64, count=n)
    ids = np.concatenate([x for _, enc in items for x in (enc.title, enc.body)]) if items else np.zeros(0, np.int32)
    return DocBatch(
        keys=np.fromiter((int(a.id or 0) for a in arts), dtype=np.int64, count=n),
        pos=np.zeros(n, dtype=np.int32),
        days=np.fromiter((day_number(a.published) for a in arts), dtype=np.int32, count=n),
        sources=[a.source for a in arts],
        starts=np.zeros(n, dtype=np.int32),
        ends=np.fromiter((len(a.text) for a in arts), dtype=np.int32, count=n),
        ids=ids.astype(np.int32, copy=False),
        lengths=t_len + b_len,
    )


def encode_article(vocab: Vocabulary, title: str, text: str) -> Encoded:
    """Encode body, then title (the order :func:`encode_articles` gives new terms their ids in)."""
    body = vocab.encode(text)
    return Encoded(vocab.encode(title), body)


def encode_articles(vocab: Vocabulary, pairs: Sequence[tuple[str, str]]) -> list[Encoded]:
    """:func:`encode_article` for many ``(title, text)`` pairs with one tokenizer call for all of them.

    Texts are encoded in the same order as one by one (each article's body, then its title), so new terms
    get the same ids.
    """
    if len(pairs) < 2 or any(SEPARATOR in title or SEPARATOR in text for title, text in pairs):
        return [encode_article(vocab, title, text) for title, text in pairs]
    ids, lengths = vocab.encode_many([part for title, text in pairs for part in (text, title)])
    ends = np.cumsum(lengths).tolist()
    out, offset = [], 0
    for i in range(len(pairs)):
        body_end, title_end = ends[2 * i], ends[2 * i + 1]
        out.append(Encoded(ids[body_end:title_end], ids[offset:body_end]))
        offset = title_end
    return out


_WORKER_VOCAB: Vocabulary | None = None
_WORKER_REPORTED = 0


def _encode_worker(pairs: list[tuple[str, str]]) -> tuple[int, list[str], list[tuple]]:
    """In a worker process: encode with a process-local vocabulary, report its new terms since last time."""
    global _WORKER_VOCAB, _WORKER_REPORTED
    if _WORKER_VOCAB is None:
        _WORKER_VOCAB = Vocabulary(default_analyzer())
    vocab = _WORKER_VOCAB
    out = [(enc.title, enc.body) for enc in encode_articles(vocab, pairs)]
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
            encoded = [Encoded(remap[title], remap[body]) for title, body in out]
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
