"""The sentence store: every article's :class:`~bot.answer.sentences.ArticleSentences`, computed once at ingest
and kept on disk beside the search index, memory-mapped by every answer worker.

Files, in ``<index_dir>/sentences/`` (the same guarantees as the index, :mod:`bot.search.storage`):

- ``seg-<name>.<part>.npy`` — a segment: the rows of some articles (``ids``, ``seqs``, ``lens``, ``chunked``,
  ``ptr``) and their sentences' columns (``starts``, ``ends``, ``chunks``, ``flags``, ``names``, ``untitled``,
  ``numbers``); immutable, so later saves only add a segment with what changed since;
- ``manifest-<gen>.json`` — format version, the fingerprint of the rules that made the rows (the source of
  the modules that split and analyse sentences: any change to them makes every row stale), the store change
  counter covered, the segments in order (a later row of an article wins) and the size and CRC32 of each file;
- ``CURRENT`` — the live manifest's name, swapped by an atomic rename; ``LOCK`` as for the index.

A row is used only for the article version it was made from (same ``seq`` and text length); anything else
(an article updated since, a store that is missing, truncated, corrupt, of another format or other rules) is
never trusted: the answer path analyses that article as it did before the store existed, and the writer
(the bot process, or ``ingest``) rebuilds the store from the articles. Answer workers only read it and load a
newer generation when ``CURRENT`` changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.models import Article
from bot.progress import Progress
from bot.search.analyzer import Analyzer, default_analyzer
from bot.search.storage import CURRENT, checksum, dir_lock, dumps, fsync_dir, write_file

from .sentences import ArticleSentences, analyse

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
STORE_DIR = "sentences"
ROW_PARTS = {"ids": np.int64, "seqs": np.int64, "lens": np.int64, "chunked": np.bool_, "ptr": np.int64}
SENTENCE_PARTS = {"starts": np.int32, "ends": np.int32, "chunks": np.int32, "flags": np.uint8,
                  "names": np.uint16, "untitled": np.uint16, "numbers": np.uint16}  # fmt: skip
MAX_SEGMENTS = 8  # a save past this many segments rewrites them as one
_SAVE_EVERY = 4000  # rows analysed in a long sync before they are saved (memory stays bounded)
_INLINE_BACKLOG = 200  # changed articles a service analyses inline; more go to a background thread
_ANNOUNCED_BACKLOG = 1000  # changed articles above which a sync reports progress
_PARALLEL_BACKLOG = 5000  # changed articles above which a sync uses worker processes on idle cores
_MAX_WORKERS = 4
_RULE_MODULES = ("bot/answer/sentences.py", "bot/ingest/furniture.py",
                 "bot/ingest/clean.py", "bot/ingest/chrome.py", "bot/search/analyzer.py", "bot/search/chunks.py")  # fmt: skip
_POLL_SECONDS = 1.0  # how often a reader looks for a newer generation

Report = Callable[[str], None]


def rules_fingerprint() -> str:
    """SHA-1 of the format version and of the source of every module that decides what a row holds."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha1(f"format {FORMAT_VERSION}\n".encode())
    for name in _RULE_MODULES:
        digest.update(name.encode() + b"\n")
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


class _SegmentGone(Exception):
    """A segment this writer kept was deleted by another writer's clean-up (two processes, one directory)."""


class SentenceStoreError(Exception):
    """The saved sentences are missing, truncated, corrupt, of another format or other rules."""


@dataclass(slots=True)
class Segment:
    """Rows of some articles: per-article columns and the concatenated per-sentence columns."""

    name: str
    rows: dict[str, np.ndarray]
    sentences: dict[str, np.ndarray]

    def article(self, row: int) -> ArticleSentences:
        """The stored analysis of the article in ``row``."""
        lo, hi = int(self.rows["ptr"][row]), int(self.rows["ptr"][row + 1])
        s = self.sentences
        return ArticleSentences(
            s["starts"][lo:hi].astype(np.int64), s["ends"][lo:hi].astype(np.int64),
            s["chunks"][lo:hi].astype(np.int64), np.array(s["flags"][lo:hi]),
            s["names"][lo:hi].astype(np.int64), s["untitled"][lo:hi].astype(np.int64),
            s["numbers"][lo:hi].astype(np.int64), bool(self.rows["chunked"][row]),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Row:
    """One article's analysis and the version it was made from."""

    id: int
    seq: int
    length: int  # characters of the text
    sentences: ArticleSentences


def pack(items: list[Row], name: str | None = None) -> Segment:
    """A segment holding these rows (in order)."""
    n = len(items)
    sizes = np.fromiter((r.sentences.size for r in items), dtype=np.int64, count=n)
    rows = {
        "ids": np.fromiter((r.id for r in items), dtype=np.int64, count=n),
        "seqs": np.fromiter((r.seq for r in items), dtype=np.int64, count=n),
        "lens": np.fromiter((r.length for r in items), dtype=np.int64, count=n),
        "chunked": np.fromiter((r.sentences.chunked for r in items), dtype=np.bool_, count=n),
        "ptr": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
    }
    fields = {"starts": "starts", "ends": "ends", "chunks": "first_chunks", "flags": "flags", "names": "n_names",
              "untitled": "n_names_untitled", "numbers": "n_numbers"}  # fmt: skip
    sentences = {
        part: (np.concatenate([getattr(r.sentences, fields[part]) for r in items]).astype(dtype)
               if items else np.zeros(0, dtype=dtype))
        for part, dtype in SENTENCE_PARTS.items()
    }  # fmt: skip
    return Segment(name or uuid.uuid4().hex[:12], rows, sentences)


def storable(article: Article, found: ArticleSentences) -> bool:
    """Whether the analysis fits the on-disk columns (offsets in int32, counts in uint16)."""
    limit = np.iinfo(np.uint16).max
    return len(article.text.encode("utf-8", "surrogatepass")) < 2**31 - 1 and all(
        not x.size or int(x.max()) <= limit for x in (found.n_names, found.n_names_untitled, found.n_numbers)
    )


def analyse_article(article: Article, analyzer: Analyzer | None = None) -> ArticleSentences:
    """The analysis a row holds for ``article``."""
    return analyse(article.title, article.text, analyzer or default_analyzer())


class SentenceStore:
    """The precomputed sentences of every article, read by the answer path, written by one process."""

    def __init__(self, root: Path | None, analyzer: Analyzer | None = None, writable: bool = True) -> None:
        self.root = root
        self.analyzer = analyzer or default_analyzer()
        self.writable = writable
        self.seq = 0  # store change counter the rows cover
        self.trusted = False  # a valid generation (or a finished build) backs the rows
        self._segments: list[Segment] = []
        self._where: dict[int, tuple[int, int]] = {}  # article id → (segment, row)
        self._fresh: dict[int, Row] = {}  # analysed since the last save
        self._files: dict[str, list[int]] = {}
        self._manifest: str | None = None
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()
        self._polled = 0.0
        self._builder: threading.Thread | None = None
        self._save_failed = False
        self._stopping = False
        self.rules = rules_fingerprint()

    # -- reading -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path | None, analyzer: Analyzer | None = None, writable: bool = True) -> SentenceStore:
        """The saved store under ``root``; empty (every article analysed live until rebuilt) when it is
        missing or not to be trusted."""
        store = cls(root, analyzer, writable)
        if root is not None:
            store._load()
        return store

    def get(self, article: Article) -> ArticleSentences | None:
        """The stored analysis of this version of ``article``, or None (analyse it live)."""
        aid = int(article.id or 0)
        with self._lock:
            fresh = self._fresh.get(aid)
            if fresh is not None:
                same = fresh.seq == article.seq and fresh.length == len(article.text)
                return fresh.sentences if same else None
            where = self._where.get(aid)
            if where is None:
                return None
            seg = self._segments[where[0]]
        row = where[1]
        if int(seg.rows["seqs"][row]) != article.seq or int(seg.rows["lens"][row]) != len(article.text):
            return None
        return seg.article(row)

    def __len__(self) -> int:
        with self._lock:
            return len(self._where.keys() | self._fresh.keys())

    def poll(self) -> None:
        """A reader: load the newer generation the writer has saved, if any (looked for once a second)."""
        if self.writable or self.root is None or time.monotonic() - self._polled < _POLL_SECONDS:
            return
        self._polled = time.monotonic()
        current = _read_name(self.root / CURRENT)
        if current is not None and current != self._manifest:
            self._load()

    def _load(self) -> bool:
        assert self.root is not None
        try:
            state = load(self.root, self.rules)
        except SentenceStoreError as exc:
            if (self.root / CURRENT).exists() or self.root.exists():
                log.warning("sentence store not used, articles are analysed per question until it is "
                            "rebuilt: %s", exc)  # fmt: skip
            return False
        manifest, segments, files = state
        where: dict[int, tuple[int, int]] = {}
        for k, seg in enumerate(segments):
            for row, aid in enumerate(seg.rows["ids"].tolist()):
                where[aid] = (k, row)
        with self._lock:
            self._segments, self._where, self._files = segments, where, files
            self._manifest, self.seq, self.trusted = manifest["name"], int(manifest["seq"]), True
            self._fresh = {aid: r for aid, r in self._fresh.items() if r.seq > self.seq}
        return True

    # -- writing -------------------------------------------------------------------------------------

    def sync(self, store: Store, report: Report | None = None, wait: bool = True) -> int:
        """Analyse the articles written since the rows' counter (all of them when the saved store was not
        trusted), then save. ``wait=False`` (a service) does it in a background thread while answers fall
        back to live analysis, and skips the round when a sync is already running."""
        if not self.writable:
            return 0
        if not wait:
            with self._lock:
                if self._builder is not None and self._builder.is_alive():
                    return 0
                if not self.trusted or store.articles.max_seq() - self.seq > _INLINE_BACKLOG:
                    self._builder = threading.Thread(target=self._sync_logged, args=(store, report),
                                                     name="sentence-store-build", daemon=True)  # fmt: skip
                    self._builder.start()
                    return 0
        return self._sync(store, report)

    def _sync_logged(self, store: Store, report: Report | None) -> None:
        try:
            self._sync(store, report)
        except Exception:  # the answer path analyses articles live, as before: nothing is lost
            log.exception("building the sentence store failed")

    def _sync(self, store: Store, report: Report | None) -> int:
        with self._sync_lock:
            latest = store.articles.max_seq()
            if latest == self.seq and self.trusted:
                return 0
            rebuild = not self.trusted
            if rebuild:
                with self._lock:
                    self._segments, self._where, self._fresh, self.seq = [], {}, {}, 0
                    self._manifest, self.trusted = None, True  # rows are right whatever happens next
            t0 = time.perf_counter()
            progress = None
            backlog = latest - self.seq
            if backlog >= _ANNOUNCED_BACKLOG:
                _say(report, f"sentences: analysing the sentences of up to {backlog:,} changed articles "
                             "once, for quoting")  # fmt: skip
                progress = Progress(True, label="sentences", unit="articles", every=5.0, sink=report or log.info)
                progress.start("sentences", backlog)
            count = pending = 0
            try:
                chunks = _batches(store.articles.changes_since(self.seq), 250)
                for chunk, rows in _analysed(chunks, _workers_for(backlog), self.analyzer):
                    if self._stopping:  # closing: what is done is saved below, the rest is caught up next time
                        break
                    with self._lock:
                        self._fresh.update((row.id, row) for row in rows)
                    count, pending = count + len(rows), pending + len(rows)
                    with self._lock:
                        self.seq = max(self.seq, max(a.seq for a in chunk))
                    if pending >= _SAVE_EVERY:  # bounded memory: rows go to disk as compact segments
                        self.save()
                        pending = 0
                    if progress is not None:
                        progress.advance(len(chunk))
            finally:
                if progress is not None:
                    progress.close()
            self.save()
            if progress is not None:
                _say(report, f"sentences: {count:,} articles analysed in {time.perf_counter() - t0:.1f} s")
            return count

    def add(self, articles: Iterable[Article]) -> int:
        """Analyse these articles now (in memory until the next save); deleted and flagged ones are skipped."""
        rows = _rows(articles, self.analyzer)
        with self._lock:
            self._fresh.update((row.id, row) for row in rows)
        return len(rows)

    def save(self) -> None:
        """Write what was analysed since the last save as a new segment, then swap ``CURRENT``.

        A store that cannot be written (a full disk) keeps its rows in memory: answers are unaffected.
        """
        if self.root is None or not self.writable:
            return
        with self._lock:
            fresh = list(self._fresh.values())
            segments = list(self._segments)
            seq = self.seq
            where = dict(self._where)
        if not fresh and self._manifest is not None and len(segments) <= MAX_SEGMENTS:
            return
        new = [pack(fresh)] if fresh else []
        if len(segments) + len(new) > MAX_SEGMENTS:
            new = [_compact(segments, where, fresh)]
            segments = []
        try:
            try:
                manifest, files = save(self.root, segments, new, seq, self.rules, self._files)
            except _SegmentGone:  # another writer of this directory collected ours: write all rows anew
                new, segments = [_compact(segments, where, fresh)], []
                manifest, files = save(self.root, segments, new, seq, self.rules, self._files)
        except OSError as exc:
            # the index says it once for the data directory (a full disk); answers are unaffected either way
            if not self._save_failed:
                log.info("sentence store not saved to %s (%s): kept in memory", self.root, exc.strerror or exc)
            self._save_failed = True
            return
        self._save_failed = False
        with self._lock:
            self._segments = segments + new
            base = len(segments)
            self._where = {} if not segments else self._where
            for k, seg in enumerate(new, start=base):
                for row, aid in enumerate(seg.rows["ids"].tolist()):
                    self._where[aid] = (k, row)
            for row in fresh:
                if self._fresh.get(row.id) is row:
                    del self._fresh[row.id]
            self._manifest, self._files = manifest, files

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild (tests, benches)."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)

    def close(self) -> None:
        """Stop a background sync after its current batch (saving what it analysed) and wait for it, so no
        thread reads the article store after it is closed; the next sync carries on from there."""
        self._stopping = True
        self.wait()
        self._stopping = False


def _rows(articles: Iterable[Article], analyzer: Analyzer | None = None) -> list[Row]:
    """The rows of the live articles among ``articles`` (deleted, flagged and unstorable ones left out)."""
    rows = []
    for article in articles:
        if article.id is None or article.deleted or article.flagged is not None:
            continue
        found = analyse_article(article, analyzer)
        if storable(article, found):
            rows.append(Row(int(article.id), int(article.seq), len(article.text), found))
    return rows


def _workers_for(backlog: int) -> int:
    """Worker processes for a sync of ``backlog`` articles: only for a long one, on idle cores (a busy
    machine gains nothing from more processes; see :func:`bot.search.documents.idle_cpus`)."""
    if backlog < _PARALLEL_BACKLOG:
        return 0
    from bot.search.documents import idle_cpus

    workers = min(round(idle_cpus()), _MAX_WORKERS)
    return workers if workers >= 2 else 0


def _analysed(chunks: Iterable[list[Article]], workers: int,
              analyzer: Analyzer) -> Iterator[tuple[list[Article], list[Row]]]:  # fmt: skip
    """Each chunk with its rows, analysed here or in ``workers`` spawned processes (same function, same rows)."""
    if workers < 2:
        for chunk in chunks:
            yield chunk, _rows(chunk, analyzer)
        return

    # spawned, not forked: the caller may have threads (the index's warm-up); results keep the chunks' order
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: list[tuple[list[Article], Future[list[Row]]]] = []
        for chunk in chunks:
            pending.append((chunk, pool.submit(_rows, chunk)))
            if len(pending) > 2 * workers:
                done, future = pending.pop(0)
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()


def _say(report: Report | None, message: str) -> None:
    if report is not None:
        report(message)
    else:
        log.info("%s", message)


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    chunk: list[Article] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _compact(segments: list[Segment], where: dict[int, tuple[int, int]], fresh: list[Row]) -> Segment:
    """One segment with the latest row of every article (fresh rows win)."""
    items: dict[int, Row] = {}
    for aid, (k, row) in where.items():
        seg = segments[k]
        items[aid] = Row(aid, int(seg.rows["seqs"][row]), int(seg.rows["lens"][row]), seg.article(row))
    for row in fresh:
        items[row.id] = row
    return pack(list(items.values()))


# -- files -----------------------------------------------------------------------------------------------


def save(root: Path, kept: list[Segment], new: list[Segment], seq: int, rules: str,
         on_disk: dict[str, list[int]]) -> tuple[str, dict[str, list[int]]]:  # fmt: skip
    """Write the new segments, then a manifest naming ``kept + new``, then swap CURRENT; returns the
    manifest's name and the size and CRC32 of every file it names."""
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with dir_lock(root, exclusive=True):
        try:
            files: dict[str, list[int]] = {}
            for seg in kept:
                for part in (*ROW_PARTS, *SENTENCE_PARTS):
                    name = f"seg-{seg.name}.{part}.npy"
                    if name not in on_disk or not (root / name).exists():
                        raise _SegmentGone(name)
                    files[name] = on_disk[name]
            for seg in new:
                for part, arr in (*seg.rows.items(), *seg.sentences.items()):
                    name = f"seg-{seg.name}.{part}.npy"
                    written.append(root / name)
                    files[name] = write_file(root / name, lambda fh, a=arr: np.save(fh, np.ascontiguousarray(a),
                                                                                     allow_pickle=False))  # fmt: skip
            gen = uuid.uuid4().hex[:12]
            mname = f"manifest-{gen}.json"
            manifest = {"format": FORMAT_VERSION, "rules": rules, "seq": seq,
                        "segments": [s.name for s in (*kept, *new)], "files": files}  # fmt: skip
            written.append(root / mname)
            write_file(root / mname, lambda fh: fh.write(dumps(manifest).encode("utf-8")))
            previous = _read_name(root / CURRENT)
            write_file(root / CURRENT, lambda fh: fh.write(mname.encode("ascii")))
            written.clear()
            fsync_dir(root)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        _collect_garbage(root, {mname, previous})
    return mname, files


def load(root: Path, rules: str) -> tuple[dict, list[Segment], dict[str, list[int]]]:
    """Read and verify the live generation: ``(manifest, segments, files)``; SentenceStoreError otherwise."""
    if not (root / CURRENT).exists():
        raise SentenceStoreError(f"no sentence store at {root}")
    with dir_lock(root, exclusive=False):
        mname = _read_name(root / CURRENT)
        if mname is None:
            raise SentenceStoreError(f"no sentence store at {root} (unreadable {CURRENT})")
        try:
            manifest = json.loads((root / mname).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise SentenceStoreError(f"sentence store manifest {root / mname} unreadable: {exc}") from None
        if manifest.get("format") != FORMAT_VERSION:
            raise SentenceStoreError(f"sentence store at {root} has format {manifest.get('format')}, "
                                     f"expected {FORMAT_VERSION}")  # fmt: skip
        if manifest.get("rules") != rules:
            raise SentenceStoreError(f"sentence store at {root} was made by other sentence rules")
        files: dict[str, list[int]] = manifest["files"]
        for name, (size, crc) in files.items():
            path = root / name
            try:
                actual = path.stat().st_size
            except OSError:
                raise SentenceStoreError(f"sentence store file {path} is missing") from None
            if actual != size:
                raise SentenceStoreError(f"sentence store file {path} is truncated or altered: {actual} bytes, "
                                         f"expected {size}")  # fmt: skip
            if checksum(path) != crc:
                raise SentenceStoreError(f"sentence store file {path} is corrupt: checksum mismatch")
        try:
            segments = [
                Segment(name, {p: np.load(root / f"seg-{name}.{p}.npy", mmap_mode="r") for p in ROW_PARTS},
                        {p: np.load(root / f"seg-{name}.{p}.npy", mmap_mode="r") for p in SENTENCE_PARTS})
                for name in manifest["segments"]
            ]  # fmt: skip
        except (OSError, ValueError, KeyError) as exc:
            raise SentenceStoreError(f"sentence store at {root} unreadable: {exc}") from None
    for seg in segments:
        n, ptr = seg.rows["ids"].shape[0], seg.rows["ptr"]
        if any(a.shape[0] != n for p, a in seg.rows.items() if p != "ptr") or ptr.shape[0] != n + 1 or (
            any(a.shape[0] != int(ptr[-1]) for a in seg.sentences.values())
        ):  # fmt: skip
            raise SentenceStoreError(f"sentence store at {root}: segment {seg.name} is inconsistent")
    manifest["name"] = mname
    return manifest, segments, files


def _read_name(path: Path) -> str | None:
    try:
        return path.read_text("ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _collect_garbage(root: Path, keep: set[str | None]) -> None:
    """Delete segments and manifests that neither the live nor the previous generation names."""
    names = {k for k in keep if k}
    for name in list(names):
        try:
            names |= set(json.loads((root / name).read_text("utf-8"))["files"])
        except (OSError, ValueError, KeyError):
            pass
    for entry in root.iterdir():
        if entry.name.startswith(("seg-", "manifest-")) and entry.name not in names:
            entry.unlink(missing_ok=True)


def store_bytes(root: Path) -> int:
    """Bytes on disk of the live generation (and anything else in the directory)."""
    return sum(p.stat().st_size for p in root.iterdir() if p.is_file()) if root.is_dir() else 0
