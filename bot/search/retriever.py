"""Retrievers: the one interface the answer, subscription and `/latest` code use to search.

- :class:`Retriever` is that interface (a protocol).
- :class:`IndexRetriever` keeps a passage index and an article index (:class:`~bot.search.index.BM25Index`)
  in step with the article store through its change feed (``changes_since(seq)``), saves them to the data
  directory and rebuilds them from the store when they are missing or damaged.
- :func:`make_retriever` picks it or the reference backend (:mod:`bot.search.reference`) from
  :class:`~bot.config.Settings` (``search_backend``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.models import Article
from bot.progress import Progress

from .analyzer import Analyzer, default_analyzer
from .documents import (
    DEFAULT_TITLE_MODE,
    TITLE_MODES,
    Encoded,
    batches,
    doc_batches,
    encode_article,
    encode_parallel,
    indexable,
)
from .hits import Hit, ScoredArticle, ScoredPassage, SearchFilters
from .index import BM25Index, IndexCorruptError
from .kernels import cached_on_disk as kernels_cached
from .reference import RankBM25Retriever

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

BULK_REFRESH = 5000  # store changes behind which a refresh builds in bulk

Report = Callable[[str], None]
"""Where a command line shows what a long step is doing (stderr); None in a service, which logs instead."""


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
            progress = self._progress(total)
            t0 = time.perf_counter()
            try:
                self.apply(self.store.articles.changes_since(0), progress=progress, bulk=True)
            finally:
                progress.close()
            self.save()
            kept = f", saved in {self.index_dir}" if self.index_dir is not None and not self._save_failed else ""
            self._announce(f"indexing: search index built: {self.passages.n_docs} passages, {_n(self.articles.n_docs, 'article')} in "
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

    def apply(self, articles: Iterable[Article], progress: Progress | None = None, bulk: bool = False,
              batch: int = 500) -> int:  # fmt: skip
        """Add, replace or remove articles (deleted/flagged ones stop matching); returns how many.

        ``bulk`` (a rebuild): tokenizes in worker processes and builds each index's postings once.
        """
        count = 0
        with self._lock:
            if not bulk:
                for chunk in batches(articles, batch):
                    self._apply_batch(chunk, [self._encode(a) for a in chunk if indexable(a)])
                    count += len(chunk)
            else:
                with self.passages.bulk(), self.articles.bulk():
                    for chunk, encoded in encode_parallel(batches(articles, batch), self.passages.vocab, self.timings):
                        self._apply_batch(chunk, encoded)
                        count += len(chunk)
                        if progress is not None:
                            progress.advance(len(chunk))
                    t0 = time.perf_counter()  # leaving the block builds the postings
                self.timings["index"] = self.timings.get("index", 0.0) + time.perf_counter() - t0
        return count

    def _encode(self, article: Article) -> Encoded:
        t0 = time.perf_counter()
        encoded = encode_article(self.passages.vocab, article.title, article.text)
        self.timings["tokenize"] = self.timings.get("tokenize", 0.0) + time.perf_counter() - t0
        return encoded

    def _apply_batch(self, chunk: list[Article], encoded: list[Encoded]) -> None:
        """Replace the chunk's articles; ``encoded`` holds the indexable ones' terms, in order."""
        t0 = time.perf_counter()
        gone = [int(a.id) for a in chunk if a.id is not None and not indexable(a)]
        live = [a for a in chunk if indexable(a)]
        self.passages.delete(gone + [int(a.id or 0) for a in live])  # replaced articles: old documents out
        self.articles.delete(gone + [int(a.id or 0) for a in live])
        latest: dict[int, tuple[Article, Encoded]] = {}
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


def make_retriever(settings: Settings, store: Store, report: Report | None = None) -> Retriever:
    """The backend the settings ask for (``search_backend``: "index" or "rank-bm25").

    ``report`` (a command line's stderr) hears about every indexing step, so a long first wait says why.
    """
    if settings.search_backend == "rank-bm25":
        retriever = RankBM25Retriever(store)
        retriever.refresh()
        return retriever
    return IndexRetriever.from_settings(settings, store, report=report)
