"""Retrievers: the one interface the answer, subscription and `/latest` code use to search.

- :class:`IndexRetriever` keeps a passage index and an article index (:class:`~bot.search.index.BM25Index`)
  in step with the article store through its change feed (``changes_since(seq)``), saves them to the data
  directory and rebuilds them from the store when they are missing or damaged.
- :class:`RankBM25Retriever` is the reference backend: ``rank_bm25.BM25Okapi`` over the same passages and
  analyzer, rebuilt on every change. It defines what a score is and is what the tests compare against;
  it is far too slow for production beyond small corpora.
- :func:`make_retriever` picks one from :class:`~bot.config.Settings` (``search_backend``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from bot.models import Article

from .analyzer import Analyzer, default_analyzer
from .index import (
    _SEPARATOR,
    BM25Index,
    DocBatch,
    Hit,
    IndexCorruptError,
    SearchFilters,
    Vocabulary,
    day_number,
)
from .kernels import cached_on_disk as kernels_cached
from .passages import passage_spans

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

__all__ = [
    "TITLE_MODES",
    "IndexRetriever",
    "RankBM25Retriever",
    "Retriever",
    "ScoredArticle",
    "ScoredPassage",
    "SearchFilters",
    "make_retriever",
]

#: How the article title takes part in passage scoring: "prefix" adds the title's words to every passage
#: (measured best on the dev questions, see bench/search.py --recall), "none" scores the body only.
TITLE_MODES = ("prefix", "none")
DEFAULT_TITLE_MODE = "prefix"
BULK_REFRESH = 5000  # store changes behind which a refresh builds in bulk


@dataclass(frozen=True, slots=True)
class ScoredPassage:
    """A passage hit: ``text == article.text[start:end]`` verbatim."""

    article_id: int
    position: int
    score: float
    text: str
    start: int
    end: int
    published: date
    source: str
    title: str


@dataclass(frozen=True, slots=True)
class ScoredArticle:
    """An article hit (title + body scored as one document)."""

    article_id: int
    score: float
    published: date
    source: str
    title: str


@runtime_checkable
class Retriever(Protocol):
    """What every search backend offers."""

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredPassage]:
        """Top-k passages for a question, best first (ties: newer first)."""
        ...

    def search_articles(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[ScoredArticle]:
        """Top-k articles (title + body as one document)."""
        ...

    def score_passages(self, query: str, article_ids: Iterable[int]) -> list[ScoredPassage]:
        """Every passage of the given articles with its score for ``query`` (for reranking)."""
        ...

    def refresh(self) -> int:
        """Apply store changes; returns how many articles changed (0 = nothing to do)."""
        ...


# -- building documents from articles --------------------------------------------------------------------


def indexable(article: Article) -> bool:
    """Deleted and flagged articles are never searchable."""
    return not article.deleted and article.flagged is None and article.id is not None


def doc_batches(items: Sequence[tuple[Article, _Encoded]], title_mode: str) -> tuple[DocBatch, DocBatch]:
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
class _Encoded:
    """An article's passages and term ids: the title's, and the body's (its passages' concatenated, the
    passages cover every body word) with each passage's count in ``lengths``."""

    spans: np.ndarray  # (passages, 2) int32: start and end offsets in the article text
    title: np.ndarray
    body: np.ndarray
    lengths: np.ndarray


def encode_article(vocab: Vocabulary, title: str, text: str) -> _Encoded:
    """Split into passages and encode title and passages."""
    spans = passage_spans(text)
    body, lengths = vocab.encode_many([text[s:e] for s, e in spans])
    return _Encoded(np.array(spans, dtype=np.int32).reshape(-1, 2), vocab.encode(title), body, lengths)


def encode_articles(vocab: Vocabulary, pairs: Sequence[tuple[str, str]]) -> list[_Encoded]:
    """:func:`encode_article` for many ``(title, text)`` pairs with one tokenizer call for all of them.

    Texts are encoded in the same order as one by one (each article's passages, then its title), so new
    terms get the same ids.
    """
    if len(pairs) < 2 or any(_SEPARATOR in title or _SEPARATOR in text for title, text in pairs):
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
        out.append(_Encoded(span_rows[row : row + n], ids[body_end:title_end], ids[offset:body_end],
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


def _encode_parallel(chunks: Iterable[list[Article]], vocab: Vocabulary,
                     timings: dict[str, float]) -> Iterator[tuple[list[Article], list[_Encoded]]]:  # fmt: skip
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
            encoded = [_Encoded(spans, remap[title], remap[body], lengths) for spans, title, body, lengths in out]
            timings["tokenize"] = timings.get("tokenize", 0.0) + time.perf_counter() - t0
            yield pending.pop(n), encoded
            t0 = time.perf_counter()


Report = Callable[[str], None]
"""Where a command line shows what a long step is doing (stderr); None in a service, which logs instead."""


class _Progress:
    """tqdm on a terminal; otherwise a line every few seconds, to ``report`` or to the log in a service."""

    def __init__(self, total: int | None, desc: str, report: Report | None = None) -> None:
        self.total, self.desc, self.n, self._last = total, desc, 0, time.monotonic()
        self.report = report
        self._bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="art", file=sys.stderr)

    def update(self, n: int) -> None:
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
        elif time.monotonic() - self._last > 5:
            self._last = time.monotonic()
            line = f"{self.desc}: {self.n}/{self.total or '?'} articles"
            self.report(line) if self.report is not None else log.info("%s", line)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# -- the index backend --------------------------------------------------------------------------------


class IndexRetriever:
    """Passage and article indexes over the store, synced by ``refresh()`` and saved under ``index_dir``."""

    def __init__(
        self,
        store: Store | None,
        index_dir: Path | None,
        analyzer: Analyzer | None = None,
        title_mode: str = DEFAULT_TITLE_MODE,
        save_interval: float = 30.0,
        report: Report | None = None,
    ) -> None:
        if title_mode not in TITLE_MODES:
            raise ValueError(f"title_mode must be one of {TITLE_MODES}")
        self.store = store
        self.index_dir = index_dir
        self.analyzer = analyzer or default_analyzer()
        self.title_mode = title_mode
        self.save_interval = save_interval
        self.passages = BM25Index(self.analyzer, name="passages")
        self.articles = BM25Index(self.analyzer, name="articles", vocab=self.passages.vocab)
        self._titles: dict[int, str] = {}
        self.timings: dict[str, float] = {}  # cumulative seconds: "tokenize", "index" (for the bench)
        self._lock = threading.RLock()
        self._last_save = time.monotonic()
        self._save_failed = False  # warned once that the index lives in memory only
        self.report = report  # a command line's stderr: every indexing step is announced there

    @classmethod
    def from_settings(cls, settings: Settings, store: Store, report: Report | None = None) -> IndexRetriever:
        """Open (or build) the index the settings point at, synced with ``store``."""
        retriever = cls(store, settings.index_dir, report=report)
        retriever.open()
        return retriever

    def _announce(self, message: str) -> None:
        if self.report is not None:
            self.report(message)
        else:
            log.info("%s", message)

    # -- lifecycle -----------------------------------------------------------------------------------

    @property
    def seq(self) -> int:
        """Store change counter the indexes reflect."""
        return self.passages.seq

    def open(self) -> None:
        """Load the saved indexes, or rebuild them from the store; then catch up with the store."""
        with self._lock:
            if not self._load():
                self.rebuild()
            self.refresh(save=True)
        if self.report is not None and not kernels_cached():
            self.report("search: compiling the query kernels (first use on this machine, a few seconds; "
                        "cached for later runs)")  # fmt: skip
        # The compiled query kernels load in the background (~0.3 s a process): start-up does not wait for
        # them, and a question that comes sooner waits only for what is left.
        threading.Thread(target=self._warm_up, name="search-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        try:
            for index in (self.passages, self.articles):
                index.warm_up()
        except Exception:  # a failed warm-up only means that the first query loads the kernels
            log.exception("search kernels did not warm up; the first question will load them")

    def _load(self) -> bool:
        if self.index_dir is None or not _anything_saved(self.index_dir / "passages"):
            return False
        try:
            passages = BM25Index.load(self.index_dir / "passages", self.analyzer)
            articles = BM25Index.load(self.index_dir / "articles", self.analyzer)
        except IndexCorruptError as exc:
            log.warning("search index unusable, rebuilding from the store: %s", exc)
            return False
        meta_ok = passages.seq == articles.seq and articles.share_vocabulary(passages)
        if not meta_ok or passages.name != "passages" or self._saved_title_mode(passages) != self.title_mode:
            log.warning("search index out of step (seq, vocabulary or title mode), rebuilding from the store")
            return False
        self.passages, self.articles = passages, articles
        self._titles = {}  # titles are not in the index: fetched from the store per hit, then cached
        return True

    def _saved_title_mode(self, index: BM25Index) -> str:
        return str(index.extra.get("title_mode", self.title_mode))

    def rebuild(self) -> None:
        """Index every live article of the store from scratch (missing or corrupt index)."""
        with self._lock:
            self.passages = BM25Index(self.analyzer, name="passages")
            self.articles = BM25Index(self.analyzer, name="articles", vocab=self.passages.vocab)
            if self.store is None:
                return
            total = self.store.articles.count()
            self._announce(f"indexing: building the search index of {_n(total, 'article')}")
            progress = _Progress(total, "indexing", self.report)
            t0 = time.perf_counter()
            try:
                self.apply(self.store.articles.changes_since(0), progress=progress, bulk=True)
            finally:
                progress.close()
            self.save()
            kept = f", saved in {self.index_dir}" if self.index_dir is not None and not self._save_failed else ""
            self._announce(f"indexing: search index built: {self.passages.n_docs} passages, "
                           f"{_n(self.articles.n_docs, 'article')} in {time.perf_counter() - t0:.1f} s{kept}")  # fmt: skip

    def refresh(self, save: bool | None = None) -> int:
        """Apply the store's changes since the index's seq; cheap no-op when nothing changed.

        Saves when something changed and ``save`` is True, or (``save`` None) when the last save is older
        than ``save_interval`` seconds.
        """
        if self.store is None:
            return 0
        with self._lock:
            latest = self.store.articles.max_seq()
            if latest == self.seq:
                return 0
            # a big backlog (a large ingest) goes the bulk way: worker processes, one segment
            backlog = latest - self.seq
            bulk = backlog > BULK_REFRESH
            progress = None
            if self.report is not None:  # a command line: say what the wait is (none in a service's refresh)
                self.report(f"indexing: adding up to {_n(backlog, 'changed article')} to the search index")
                progress = _Progress(backlog, "indexing", self.report)
            t0 = time.perf_counter()
            try:
                changed = self.apply(self.store.articles.changes_since(self.seq), progress=progress, bulk=bulk)
            finally:
                if progress is not None:
                    progress.close()
            if changed and (save or (save is None and time.monotonic() - self._last_save >= self.save_interval)):
                self.save()
            if self.report is not None:
                saved = " and saved" if changed and save and not self._save_failed else ""
                self.report(f"indexing: {_n(changed, 'article')} indexed{saved} in {time.perf_counter() - t0:.1f} s; "
                            f"{self.passages.n_docs} passages of {_n(self.articles.n_docs, 'article')} searchable")  # fmt: skip
            return changed

    def save(self) -> None:
        """Persist both indexes (atomic per index; a crash between them is caught by the seq check).

        When they cannot be written (a full disk, a read-only data directory) the indexes stay in memory
        and keep answering: one warning, and the next save tries again (a later process rebuilds or
        catches up from the store, which holds everything).
        """
        if self.index_dir is None:
            return
        with self._lock:
            self.passages.extra["title_mode"] = self.title_mode
            try:
                _clear_non_directories(self.index_dir)
                self.passages.save(self.index_dir / "passages")
                self.articles.save(self.index_dir / "articles")
            except OSError as exc:
                if not self._save_failed:
                    log.warning("search index not saved to %s (%s): answering from memory", self.index_dir,
                                exc.strerror or exc)  # fmt: skip
                self._save_failed = True
                return
            finally:
                self._last_save = time.monotonic()
            if self._save_failed:
                log.info("search index saved to %s again", self.index_dir)
            self._save_failed = False

    def close(self) -> None:
        """Save pending changes."""
        with self._lock:
            if self.passages.dirty or self.articles.dirty:
                self.save()

    # -- applying changes ----------------------------------------------------------------------------

    def apply(self, articles: Iterable[Article], progress: _Progress | None = None, bulk: bool = False,
              batch: int = 500) -> int:  # fmt: skip
        """Add, replace or remove articles (deleted/flagged ones stop matching); returns how many.

        ``bulk`` (a rebuild): tokenizes in worker processes and builds each index's postings once.
        """
        count = 0
        with self._lock:
            if not bulk:
                for chunk in _batches(articles, batch):
                    self._apply_batch(chunk, [self._encode(a) for a in chunk if indexable(a)])
                    count += len(chunk)
            else:
                with self.passages.bulk(), self.articles.bulk():
                    for chunk, encoded in _encode_parallel(_batches(articles, batch), self.passages.vocab, self.timings):
                        self._apply_batch(chunk, encoded)
                        count += len(chunk)
                        if progress is not None:
                            progress.update(len(chunk))
                    t0 = time.perf_counter()  # leaving the block builds the postings
                self.timings["index"] = self.timings.get("index", 0.0) + time.perf_counter() - t0
        return count

    def _encode(self, article: Article) -> _Encoded:
        t0 = time.perf_counter()
        encoded = encode_article(self.passages.vocab, article.title, article.text)
        self.timings["tokenize"] = self.timings.get("tokenize", 0.0) + time.perf_counter() - t0
        return encoded

    def _apply_batch(self, chunk: list[Article], encoded: list[_Encoded]) -> None:
        """Replace the chunk's articles; ``encoded`` holds the indexable ones' terms, in order."""
        t0 = time.perf_counter()
        gone = [int(a.id) for a in chunk if a.id is not None and not indexable(a)]
        live = [a for a in chunk if indexable(a)]
        self.passages.delete(gone + [int(a.id or 0) for a in live])  # replaced articles: old documents out
        self.articles.delete(gone + [int(a.id or 0) for a in live])
        latest: dict[int, tuple[Article, _Encoded]] = {}
        for art, enc in zip(live, encoded):
            latest[int(art.id or 0)] = (art, enc)  # the last write of an article wins
            self._titles[int(art.id or 0)] = art.title
        passages, articles = doc_batches(list(latest.values()), self.title_mode)
        self.passages.add_batch(passages)
        self.articles.add_batch(articles)
        seq = max((a.seq for a in chunk), default=self.seq)
        self.passages.seq = self.articles.seq = max(seq, self.seq)
        self.timings["index"] = self.timings.get("index", 0.0) + time.perf_counter() - t0

    # -- searching -----------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredPassage]:
        """Top-k passages (see :class:`Retriever`)."""
        return self._passages(self.passages.search(self.analyzer.analyze(query), k, filters))

    def search_articles(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredArticle]:
        """Top-k articles (see :class:`Retriever`)."""
        hits = self.articles.search(self.analyzer.analyze(query), k, filters)
        titles = self._titles_of(h.key for h in hits)
        return [ScoredArticle(h.key, h.score, h.published, h.source, titles.get(h.key, "")) for h in hits]

    def score_passages(self, query: str, article_ids: Iterable[int]) -> list[ScoredPassage]:
        """Every passage of these articles with its exact score (0 when no query word occurs)."""
        return self._passages(self.passages.score_keys(self.analyzer.analyze(query), list(article_ids)))

    def _passages(self, hits: Sequence[Hit]) -> list[ScoredPassage]:
        if not hits:
            return []
        found = self._articles_of({h.key for h in hits})
        out = []
        for h in hits:
            art = found.get(h.key)
            if art is None:
                continue
            out.append(ScoredPassage(h.key, h.pos, h.score, art.text[h.start : h.end], h.start, h.end,
                                     h.published, h.source, art.title))  # fmt: skip
        return out

    def _articles_of(self, ids: set[int]) -> dict[int, Article]:
        if self.store is None:
            return {}
        return self.store.articles.get_many(ids)

    def _titles_of(self, ids: Iterable[int]) -> dict[int, str]:
        ids = list(ids)
        wanted = [i for i in ids if i not in self._titles]
        if wanted and self.store is not None:
            for aid, art in self.store.articles.get_many(wanted).items():
                self._titles[aid] = art.title
        return {i: self._titles.get(i, "") for i in ids}


def _anything_saved(root: Path) -> bool:
    """Whether ``root`` holds anything a save left (a save that failed at once leaves only its LOCK)."""
    try:
        return root.exists() and (not root.is_dir() or any(p.name != "LOCK" for p in root.iterdir()))
    except OSError:
        return True  # unreadable: loading says why


def _clear_non_directories(index_dir: Path) -> None:
    """Remove a file (or dangling link) standing where the index directories belong.

    ``rm -r data/index/passages; touch data/index/passages`` leaves a file that no load can read and
    no save can replace; the index is rebuilt from the store, so the file is in the way, not data.
    """
    for path in (index_dir, index_dir / "passages", index_dir / "articles"):
        if path.is_symlink() and not path.exists() or path.exists() and not path.is_dir():
            log.info("removing %s: a file where the search index directory belongs", path)
            path.unlink()


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    chunk: list[Article] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# -- the reference backend ------------------------------------------------------------------------------


class RankBM25Retriever:
    """``rank_bm25.BM25Okapi`` over the same passages and analyzer: the definition of a correct score.

    Rebuilt from the store on every change; the date and source filters are applied to the full score
    vector before ranking. Only passages containing a query term are returned, like the index.
    """

    def __init__(self, store: Store | None, analyzer: Analyzer | None = None,
                 title_mode: str = DEFAULT_TITLE_MODE) -> None:  # fmt: skip
        self.store = store
        self.analyzer = analyzer or default_analyzer()
        self.title_mode = title_mode
        self.seq = -1
        self._articles: dict[int, Article] = {}
        self._rows: list[tuple[int, int, int, int]] = []  # (article id, position, start, end)
        self._tokens: list[list[str]] = []
        self._bm25 = None
        self._art_bm25 = None
        self._art_ids: list[int] = []

    def add_articles(self, articles: Iterable[Article]) -> None:
        """Index articles directly (no store); replaces articles with the same id."""
        for a in articles:
            if a.id is not None:
                self._articles.pop(int(a.id), None)
                if indexable(a):
                    self._articles[int(a.id)] = a
        self._build()

    def refresh(self) -> int:
        """Rebuild when the store changed."""
        if self.store is None or self.store.articles.max_seq() == self.seq:
            return 0
        changed = 0
        for a in self.store.articles.changes_since(max(self.seq, 0)):
            changed += 1
            self._articles.pop(int(a.id or 0), None)
            if indexable(a):
                self._articles[int(a.id or 0)] = a
        self.seq = self.store.articles.max_seq()
        self._build()
        return changed

    def _build(self) -> None:
        from rank_bm25 import BM25Okapi

        self._rows, self._tokens = [], []
        art_tokens: list[list[str]] = []
        self._art_ids = []
        for aid in sorted(self._articles):
            a = self._articles[aid]
            title = self.analyzer.analyze(a.title)
            body: list[str] = []
            for pos, (s, e) in enumerate(passage_spans(a.text)):
                toks = self.analyzer.analyze(a.text[s:e])
                body.extend(toks)
                self._rows.append((aid, pos, s, e))
                self._tokens.append(title + toks if self.title_mode == "prefix" else toks)
            self._art_ids.append(aid)
            art_tokens.append(title + body)
        self._bm25 = BM25Okapi(self._tokens) if self._tokens else None
        self._art_bm25 = BM25Okapi(art_tokens) if art_tokens else None

    def _mask(self, ids: Sequence[int], filters: SearchFilters | None) -> np.ndarray:
        ok = np.ones(len(ids), dtype=bool)
        if filters is None:
            return ok
        for i, aid in enumerate(ids):
            a = self._articles[aid]
            if filters.date_from is not None and a.published < filters.date_from:
                ok[i] = False
            if filters.date_to is not None and a.published > filters.date_to:
                ok[i] = False
            if filters.sources is not None and a.source not in filters.sources:
                ok[i] = False
        return ok

    def _rank(self, bm25: object, docs: list[list[str]], ids: list[int], query: list[str], k: int,
              filters: SearchFilters | None) -> list[tuple[int, float]]:  # fmt: skip
        if bm25 is None or not query or k <= 0:
            return []
        scores = np.asarray(bm25.get_scores(query), dtype=np.float64)  # type: ignore[attr-defined]
        qset = set(query)
        matches = np.fromiter((not qset.isdisjoint(d) for d in docs), dtype=bool, count=len(docs))
        ok = np.flatnonzero(matches & self._mask(ids, filters))
        days = np.array([day_number(self._articles[ids[i]].published) for i in ok], dtype=np.int64)
        keys = np.array([ids[i] for i in ok], dtype=np.int64)
        order = np.lexsort((ok, -keys, -days, -scores[ok]))[:k]
        return [(int(ok[i]), float(scores[ok[i]])) for i in order]

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredPassage]:
        """Top-k passages by rank-bm25 (see :class:`Retriever`)."""
        self.refresh()
        ids = [r[0] for r in self._rows]
        ranked = self._rank(self._bm25, self._tokens, ids, self.analyzer.analyze(query), k, filters)
        return [self._passage(i, s) for i, s in ranked]

    def _passage(self, row: int, score: float) -> ScoredPassage:
        aid, pos, s, e = self._rows[row]
        a = self._articles[aid]
        return ScoredPassage(aid, pos, score, a.text[s:e], s, e, a.published, a.source, a.title)

    def search_articles(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredArticle]:
        """Top-k articles by rank-bm25 over title + body."""
        self.refresh()
        docs = [self.analyzer.analyze(self._articles[i].title) + self.analyzer.analyze(self._articles[i].text)
                for i in self._art_ids]  # fmt: skip
        ranked = self._rank(self._art_bm25, docs, self._art_ids, self.analyzer.analyze(query), k, filters)
        out = []
        for i, s in ranked:
            a = self._articles[self._art_ids[i]]
            out.append(ScoredArticle(int(a.id or 0), s, a.published, a.source, a.title))
        return out

    def score_passages(self, query: str, article_ids: Iterable[int]) -> list[ScoredPassage]:
        """Scores of every passage of these articles."""
        self.refresh()
        if self._bm25 is None:
            return []
        wanted = set(article_ids)
        rows = [i for i, r in enumerate(self._rows) if r[0] in wanted]
        scores = self._bm25.get_batch_scores(self.analyzer.analyze(query), rows) if rows else []
        return [self._passage(i, float(s)) for i, s in zip(rows, scores)]


def make_retriever(settings: Settings, store: Store, report: Report | None = None) -> Retriever:
    """The backend the settings ask for (``search_backend``: "index" or "rank-bm25").

    ``report`` (a command line's stderr) hears about every indexing step, so a long first wait says why.
    """
    if settings.search_backend == "rank-bm25":
        retriever = RankBM25Retriever(store)
        retriever.refresh()
        return retriever
    return IndexRetriever.from_settings(settings, store, report=report)
