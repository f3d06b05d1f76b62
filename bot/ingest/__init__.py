"""Ingestion: scraped pages, JSON Lines, HTML pages and RSS/Atom feeds into the article store.

Public entry points:

- :func:`ingest` ingests paths (files, directories) and URLs (feeds, article pages) and returns an
  :class:`IngestSummary`;
- :func:`ensure_bundled_corpus` ingests the configured corpus when the store is still empty (the
  ``ask`` and ``run`` commands call it on first use).

Cleaning removes site chrome learned from the data (see :mod:`bot.ingest.chrome`) and flags pages
without a real body; see :mod:`bot.ingest.clean` for the rules that need no learning.

One module per source (:mod:`~bot.ingest.scraped`, :mod:`~bot.ingest.jsonl`, :mod:`~bot.ingest.html`,
:mod:`~bot.ingest.feeds` with :mod:`~bot.ingest.fetch`), the pipeline that runs them
(:mod:`~bot.ingest.pipeline`, :mod:`~bot.ingest.build`, :mod:`~bot.ingest.sources`), and cleaning
(:mod:`~bot.ingest.clean`, :mod:`~bot.ingest.chrome`, :mod:`~bot.ingest.furniture`).

May import :mod:`bot.store`, :mod:`bot.models`, :mod:`bot.config` and :mod:`bot.progress`; never
:mod:`bot.search`, :mod:`bot.answer`, :mod:`bot.subscribe`, :mod:`bot.chat` or ``telegram``. The running
bot polls feeds through :mod:`bot.heartbeat`, not from :mod:`bot.chat`.
"""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.store import Store

from .pipeline import BATCH_SIZE, ingest
from .records import RawRecord, RecordIssue
from .summary import IngestSummary

__all__ = ["BATCH_SIZE", "IngestSummary", "RawRecord", "RecordIssue", "ensure_bundled_corpus", "ingest"]

log = logging.getLogger(__name__)


def ensure_bundled_corpus(settings: Settings, store: Store, progress: bool = False) -> IngestSummary | None:
    """Ingest ``settings.corpus_paths`` if the store holds no article yet; None when it already does.

    Lets a fresh checkout answer questions at once, without a separate set-up step.
    """
    if store.articles.count(include_flagged=True) > 0:
        return None
    # checked again under the ingest lock: an ingest elsewhere may be filling this empty store right now
    with store.ingest_lock(on_wait=lambda holder: log.warning("waiting for the ingest of %s", holder)):
        if store.articles.count(include_flagged=True) > 0:
            return None
        log.info("store is empty: ingesting the bundled corpus from %s", ", ".join(settings.corpus_paths))
        summary = ingest(settings.corpus_paths, store, progress=progress)
    log.info("bundled corpus: %s", summary.counts_line())
    return summary
