"""The objects a running bot needs, opened once: settings, store, search index and answerer.

The one place that builds them. The Telegram layer, the CLI and the answer worker processes all call
:func:`open_services` and get a ready :class:`Services`: on a fresh clone the store is empty, so the
bundled corpus is ingested first (a fresh checkout answers at once), and the search index is loaded from
the data directory or built from the store and caught up with it, and new articles are grouped into
stories (:mod:`bot.stories`) whenever the index catches up. ``read_only=True`` (an answer worker) opens
the same objects but writes nothing: no ingest, no story grouping, the index never saved.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from bot.answer.pipeline import Answerer
from bot.answer.rank import RankConfig
from bot.answer.sentence_store import STORE_DIR, SentenceStore
from bot.config import Settings, load_settings
from bot.ingest import ensure_bundled_corpus
from bot.search.retriever import Report, Retriever, make_retriever
from bot.store import Store
from bot.stories import StoryGrouper, TermWeights

log = logging.getLogger(__name__)

ANNOUNCED_STORY_BACKLOG = 2000
"""Articles left to group above which a command line is told first (about five seconds of work)."""


@dataclass
class Services:
    """Settings, store, retriever and answerer, closed together by :meth:`close`."""

    settings: Settings
    store: Store
    retriever: Retriever
    answerer: Answerer
    stories: StoryGrouper | None = None
    read_only: bool = False
    _closed: bool = field(default=False, repr=False)

    def refresh(self) -> int:
        """Bring the search index up to date with the store (after an ingest) and group new articles into
        stories (not when read-only); returns the index changes applied."""
        changed = self.retriever.refresh()
        if not self.read_only:
            self.sync_sentences()
            self.group_stories()
        return changed

    def sync_sentences(self, report: Report | None = None, wait: bool = False) -> int:
        """Analyse the sentences of new articles once, into the sentence store beside the index (a long
        backlog, or a store to rebuild, goes to a background thread unless ``wait``)."""
        sentences = self.answerer.sentences
        if sentences is None or self.read_only:
            return 0
        try:
            return sentences.sync(self.store, report, wait=wait)
        except Exception:  # answers analyse articles live meanwhile, as before
            log.exception("updating the sentence store failed")
            return 0

    def group_stories(self, report: Report | None = None) -> int:
        """Assign new articles to stories (after the index, whose term statistics weigh the words).

        ``report`` is told first when the backlog is long (about a minute for 26k articles), so a command
        line never waits without a word."""
        if self.stories is None:
            self.stories = StoryGrouper(self.store, TermWeights.of_retriever(self.retriever))
        backlog = self.store.articles.max_seq() - self.store.stories.marker()
        if report is not None and backlog >= ANNOUNCED_STORY_BACKLOG:
            report(f"stories: grouping up to {backlog} new article(s) into stories (once, after an ingest)")
        try:
            return self.stories.update()
        except Exception:  # grouping must never stop answers or pushes: articles stay their own story
            log.exception("grouping articles into stories failed")
            return 0

    def close(self) -> None:
        """Save the index if it changed and close the store (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.answerer.sentences is not None:
                self.answerer.sentences.close()  # its background sync reads the store: stopped first
            closer = getattr(self.retriever, "close", None)
            if callable(closer):
                closer()
        finally:
            self.store.close()


def open_services(
    settings: Settings | None = None, *, ingest_bundled: bool = True, config: RankConfig | None = None,
    report: Report | None = None, read_only: bool = False,
) -> Services:  # fmt: skip
    """Open the store, ingest the bundled corpus when the store is empty, load or build the index.

    ``report`` (a command line's stderr) is told about each long first-use step as it starts, with
    progress, so the first ``ask`` on a fresh clone says why it takes a while; a service logs instead.
    ``read_only`` (an answer worker beside a bot process that owns the index): nothing is ingested,
    grouped or saved; the saved index is read and caught up with the store in memory.
    """
    settings = settings or load_settings()
    store = Store.from_settings(settings)
    try:
        if ingest_bundled and not read_only:
            if report is not None and store.articles.count(include_flagged=True) == 0:
                report(f"first use: the store is empty; ingesting {', '.join(settings.corpus_paths) or 'nothing'} "
                       f"into {settings.database_label}")  # fmt: skip
            summary = ensure_bundled_corpus(settings, store, progress=report is not None)
            if summary is not None:
                log.info("ingested the bundled corpus into an empty store")
        started = time.perf_counter()
        retriever = make_retriever(settings, store, report=report, read_only=read_only)
        if not read_only:
            log.info("search index ready in %.1f s (loaded or built, then caught up to store change %s)",
                     time.perf_counter() - started, retriever.seq)  # fmt: skip
        # an answer worker reads the sentence store (and picks up newer generations); the bot process writes it
        sentences = SentenceStore.open(settings.index_dir / STORE_DIR, writable=not read_only)
        answerer = Answerer(store, retriever, config=config, sentences=sentences)
        services = Services(settings, store, retriever, answerer, read_only=read_only)
        if not read_only:
            services.sync_sentences(report, wait=report is not None)  # a command line waits; a service does not
            services.group_stories(report)
    except BaseException:
        store.close()
        raise
    return services
