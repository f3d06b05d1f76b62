"""Benchmark: ingest a whole corpus into a fresh temporary data directory.

    python bench/ingest.py --articles ../shared/data/news/articles.jsonl.gz

Shows the progress bar on a terminal, prints the ingest summary, and ends with one line of
``key=value`` figures (articles, seconds, articles_per_s, peak_rss_mb, removed_lines, flagged_pages).
Target: the 26k-article shared corpus in at most 2 minutes on the 2-core project machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.ingest import ingest
from bot.store import Store


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", required=True, type=Path, help="a .jsonl/.jsonl.gz file or a directory")
    parser.add_argument(
        "--keep", type=Path, default=None, help="use this data directory instead of a temporary one"
    )
    args = parser.parse_args(argv)
    if not args.articles.exists():
        print(f"error: {args.articles} does not exist", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        data_dir = args.keep or Path(tmp)
        store = Store(data_dir / "newsbot.sqlite3")
        started = time.monotonic()
        summary = ingest([args.articles], store, progress=True)
        seconds = time.monotonic() - started
        articles = store.articles.count(include_flagged=True)
        store.close()
    print(summary.format())
    print(
        f"articles={articles} seconds={seconds:.1f} articles_per_s={articles / seconds:.0f} "
        f"peak_rss_mb={peak_rss_mb():.0f} removed_lines={summary.removed_lines} flagged_pages={summary.flagged}"
    )
    return summary.exit_status


if __name__ == "__main__":
    sys.exit(main())
