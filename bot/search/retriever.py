"""Retrievers: the one interface the answer, subscription and `/latest` code use to search.

- :class:`Retriever` is that interface (a protocol): articles scored by BM25 over title + body, filtered
  by date and source inside the index. The answer code ranks these articles and quotes windows of their
  text; no product path searches passages.
- :class:`IndexRetriever` keeps the article index (:class:`~bot.search.index.BM25Index`) in step with the
  article store through its change feed (``changes_since(seq)``), saves it to the data directory and
  rebuilds it from the store when it is missing or damaged.
- :func:`make_retriever` picks it or the reference backend (:mod:`bot.search.reference`) from
  :class:`~bot.config.Settings` (``search_backend``).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.models import Article
from bot.progress import Progress

from .analyzer import Analyzer, default_analyzer
from .documents import Encoded, article_batch, batches, encode_article, encode_parallel, indexable
from .hits import ScoredArticle, SearchFilters
from .index import BM25Index, IndexCorruptError
from .kernels import cached_on_disk as kernels_cached
from .reference import RankBM25Retriever

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

__all__ = ["IndexRetriever", "RankBM25Retriever", "Retriever", "ScoredArticle", "SearchFilters", "make_retriever"]

BULK_REFRESH = 5000  # store changes behind which a refresh builds in bulk

Report = Callable[[str], None]
"""Where a command line shows what a long step is doing (stderr); None in a service, which logs instead."""
#: The index's directory under ``index_dir``, and those of indexes that earlier versions kept beside it and
#: nothing reads any more (a passage index, see docs/search.md): the first save removes them.
ARTICLES_DIR, RETIRED_DIRS = "articles", ("passages",)


@runtime_checkable
class Retriever(Protocol):
    """What every search backend offers."""

    def search_articles(
        self, query: str, k: int = 10, filters: SearchFilters | None = None, *,
        terms: Sequence[str] | None = None,
    ) -> list[ScoredArticle]:
        """Top-k articles (title + body as one document), best first (ties: newer first).

        ``terms``: the query already analysed (the answer layer analyses a question once).
        """
        ...

    def idf(self, term: str) -> float:
        """How rare ``term`` is among the articles (what a question word weighs in the answer layer)."""
        ...

    def refresh(self) -> int:
        """Apply store changes; returns how many articles changed (0 = nothing to do)."""
        ...

    @property
    def seq(self) -> int:
        """The store change counter the backend reflects (an answer worker compares it with the bot's)."""
        ...


class IndexRetriever:
    """The article index over the store, synced by ``refresh()`` and saved under ``index_dir``."""

    def __init__(self, store: Store | None, index_dir: Path | None, analyzer: Analyzer | None = None,
                 save_interval: float = 30.0, report: Report | None = None, *,
                 read_only: bool = False) -> None:  # fmt: skip
        self.store = store
        self.index_dir = index_dir
        self.read_only = read_only  # an answer worker: catches up in memory, never saves
        self.analyzer = analyzer or default_analyzer()
        self.save_interval = save_interval
        self.articles = BM25Index(self.analyzer, name="articles")
        self._titles: dict[int, str] = {}
        self.timings: dict[str, float] = {}  # cumulative seconds: "tokenize", "index" (for the bench)
        self._lock = threading.RLock()
        self._last_save = time.monotonic()
        self._save_failed = False  # warned once that the index lives in memory only
        self.report = report  # a command line's stderr: every indexing step is announced there

    @classmethod
    def from_settings(
        cls, settings: Settings, store: Store, report: Report | None = None, *, read_only: bool = False
    ) -> IndexRetriever:
        """Open (or build) the index the settings point at, synced with ``store``."""
        retriever = cls(store, settings.index_dir, report=report, read_only=read_only)
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
        """Store change counter the index reflects."""
        return self.articles.seq

    def open(self) -> None:
        """Load the saved index, or rebuild it from the store; then catch up with the store."""
        with self._lock:
            if not self._load():
                self.rebuild()
            elif self.index_dir is not None and any((self.index_dir / d).exists() for d in RETIRED_DIRS):
                self.save()  # frees the passage index an older version kept beside this one
            self.refresh(save=True)
        if self.report is not None and not kernels_cached():
            self.report("search: compiling the query kernels (first use on this machine, a few seconds; "
                        "cached for later runs)")  # fmt: skip
        # The compiled query kernels load in the background (~0.3 s a process): start-up does not wait for
        # them, and a question that comes sooner waits only for what is left.
        threading.Thread(target=self._warm_up, name="search-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        try:
            self.articles.warm_up()
        except Exception:  # a failed warm-up only means that the first query loads the kernels
            log.exception("search kernels did not warm up; the first question will load them")

    def _load(self) -> bool:
        if self.index_dir is None or not _anything_saved(self.index_dir / ARTICLES_DIR):
            return False
        try:
            articles = BM25Index.load(self.index_dir / ARTICLES_DIR, self.analyzer)
        except IndexCorruptError as exc:
            log.warning("search index unusable, rebuilding from the store: %s", exc)
            return False
        if articles.name != "articles":
            log.warning("search index at %s is not an article index, rebuilding from the store", self.index_dir)
            return False
        self.articles = articles
        self._titles = {}  # titles are not in the index: fetched from the store per hit, then cached
        return True

    def rebuild(self) -> None:
        """Index every live article of the store from scratch (missing or corrupt index)."""
        with self._lock:
            self.articles = BM25Index(self.analyzer, name="articles")
            if self.store is None:
                return
            total = self.store.articles.count()
            self._announce(f"indexing: building the search index of {_n(total, 'article')}")
            progress = self._progress(total)
            t0 = time.perf_counter()
            try:
                self.apply(self.store.articles.changes_since(0), progress=progress, bulk=True)
            finally:
                progress.close()
            self.save()
            kept = f", saved in {self.index_dir}" if self.index_dir is not None and not self._save_failed else ""
            self._announce(f"indexing: search index built: {_n(self.articles.n_docs, 'article')} in "
                           f"{time.perf_counter() - t0:.1f} s{kept}")  # fmt: skip

    def _progress(self, total: int) -> Progress:
        """A bar on a terminal; otherwise a line every few seconds, to ``report`` or to the log."""
        progress = Progress(True, label="indexing", unit="articles", every=5.0, sink=self.report or log.info)
        progress.start("indexing", total)
        return progress

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
                progress = self._progress(backlog)
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
                            f"{_n(self.articles.n_docs, 'article')} searchable")  # fmt: skip
            return changed

    def save(self) -> None:
        """Persist the index (atomic: a new generation, then a swap of its ``CURRENT`` pointer).

        When it cannot be written (a full disk, a read-only data directory) the index stays in memory and
        keeps answering: one warning, and the next save tries again (a later process rebuilds or catches
        up from the store, which holds everything). A read-only retriever never writes: the process that
        owns the index saves it.
        """
        if self.index_dir is None or self.read_only:
            return
        with self._lock:
            try:
                _clear_non_directories(self.index_dir)
                self.articles.save(self.index_dir / ARTICLES_DIR)
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
            _remove_retired(self.index_dir)

    def close(self) -> None:
        """Save pending changes."""
        with self._lock:
            if self.articles.dirty:
                self.save()

    # -- applying changes ----------------------------------------------------------------------------

    def apply(self, articles: Iterable[Article], progress: Progress | None = None, bulk: bool = False,
              batch: int = 500) -> int:  # fmt: skip
        """Add, replace or remove articles (deleted/flagged ones stop matching); returns how many.

        ``bulk`` (a rebuild): tokenizes in worker processes and builds the postings once.
        """
        count = 0
        with self._lock:
            if not bulk:
                for chunk in batches(articles, batch):
                    self._apply_batch(chunk, [self._encode(a) for a in chunk if indexable(a)])
                    count += len(chunk)
            else:
                with self.articles.bulk():
                    for chunk, encoded in encode_parallel(batches(articles, batch), self.articles.vocab, self.timings):
                        self._apply_batch(chunk, encoded)
                        count += len(chunk)
                        if progress is not None:
                            progress.advance(len(chunk))
                    t0 = time.perf_counter()  # leaving the block builds the postings
                self.timings["index"] = self.timings.get("index", 0.0) + time.perf_counter() - t0
        return count

    def _encode(self, article: Article) -> Encoded:
        t0 = time.perf_counter()
        encoded = encode_article(self.articles.vocab, article.title, article.text)
        self.timings["tokenize"] = self.timings.get("tokenize", 0.0) + time.perf_counter() - t0
        return encoded

    def _apply_batch(self, chunk: list[Article], encoded: list[Encoded]) -> None:
        """Replace the chunk's articles; ``encoded`` holds the indexable ones' terms, in order."""
        t0 = time.perf_counter()
        gone = [int(a.id) for a in chunk if a.id is not None and not indexable(a)]
        live = [a for a in chunk if indexable(a)]
        self.articles.delete(gone + [int(a.id or 0) for a in live])  # replaced articles: old documents out
        latest: dict[int, tuple[Article, Encoded]] = {}
        for art, enc in zip(live, encoded):
            latest[int(art.id or 0)] = (art, enc)  # the last write of an article wins
            self._titles[int(art.id or 0)] = art.title
        self.articles.add_batch(article_batch(list(latest.values())))
        self.articles.seq = max(max((a.seq for a in chunk), default=self.seq), self.seq)
        self.timings["index"] = self.timings.get("index", 0.0) + time.perf_counter() - t0

    # -- searching -----------------------------------------------------------------------------------

    def search_articles(
        self, query: str, k: int = 10, filters: SearchFilters | None = None, *,
        terms: Sequence[str] | None = None,
    ) -> list[ScoredArticle]:
        """Top-k articles (see :class:`Retriever`)."""
        query_terms = list(terms) if terms is not None else self.analyzer.analyze(query)
        hits = self.articles.search(query_terms, k, filters)
        titles = self._titles_of(h.key for h in hits)
        return [ScoredArticle(h.key, h.score, h.published, h.source, titles.get(h.key, "")) for h in hits]

    def idf(self, term: str) -> float:
        """Floored IDF of ``term`` in the article index (0 for unknown terms)."""
        return float(self.articles.idf(term))

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
    """Remove a file (or dangling link) standing where the index directory belongs.

    ``rm -r data/index/articles; touch data/index/articles`` leaves a file that no load can read and no
    save can replace; the index is rebuilt from the store, so the file is in the way, not data.
    """
    for path in (index_dir, index_dir / ARTICLES_DIR):
        if path.is_symlink() and not path.exists() or path.exists() and not path.is_dir():
            log.info("removing %s: a file where the search index directory belongs", path)
            path.unlink()


def _remove_retired(index_dir: Path) -> None:
    """Delete what older versions kept beside the index and nothing reads (a passage index: ~70 % of the disk)."""
    for path in (index_dir / name for name in RETIRED_DIRS):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def make_retriever(
    settings: Settings, store: Store, report: Report | None = None, *, read_only: bool = False
) -> Retriever:
    """The backend the settings ask for (``search_backend``: "index" or "rank-bm25").

    ``report`` (a command line's stderr) hears about every indexing step, so a long first wait says why.
    ``read_only``: the index is read and kept up to date in memory but never saved (an answer worker).
    """
    if settings.search_backend == "rank-bm25":
        retriever = RankBM25Retriever(store)
        retriever.refresh()
        return retriever
    return IndexRetriever.from_settings(settings, store, report=report, read_only=read_only)
