"""The ingest run: read every source twice, learn chrome in between, store in committed batches.

Pass 1 counts the lines of articles not yet counted (see :mod:`bot.ingest.chrome`) and commits the
counts in one transaction. Pass 2 cleans every record with the learned model and upserts batches of
:data:`BATCH_SIZE` in one transaction each, so a kill loses at most the batch in flight and never
leaves half an article; "committed N records" is reported only after a commit.

The whole run holds the store's ingest lock (:meth:`bot.store.Store.ingest_lock`): a second ingest, from
the CLI or the bot's poller, waits for it (or, for the poller, skips its round), so concurrent ingests
leave exactly the store one ingest leaves. A full disk stops the run with ``summary.stopped`` set; the
batches committed before stay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from bot.models import article_uid
from bot.progress import Progress
from bot.store import DataError, IntegrityError, Store, UpsertResult, is_disk_full

from .build import Built, build_article, normalize_record, prepare_lines, record_source
from .chrome import ChromeCounter, ChromeModel, learn
from .fetch import DEFAULT_TIMEOUT, Fetcher
from .records import Known, RawRecord, RecordIssue
from .sources import FileSource, Source, UrlSource, discover
from .summary import IngestSummary

BATCH_SIZE = 500
log = logging.getLogger(__name__)


def _learn_pass(sources: list[Source], store: Store, progress: Progress) -> tuple[ChromeModel, int]:
    """Count lines of new articles, persist the counts, return the model and how many items were read."""
    counter = ChromeCounter(store.state.chrome_counted_uids())
    items = 0
    progress.start("learning site chrome")
    for source in sources:
        for item in _records(source):
            items += 1
            progress.advance()
            if isinstance(item, RawRecord):
                uid = article_uid(item.url)
                if counter.wants(uid):
                    counter.add(record_source(item), uid, prepare_lines(item))
    model = learn(store.state, counter)
    log.info("chrome: %d new articles counted, %d chrome keys known", len(counter.new_uids), model.size())
    return model, items


class _Batcher:
    """Collects built articles and upserts them in one transaction per batch."""

    def __init__(self, store: Store, summary: IngestSummary, progress: Progress, size: int) -> None:
        self.store = store
        self.summary = summary
        self.progress = progress
        self.size = size
        self.pending: list[Built] = []

    def add(self, built: Built) -> None:
        self.pending.append(built)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            results = self.store.articles.upsert_many([b.article for b in batch])
        except (DataError, IntegrityError, ValueError):
            # One unstorable record must not sink its batch: retry one by one to isolate it.
            results = [self._upsert_one(built) for built in batch]
        for built, result in zip(batch, results):
            if result is None:
                continue
            self.summary.add_outcome(result.outcome)
            self.summary.add_built(built)
        self.progress.committed(self.summary.stored, self.summary.counts_line())

    def _upsert_one(self, built: Built) -> UpsertResult | None:
        try:
            return self.store.articles.upsert(built.article)
        except (DataError, IntegrityError, ValueError) as exc:
            self.summary.add_issue(
                RecordIssue(built.where, f"could not be stored: {type(exc).__name__}: {exc}"[:200])
            )
            return None


def _records(source: Source) -> Iterator[RawRecord | RecordIssue | Known]:
    """A source's items; a reader that breaks on hostile input ends that source with one issue."""
    try:
        for item in source.records():
            yield normalize_record(item) if isinstance(item, RawRecord) else item
    except Exception as exc:  # never a traceback for one bad input
        log.debug("reading %s failed", source.where, exc_info=True)
        yield RecordIssue(source.where, f"reading failed: {type(exc).__name__}: {exc}"[:200])


def _build(item: RawRecord, model: ChromeModel, today: date | None) -> Built | RecordIssue:
    try:
        return build_article(item, prepare_lines(item), model, today)
    except Exception as exc:  # one record's surprise is that record's error
        log.debug("cleaning %s failed", item.where, exc_info=True)
        return RecordIssue(item.where, f"cleaning failed: {type(exc).__name__}: {exc}"[:200])


def _store_pass(
    sources: list[Source], store: Store, model: ChromeModel, summary: IngestSummary, progress: Progress,
    total: int, batch_size: int, today: date | None,
) -> None:  # fmt: skip
    batcher = _Batcher(store, summary, progress, batch_size)
    progress.start("storing", total)
    for source in sources:
        failed_before = summary.failed
        for item in _records(source):
            progress.advance()
            if isinstance(item, Known):
                summary.unchanged += 1
                continue
            if isinstance(item, RecordIssue):
                summary.add_issue(item)
                continue
            built = _build(item, model, today)
            if isinstance(built, RecordIssue):
                summary.add_issue(built)
            else:
                batcher.add(built)
        batcher.flush()  # this source's records are durable before its feed state is saved
        source.finish(store.state, failed=summary.failed > failed_before)
        if isinstance(source, FileSource) and source.skipped:
            summary.skipped_files += 1
        if isinstance(source, UrlSource) and source.not_modified:
            summary.not_modified += 1


def ingest(
    paths_or_urls: Iterable[str | Path],
    store: Store,
    *,
    feeds: Iterable[str] = (),
    progress: bool = False,
    fetcher: Fetcher | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    batch_size: int = BATCH_SIZE,
    today: date | None = None,
    skip_unchanged_files: bool = False,
    wait: bool = True,
) -> IngestSummary:
    """Ingest files, directories, article URLs and feed URLs into ``store``; never raises per record.

    ``paths_or_urls`` may mix paths and URLs (a URL is treated as a feed when it serves a feed, else as
    an article page); ``feeds`` are URLs that must be feeds. ``progress`` shows a bar on a terminal
    (stderr) or log lines otherwise. ``skip_unchanged_files`` skips files fully ingested before and
    not modified since (for pollers; a plain re-run reports every record unchanged instead). Summary-only
    feed entries whose article is already stored are not fetched again. While another ingest runs on
    the store this one waits for it, or with ``wait=False`` raises :class:`~bot.store.LockBusy` at once.
    Returns the summary; ``summary.exit_status`` is 1 if anything failed or the disk filled up.
    """
    started = time.monotonic()
    summary = IngestSummary()
    reporter = Progress(progress)
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(timeout=timeout)

    def waiting(holder: str) -> None:
        message = f"waiting for another ingest into this store to finish ({holder})"
        if reporter.enabled:
            reporter.note(message)
        else:
            log.info("%s", message)

    try:
        with store.ingest_lock(wait=wait, on_wait=waiting):

            def known(url: str) -> bool:  # stored in full; a feed's summary stored instead is fetched again
                stored = store.articles.get_by_url(url)
                return stored is not None and not stored.summary

            sources = discover(paths_or_urls, list(feeds), fetcher, store.state, known, skip_unchanged_files)
            summary.inputs = len(sources)
            model, total = _learn_pass(sources, store, reporter)
            summary.chrome_keys = model.size()
            _store_pass(sources, store, model, summary, reporter, total, batch_size, today)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        where = exc.filename or store.db.label
        summary.stopped = f"the disk holding {where} is full"
        log.info("ingest stopped: %s; %d records committed before stay stored", summary.stopped,
                 summary.stored)  # fmt: skip
    finally:
        reporter.close()
        if own_fetcher:
            fetcher.close()
    summary.seconds = time.monotonic() - started
    log.info("%s", summary.counts_line())
    return summary
