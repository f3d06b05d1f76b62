"""`python -m bot ingest PATH_OR_URL...`: load articles into the store and print one summary.

Without arguments it ingests the configured corpus paths and feed URLs. Exit status 0 when every record
was ingested, 1 when some failed (each failure is listed with its file:line or URL and the reason).

Then it brings the search index up to date and saves it, with progress like the ingest's, so the next
``ask`` (or ``run``) loads a ready index instead of building it silently on the user's first question.
"""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings, load_settings
from bot.ingest import BATCH_SIZE, ingest
from bot.ingest.fetch import DEFAULT_TIMEOUT
from bot.store import Store, StoreError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `ingest` subcommand."""
    p = sub.add_parser(
        "ingest",
        help="ingest scraped pages, JSON Lines (.jsonl/.jsonl.gz), HTML pages and RSS/Atom feeds",
        description="Ingest files, directories (every supported file in them), article URLs and feed URLs. "
        "Without arguments: the configured corpus paths and feed URLs.",
    )
    p.add_argument(
        "inputs", nargs="*", metavar="PATH_OR_URL", help="file, directory, article URL or feed URL"
    )
    p.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="a URL that must be an RSS/Atom feed"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds per HTTP request (default %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines on stderr")
    p.add_argument("--no-index", action="store_true",
                   help="leave the search index as it is (the next ask or run brings it up to date)")
    p.add_argument("--top", type=int, default=5, help="how many most-removed chrome lines to list")
    p.add_argument(
        "--batch-size",
        type=int,
        default=BATCH_SIZE,
        help="records per committed transaction (default %(default)s)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Ingest and print the summary; the exit status says whether any record failed."""
    settings = load_settings()
    inputs = list(args.inputs)
    feeds = list(args.feed)
    if not inputs and not feeds:
        inputs = list(settings.corpus_paths)
        feeds = list(settings.feed_urls)
    try:
        store = Store.from_settings(settings)
    except (StoreError, OSError) as exc:
        print(f"error: cannot open the store at {settings.database_label}: {exc}", file=sys.stderr)
        return 2
    try:
        summary = ingest(
            inputs,
            store,
            feeds=feeds,
            progress=not args.no_progress,
            timeout=args.timeout,
            batch_size=max(1, args.batch_size),
        )
        if not args.no_index and summary.stopped is None:  # a full disk has no room for an index either
            _update_index(settings, progress=not args.no_progress)
    finally:
        store.close()
    print(summary.format(top=args.top), flush=True)
    return summary.exit_status


def _update_index(settings: Settings, *, progress: bool) -> None:
    """Index what the ingest stored, save the index in the data directory, analyse the new articles'
    sentences and group them into stories, so the next ``ask`` or ``run`` starts from ready data (nothing
    to do: no output)."""
    if settings.search_backend != "index":
        return  # the reference backend keeps nothing on disk
    from bot.cli import notice
    from bot.services import open_services

    services = open_services(settings, ingest_bundled=False, report=notice if progress else None)
    try:
        services.sync_sentences(wait=True)  # the sentences of what was stored are analysed now, not later
    finally:
        services.close()
