"""The article index :class:`BM25Index`: exact BM25Okapi over a changing collection, inverted, segmented,
incremental and persistent.

A document has a key (the article id), a position (0 for a whole article), a publication day and a source.
The parts live in :mod:`~bot.search.vocabulary` (terms), :mod:`~bot.search.columns` (per-slot columns),
:mod:`~bot.search.segments` (CSR postings), :mod:`~bot.search.kernels` (the compiled query) and
:mod:`~bot.search.storage` (the files: this class only exports and restores an ``IndexState``). Why it
has this shape, and how a query stays fast and exact: ``docs/search.md`` ("The index's design").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import kernels
from .analyzer import Analyzer, default_analyzer
from .bm25 import Params, floored_idf, length_norm
from .columns import COLUMNS, Column, DocBatch, DocInput
from .hits import Hit, SearchFilters, day_number, day_to_date
from .segments import Segment, build_segment, empty_segment, merge_segments, restrict_segment
from .storage import IndexCorruptError, IndexState, load_state, save_state
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)

__all__ = ["BM25Index", "IndexCorruptError"]


@dataclass(slots=True)
class _Stats:
    """Collection-wide quantities, recomputed after each change (O(vocabulary + slots), not per query)."""

    n_live: int
    avgdl: float
    idf: np.ndarray
    norm: np.ndarray  # by document length: k1·(1 - b + b·length/avgdl), for every length a slot has
    lens: np.ndarray  # each slot's length, uint16 when they fit: what the kernels index ``norm`` with


@dataclass(slots=True)
class _Scratch:
    """A block's buffers for the query kernel (zero between queries; see :func:`kernels.top_k`)."""

    acc: np.ndarray = field(default_factory=lambda: np.zeros(kernels.BLOCK, dtype=np.float64))
    seen: np.ndarray = field(default_factory=lambda: np.zeros(kernels.BLOCK, dtype=np.uint8))
    touched: np.ndarray = field(default_factory=lambda: np.zeros(kernels.BLOCK + 1, dtype=np.int32))


_ALL_SOURCES = np.ones(1, dtype=np.bool_)  # the source mask when no source filter is given
_DAY_MIN, _DAY_MAX = -(2**31), 2**31 - 1


class BM25Index:
    """Exact BM25Okapi over a changing collection of documents; thread-safe (one lock)."""

    def __init__(
        self,
        analyzer: Analyzer | None = None,
        params: Params | None = None,
        fresh_limit: int = 300_000,
        background_merge: bool = True,
        name: str = "index",
        vocab: Vocabulary | None = None,
    ) -> None:
        self.analyzer = analyzer or default_analyzer()
        self.params = params or Params()
        self.name = name
        self.fresh_limit = fresh_limit  # fresh postings before a merge into main
        self.background_merge = background_merge
        self._merger: threading.Thread | None = None
        self.seq = 0  # store change counter this index reflects (kept by the sync layer)
        self.extra: dict[str, object] = {}  # small JSON-able facts the owner wants saved alongside
        self.vocab = vocab if vocab is not None else Vocabulary(self.analyzer)
        self._df = np.zeros(0, dtype=np.int64)
        self._cols = {k: Column(t) for k, t in COLUMNS.items()}
        self._main = empty_segment()
        self._fresh = empty_segment()
        self._fresh_base = 0
        self._key_slots: dict[int, tuple[int, int]] = {}
        self._sources: list[str] = []
        self._source_ids: dict[str, int] = {}
        self._n_live = 0
        self._total_len = 0
        self._stats: _Stats | None = None
        self._scratch = _Scratch()
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._sorted_upto = 0  # slots [0, _sorted_upto) have non-decreasing days
        self._lock = threading.RLock()
        self._file_sums: dict[str, list[int]] = {}  # size and CRC32 of files already written
        self.dirty = False

    # -- introspection -------------------------------------------------------------------------------

    @property
    def n_docs(self) -> int:
        """Live documents (what rank-bm25 would call the corpus size)."""
        return self._n_live

    @property
    def n_slots(self) -> int:
        """Document slots ever allocated (live + dead)."""
        return self._cols["len"].n

    @property
    def n_postings(self) -> int:
        """Stored postings (main + fresh, dead ones included until the next merge)."""
        return self._main.n_postings + self._fresh.n_postings

    @property
    def avgdl(self) -> float:
        """Average live document length in tokens."""
        return self._total_len / self._n_live if self._n_live else 0.0

    def keys(self) -> set[int]:
        """Keys (article ids) with live documents."""
        return set(self._key_slots)

    def __contains__(self, key: int) -> bool:
        return key in self._key_slots

    def df(self, term: str) -> int:
        """Live documents containing ``term``."""
        tid = self.vocab.get(term)
        return int(self._df[tid]) if 0 <= tid < self._df.shape[0] else 0

    def idf(self, term: str) -> float:
        """Floored idf of ``term`` in the live collection (0 for unknown terms)."""
        with self._lock:
            tid = self.vocab.get(term)
            stats = self._get_stats()
            return float(stats.idf[tid]) if 0 <= tid < stats.idf.shape[0] else 0.0

    def encode(self, text: str) -> np.ndarray:
        """Term ids of ``text`` (for callers composing documents, e.g. title + passage)."""
        with self._lock:
            return self.vocab.encode(text)

    # -- writing -------------------------------------------------------------------------------------

    def add(self, docs: Sequence[DocInput]) -> None:
        """Index documents; keys that already have live documents are replaced (an updated article)."""
        if not docs:
            return
        with self._lock:
            ids = [self._ids_of(d) for d in docs]
            n = len(docs)
            self.add_batch(DocBatch(
                keys=np.fromiter((d.key for d in docs), dtype=np.int64, count=n),
                pos=np.fromiter((d.pos for d in docs), dtype=np.int32, count=n),
                days=np.fromiter((day_number(d.published) for d in docs), dtype=np.int32, count=n),
                sources=[d.source for d in docs],
                starts=np.fromiter((d.start for d in docs), dtype=np.int32, count=n),
                ends=np.fromiter((d.end for d in docs), dtype=np.int32, count=n),
                ids=np.concatenate(ids).astype(np.int32, copy=False) if ids else np.zeros(0, dtype=np.int32),
                lengths=np.fromiter(map(len, ids), dtype=np.int64, count=n),
            ))  # fmt: skip

    def add_batch(self, batch: DocBatch) -> None:
        """Index a columnar batch (see :meth:`add`)."""
        if len(batch) == 0:
            return
        with self._lock:
            self.delete(set(np.unique(batch.keys).tolist()) & self._key_slots.keys())
            first = self.n_slots
            self._append_slots(batch)
            slots = np.arange(first, first + len(batch), dtype=np.int32)
            if self._pending is not None:  # bulk load: one segment at the end
                self._pending.append((slots, batch.ids, batch.lengths))
                return
            seg = build_segment(batch.ids, batch.lengths, slots, self.n_slots, len(self.vocab))
            self._count_df(seg)
            self._merge_fresh(seg, first)
            self._changed()

    @contextmanager
    def bulk(self) -> Iterator[BM25Index]:
        """Add many documents fast: postings are built once, at the end, into the main segment.

        Searches inside the block do not see the pending documents.
        """
        with self._lock:
            self._pending = []
            try:
                yield self
            finally:
                pending, self._pending = self._pending, None
                self._flush(pending)

    def _flush(self, pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        if not pending:
            return
        alive = self._cols["alive"].view
        slots = np.concatenate([p[0] for p in pending])
        ids = np.concatenate([p[1] for p in pending])
        lengths = np.concatenate([p[2] for p in pending])
        slots = self._sort_region(int(slots[0]), slots)
        keep = alive[slots]
        if not keep.all():  # replaced again within the bulk: only the last version counts
            ids = ids[np.repeat(keep, lengths)]
            slots, lengths = slots[keep], lengths[keep]
        seg = build_segment(ids, lengths, slots, self.n_slots, len(self.vocab))
        self._count_df(seg)
        if self._main.n_postings == 0 and self._fresh.n_postings == 0:
            self._main = seg
        else:
            self._main = merge_segments(self._main, seg, alive, len(self.vocab))
            if self._fresh.n_postings:
                self._main = merge_segments(self._main, self._fresh, alive, len(self.vocab))
        self._fresh = empty_segment()
        self._fresh_base = self.n_slots
        self._changed()

    def _sort_region(self, first: int, slots: np.ndarray) -> np.ndarray:
        """Renumber the bulk's slots (``first`` to the end) in (day, key, insertion) order; returns the new
        slot of each entry of ``slots``. Date-ordered slots let date filters cut postings by range."""
        c = self._cols
        # ties keep insertion order, so each version of an article stays one contiguous run in position order
        order = np.lexsort((np.arange(self.n_slots - first), c["key"].view[first:], c["day"].view[first:]))
        if not (np.diff(order) > 0).all():
            for col in c.values():
                col.view[first:] = col.view[first:][order]
            new_of_old = np.empty(order.shape[0], dtype=np.int32)
            new_of_old[order] = np.arange(order.shape[0], dtype=np.int32)
            slots = (first + new_of_old[slots - first]).astype(np.int32)
            region_keys = set(np.unique(c["key"].view[first:]).tolist())
            for key in region_keys:
                if key in self._key_slots and self._key_slots[key][0] >= first:
                    del self._key_slots[key]
            self._index_keys_sparse(first + np.flatnonzero(c["alive"].view[first:]))
        self._update_sorted(first)
        return slots

    def _count_df(self, seg: Segment) -> None:
        """Add a new segment's documents to the document frequencies (all its postings are live)."""
        self._grow_df()
        self._df[: len(self.vocab)] += seg.row_lengths(len(self.vocab))

    def delete(self, keys: Iterable[int]) -> int:
        """Stop matching every document of these keys; returns how many documents were removed."""
        with self._lock:
            slots = [self._key_slots.pop(k) for k in list(keys) if k in self._key_slots]
            if not slots:
                return 0
            dead = np.concatenate([np.arange(s, s + n) for s, n in slots])
            alive = self._cols["alive"].view
            alive[dead] = False
            self._n_live -= dead.shape[0]
            self._total_len -= int(self._cols["len"].view[dead].sum())
            self._remove_df(dead)
            self._changed()
            return int(dead.shape[0])

    def _ids_of(self, d: DocInput) -> np.ndarray:
        if d.ids is not None:
            return np.asarray(d.ids, dtype=np.int32)
        if d.terms is not None:
            return self.vocab.encode_terms(d.terms)
        return self.vocab.encode(d.text)

    def _source_id(self, source: str) -> int:
        sid = self._source_ids.get(source)
        if sid is None:
            sid = self._source_ids[source] = len(self._sources)
            self._sources.append(source)
        return sid

    def _append_slots(self, batch: DocBatch) -> None:
        first = self.n_slots
        c = self._cols
        c["len"].extend(batch.lengths.astype(np.int32))
        c["key"].extend(batch.keys)
        c["pos"].extend(batch.pos)
        c["day"].extend(batch.days)
        c["src"].extend(np.fromiter(map(self._source_id, batch.sources), dtype=np.int32, count=len(batch)))
        c["start"].extend(batch.starts)
        c["end"].extend(batch.ends)
        c["alive"].extend(np.ones(len(batch), dtype=bool))
        self._n_live += len(batch)
        self._total_len += int(batch.lengths.sum())
        self._index_keys(np.arange(first, first + len(batch)))
        if self._pending is None:
            self._update_sorted(first)

    def _index_keys(self, slots: np.ndarray) -> None:
        """Record each key's contiguous slot range (documents of one key are always added together)."""
        keys = self._cols["key"].view[slots]
        if keys.size == 0:
            return
        change = np.flatnonzero(np.diff(keys)) + 1
        starts = np.concatenate([[0], change])
        counts = np.diff(np.concatenate([starts, [keys.size]]))
        for s, n in zip(starts.tolist(), counts.tolist()):
            self._key_slots[int(keys[s])] = (int(slots[s]), n)

    def _grow_df(self) -> None:
        if self._df.shape[0] < len(self.vocab):
            self._df = np.concatenate([self._df, np.zeros(len(self.vocab) - self._df.shape[0], dtype=np.int64)])

    def _remove_df(self, dead: np.ndarray) -> None:
        """Subtract the dead documents' terms from df (scans only segments that hold them)."""
        self._grow_df()  # the vocabulary may be shared and have grown through another index
        mask = np.zeros(self.n_slots, dtype=bool)
        mask[dead] = True
        in_main, in_fresh = int(dead.min()) < self._fresh_base, int(dead.max()) >= self._fresh_base
        for seg, scan in ((self._main, in_main), (self._fresh, in_fresh)):
            if seg.n_postings == 0 or not scan:
                continue
            positions = np.flatnonzero(mask[seg.docs])
            terms = seg.term_of(positions)
            self._df[: len(self.vocab)] -= np.bincount(terms, minlength=len(self.vocab))[: len(self.vocab)]

    def _merge_fresh(self, batch: Segment, first: int) -> None:
        alive = self._cols["alive"].view
        if self._fresh.n_postings == 0:
            self._fresh_base = first
            self._fresh = batch
        else:
            self._fresh = merge_segments(self._fresh, batch, alive, len(self.vocab))
        if self._fresh.n_postings > self.fresh_limit and self._pending is None:
            if self.background_merge:
                self._start_background_merge()
            else:
                self.merge()

    def merge(self) -> None:
        """Fold the fresh segment into main now, dropping dead postings (O(all postings)).

        A background merge still running is superseded (its result is discarded at swap time).
        """
        with self._lock:
            alive = self._cols["alive"].view
            if self._fresh.n_postings == 0 and self._main.n_postings == 0:
                return
            self._main = merge_segments(self._main, self._fresh, alive, len(self.vocab))
            self._fresh = empty_segment()
            self._fresh_base = self.n_slots

    def wait_for_merge(self) -> None:
        """Block until a background merge (if any) has been swapped in (call without holding the index)."""
        thread = self._merger
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _start_background_merge(self) -> None:
        """Merge a snapshot of main + fresh in a thread; searches and adds go on meanwhile."""
        if self._merger is not None:
            return
        snapshot = (self._main, self._fresh, self._cols["alive"].view.copy(), len(self.vocab), self.n_slots)
        self._merger = threading.Thread(target=self._merge_snapshot, args=snapshot, name=f"{self.name}-merge",
                                        daemon=True)  # fmt: skip
        self._merger.start()

    def _merge_snapshot(self, main: Segment, fresh: Segment, alive: np.ndarray, n_terms: int,
                        boundary: int) -> None:  # fmt: skip
        """The merge itself (no lock held), then a swap that keeps what was added meanwhile.

        Documents deleted meanwhile are still in the merged postings but dead in ``alive`` (and already
        out of df), so they never match; the next merge drops them.
        """
        try:
            merged = merge_segments(main, fresh, alive, n_terms)
            with self._lock:
                if self._main is main:  # nobody merged in between
                    self._main = merged
                    self._fresh = restrict_segment(self._fresh, boundary, n_terms) if self._fresh is not fresh else empty_segment()
                    self._fresh_base = boundary
                    self.dirty = True  # the merged main is worth saving (smaller fresh, no dead postings)
        except Exception:  # a failed merge leaves the two segments as they were
            log.exception("background merge of %s failed", self.name)
        finally:
            self._merger = None

    def _changed(self) -> None:
        self._stats = None
        self.dirty = True

    # -- scoring -------------------------------------------------------------------------------------

    def _get_stats(self) -> _Stats:
        if self._stats is None:
            n = self._n_live
            self._grow_df()
            idf, _ = floored_idf(self._df, n, self.params.epsilon)
            avgdl = self._total_len / n if n else 0.0
            lengths = self._cols["len"].view
            longest = int(lengths.max()) if lengths.shape[0] else 0
            norm = length_norm(np.arange(longest + 1), avgdl, self.params) if avgdl > 0 else np.zeros(longest + 1)
            # read once per posting at random: 2 bytes a slot touch half the cache lines of 4 (~13 % faster)
            lens = lengths.astype(np.uint16) if longest <= np.iinfo(np.uint16).max else lengths.copy()
            self._stats = _Stats(n, avgdl, idf, norm, lens)
        return self._stats

    def _query_terms(self, query: str | Sequence[str]) -> list[tuple[int, int]]:
        """(term id, count) in first-occurrence order, for terms present in the live collection."""
        terms = self.analyzer.analyze(query) if isinstance(query, str) else list(query)
        counts: dict[int, int] = {}
        for term in terms:
            tid = self.vocab.get(term)
            if tid >= 0 and tid < self._df.shape[0] and self._df[tid] > 0:
                counts[tid] = counts.get(tid, 0) + 1
        return list(counts.items())

    def _term_arrays(self, qterms: list[tuple[int, int]], stats: _Stats) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Term ids, exact idfs and query counts of the query terms (what the kernels take)."""
        tids = np.fromiter((t for t, _ in qterms), dtype=np.int64, count=len(qterms))
        counts = np.fromiter((c for _, c in qterms), dtype=np.int64, count=len(qterms))
        return tids, stats.idf[tids], counts

    def _segment_arrays(self) -> tuple[np.ndarray, ...]:
        m, f = self._main, self._fresh
        return m.indptr, m.docs, m.tf, f.indptr, f.docs, f.tf

    def _date_window(self, filters: SearchFilters | None) -> tuple[int, int, int] | None:
        """``(lo, hi, sorted_upto)``: in the date-sorted prefix only slots in [lo, hi) pass the dates."""
        if filters is None or (filters.date_from is None and filters.date_to is None) or self._sorted_upto == 0:
            return None
        days = self._cols["day"].view[: self._sorted_upto]
        # int32 bounds: a Python int makes searchsorted copy all the days to int64 first (~0.15 ms)
        lo, hi = 0, days.shape[0]
        if filters.date_from:
            lo = int(days.searchsorted(np.int32(day_number(filters.date_from))))
        if filters.date_to:
            hi = int(days.searchsorted(np.int32(day_number(filters.date_to)), "right"))
        return lo, max(lo, hi), self._sorted_upto

    def _update_sorted(self, first: int) -> None:
        """Extend the date-sorted prefix over slots appended from ``first`` (if it reached them)."""
        if self._sorted_upto < first:
            return
        days = self._cols["day"].view
        start = max(self._sorted_upto - 1, 0)
        drops = np.flatnonzero(np.diff(days[start:]) < 0)
        self._sorted_upto = start + 1 + int(drops[0]) if drops.size else days.shape[0]

    def _hits(self, slots: np.ndarray, scores: np.ndarray) -> list[Hit]:
        c = self._cols
        cols = [c[name].buf[slots].tolist() for name in ("key", "pos", "day", "src", "start", "end")]
        return [
            Hit(key=key, pos=pos, score=score, published=day_to_date(day), source=self._sources[src], slot=slot,
                start=start, end=end)
            for key, pos, day, src, start, end, score, slot in zip(*cols, scores.tolist(), slots.tolist())
        ]  # fmt: skip

    def search(self, query: str | Sequence[str], k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
        """Top ``k`` live documents matching at least one query term, best first.

        ``query`` is text (analyzed here) or a list of terms (as rank-bm25 takes tokens). Scores equal
        ``rank_bm25.BM25Okapi(live documents' tokens).get_scores(query_terms)``.
        """
        if k <= 0:
            return []
        with self._lock:
            qterms = self._query_terms(query)
            if not qterms or self._n_live == 0:
                return []
            stats = self._get_stats()
            k = min(k, self._n_live)  # the kernel's heap has k entries
            return self._hits(*self._top_k(self._term_arrays(qterms, stats), stats, k, filters))

    def _top_k(self, terms: tuple[np.ndarray, np.ndarray, np.ndarray], stats: _Stats, k: int,
               filters: SearchFilters | None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The query kernel over this index's arrays: best ``k`` slots and their scores (lock held)."""
        sc, c = self._scratch, self._cols
        return kernels.top_k(*self._segment_arrays(), *terms, self.params.k1, stats.lens, stats.norm,
                             *self._filter_args(filters), c["key"].buf, c["pos"].buf, k, sc.acc, sc.seen,
                             sc.touched)  # fmt: skip

    def _filter_args(self, filters: SearchFilters | None) -> tuple:
        """The kernel's filter arguments: the date window of the sorted slots (``(0, 0, 0)``: none), then
        alive flags, days, the day range and the slot from which days are checked one by one, sources and
        the wanted ones as a mask (and whether to check them)."""
        c = self._cols
        window = self._date_window(filters) or (0, 0, 0)
        day_lo, day_hi, check_from, src_ok = _DAY_MIN, _DAY_MAX, _DAY_MAX, _ALL_SOURCES
        if filters is not None and (filters.date_from is not None or filters.date_to is not None):
            day_lo = day_number(filters.date_from) if filters.date_from is not None else _DAY_MIN
            day_hi = day_number(filters.date_to) if filters.date_to is not None else _DAY_MAX
            check_from = window[2]  # below it the lists are cut to the dates already
        if filters is not None and filters.sources is not None:
            src_ok = np.zeros(max(1, len(self._sources)), dtype=np.bool_)
            src_ok[[self._source_ids[s] for s in filters.sources if s in self._source_ids]] = True
        return (*window, c["alive"].buf, c["day"].buf, day_lo, day_hi, check_from, c["src"].buf, src_ok,
                src_ok is not _ALL_SOURCES)  # fmt: skip

    def score_keys(self, query: str | Sequence[str], keys: Iterable[int]) -> list[Hit]:
        """Scores of every live document of the given keys (0 when nothing matches), for reranking.

        Costs a binary search per (query term, document), independent of the corpus size.
        """
        with self._lock:
            ranges = [self._key_slots[k] for k in keys if k in self._key_slots]
            if not ranges:
                return []
            slots = np.concatenate([np.arange(s, s + n) for s, n in ranges]).astype(np.int32)
            return self._hits(slots, self._score_slots(self._query_terms(query), slots))

    def _score_slots(self, qterms: list[tuple[int, int]], slots: np.ndarray) -> np.ndarray:
        if not qterms or self._n_live == 0:
            return np.zeros(slots.shape[0], dtype=np.float64)
        stats = self._get_stats()
        return kernels.score_slots(*self._segment_arrays(), *self._term_arrays(qterms, stats), self.params.k1,
                                   stats.lens, stats.norm, slots)  # fmt: skip

    # -- persistence ---------------------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        """Write the index under ``path``: new files, a checksummed manifest, then an atomic swap."""
        with self._lock:
            self._file_sums = save_state(Path(path), self._export(), self._file_sums)
            self.dirty = False

    @classmethod
    def load(cls, path: Path | str, analyzer: Analyzer | None = None, **kwargs: object) -> BM25Index:
        """Open a saved index (segments memory-mapped); raises :class:`IndexCorruptError` if damaged."""
        index = cls(analyzer=analyzer, **kwargs)  # type: ignore[arg-type]
        index._restore(load_state(Path(path)))
        return index

    def warm_up(self) -> None:
        """Load the compiled query kernels for this index's array types now, not on the first query.

        The first call of a numba kernel in a process sets numba up and loads the machine code cached
        on disk (~0.3 s; compiling, when there is no cache yet, takes seconds); a later call with the same
        array types costs nothing. Memory-mapped segments are opened copy-on-write, so they are writable
        arrays like in-memory ones and one compiled version serves both.
        """
        with self._lock:
            stats = self._get_stats()
            terms = self._term_arrays([], stats)
            self._top_k(terms, stats, 1, None)
            kernels.score_slots(*self._segment_arrays(), *terms, self.params.k1, stats.lens, stats.norm,
                                np.zeros(0, dtype=np.int32))  # fmt: skip

    # state exchanged with the file format below

    def _export(self) -> IndexState:
        self._grow_df()
        return IndexState(
            meta={
                "name": self.name,
                "seq": self.seq,
                "fresh_base": self._fresh_base,
                "n_live": self._n_live,
                "total_len": self._total_len,
                "sources": self._sources,
                "params": [self.params.k1, self.params.b, self.params.epsilon],
                "analyzer": self.analyzer.language,
                "extra": self.extra,
            },
            main=self._main,
            fresh=self._fresh,
            columns={k: c.view for k, c in self._cols.items()},
            df=self._df,
            terms=self.vocab.terms,
        )

    def _restore(self, state: IndexState) -> None:
        meta = state.meta
        self.vocab = Vocabulary(self.analyzer, state.terms)
        self._df = np.array(state.df, dtype=np.int64)
        self._cols = {k: Column(t, state.columns[k]) for k, t in COLUMNS.items()}
        self._main, self._fresh = state.main, state.fresh
        self._file_sums = dict(state.files)
        self._fresh_base = int(meta["fresh_base"])
        self._n_live, self._total_len = int(meta["n_live"]), int(meta["total_len"])
        self._sources = list(meta["sources"])
        self._source_ids = {s: i for i, s in enumerate(self._sources)}
        self.seq = int(meta["seq"])
        self.name = str(meta.get("name", self.name))
        self.extra = dict(meta.get("extra", {}))
        alive = np.flatnonzero(self._cols["alive"].view)
        self._key_slots = {}
        self._index_keys_sparse(alive)
        self._sorted_upto = 0
        self._update_sorted(0)
        self._stats = None
        self.dirty = False

    def _index_keys_sparse(self, slots: np.ndarray) -> None:
        """Rebuild key → slot range from live slots (contiguous runs of one key)."""
        if slots.size == 0:
            return
        keys = self._cols["key"].view[slots]
        brk = np.flatnonzero((np.diff(keys) != 0) | (np.diff(slots) != 1)) + 1
        starts = np.concatenate([[0], brk])
        counts = np.diff(np.concatenate([starts, [slots.size]]))
        for s, n in zip(starts.tolist(), counts.tolist()):
            self._key_slots[int(keys[s])] = (int(slots[s]), n)
