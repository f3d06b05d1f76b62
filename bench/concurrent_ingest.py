"""Drill: several `python -m bot ingest` processes at once on one data directory, against one clean ingest.

    python bench/concurrent_ingest.py --articles ../shared/data/news/articles.jsonl.gz [--processes 3]

Ingests the corpus once into a fresh data directory (the reference), then starts ``--processes``
ingests of the same corpus at the same moment into a second one; while they run, the bot's poller
path (``ingest(..., wait=False)`` on a watched folder) tries its round and must skip it. Compares what
a user would notice: the content digest (every article's stored text, title, date, flag; every
duplicate), the learned chrome statistics (keys, sum of article counts, articles counted), live
articles and duplicates. Ends with one ``key=value`` line; ``equal=1`` when everything matches, and
``ratio`` is the concurrent wall time over the clean one, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest import ingest
from bot.store import LockBusy, Store


def fingerprint(data_dir: Path) -> dict[str, object]:
    """What the store holds, independent of ids, order of writes and timestamps."""
    store = Store(data_dir / "newsbot.sqlite3")
    try:
        keys, total, counted = store.state.chrome_totals()
        return {"digest": store.articles.digest(), "chrome_keys": keys, "chrome_sum": total,
                "chrome_counted": counted, "articles": store.articles.count(include_flagged=True),
                "duplicates": store.articles.duplicate_count()}  # fmt: skip
    finally:
        store.close()


def run_ingests(articles: Path, data_dir: Path, processes: int) -> tuple[float, list[str]]:
    """Start ``processes`` CLI ingests at once; wall seconds and each one's summary line."""
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    procs = [
        subprocess.Popen([sys.executable, "-m", "bot", "ingest", "--no-progress", str(articles)], env=env,
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    outs = [p.communicate() for p in procs]
    seconds = time.monotonic() - started
    for p, (out, err) in zip(procs, outs):
        if p.returncode != 0:
            raise SystemExit(f"an ingest failed ({p.returncode}):\n{out}\n{err[-2000:]}")
    return seconds, [out.splitlines()[0] for out, _ in outs]


def poller_round(data_dir: Path, folder: Path, delay: float, result: dict[str, str]) -> None:
    """The bot's poller path, once, while the ingests run: it must skip, not ingest alongside them.

    Its round comes ``delay`` seconds after the first ingest took the store's ingest lock (the lock file
    then names its holder).
    """
    lock = data_dir / "newsbot.sqlite3.ingest.lock"
    while not (lock.exists() and lock.stat().st_size):
        time.sleep(0.05)
    time.sleep(delay)
    store = Store(data_dir / "newsbot.sqlite3")
    try:
        summary = ingest([folder], store, wait=False)
        result["poller"] = f"ran: {summary.counts_line()}"
    except LockBusy as busy:
        result["poller"] = f"skipped ({busy.holder})"
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", required=True, type=Path, help="a .jsonl/.jsonl.gz file or a directory")
    parser.add_argument("--processes", type=int, default=3, help="ingests started at once (default 3)")
    parser.add_argument("--poll-after", type=float, default=2.0,
                        help="seconds after the first ingest starts that the poller's round comes")
    args = parser.parse_args(argv)
    if not args.articles.exists():
        print(f"error: {args.articles} does not exist", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newsbot-concurrent-") as tmp:
        clean_dir, busy_dir, folder = Path(tmp) / "clean", Path(tmp) / "concurrent", Path(tmp) / "watched"
        folder.mkdir()
        (folder / "one.jsonl").write_text(json.dumps({
            "url": "https://example.org/poller-article", "title": "Poller article", "published": "2024-01-02",
            "text": "A watched folder gained one article while the ingests ran, officials said.",
        }) + "\n", encoding="utf-8")  # fmt: skip
        clean_s, clean_lines = run_ingests(args.articles, clean_dir, 1)
        clean = fingerprint(clean_dir)
        polled: dict[str, str] = {}
        poller = threading.Thread(target=poller_round, args=(busy_dir, folder, args.poll_after, polled))
        poller.start()
        busy_s, busy_lines = run_ingests(args.articles, busy_dir, args.processes)
        poller.join()
        busy = fingerprint(busy_dir)
    print(f"clean ingest ({clean_s:.1f} s): {clean_lines[0]}")
    for line in busy_lines:
        print(f"concurrent ingest: {line}")
    print(f"poller round during the ingests: {polled.get('poller')}")
    for key in clean:
        mark = "" if clean[key] == busy[key] else "   <-- differs"
        print(f"{key:>15}: clean {clean[key]}  concurrent {busy[key]}{mark}")
    equal = clean == busy
    skipped = polled.get("poller", "").startswith("skipped")
    print(
        f"processes={args.processes} equal={int(equal)} digest_equal={int(clean['digest'] == busy['digest'])} "
        f"chrome_sum_clean={clean['chrome_sum']} chrome_sum_concurrent={busy['chrome_sum']} "
        f"articles_clean={clean['articles']} articles_concurrent={busy['articles']} "
        f"duplicates_clean={clean['duplicates']} duplicates_concurrent={busy['duplicates']} "
        f"poller_skipped={int(skipped)} clean_s={clean_s:.1f} concurrent_s={busy_s:.1f} ratio={busy_s / clean_s:.2f}"
    )
    return 0 if equal and skipped else 1


if __name__ == "__main__":
    sys.exit(main())
