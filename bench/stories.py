"""Benchmark: precision and recall of the story grouping on the 200 hand-labelled article pairs.

    python bench/stories.py --articles ../shared/data/news/articles.jsonl.gz

Ingests the part of the corpus published within two days of a labelled pair's articles (about 9k
articles) into a temporary store, builds the article index, groups the articles into stories the way the
bot does (in the corpus's order), and ends with one line of ``key=value`` figures: precision and recall on
all 200 pairs, the same on the pairs whose two articles the bot keeps (``kept_``; a page without article
text is never shown nor grouped), and the seconds of each step, with the grouping's time as a ratio to
the index build measured in the same run. Targets: precision >= 0.95, recall >= 0.8.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.stories.evaluate import PAIRS, evaluate_on_corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", required=True, type=Path, help="the shared corpus (.jsonl.gz)")
    parser.add_argument("--pairs", type=Path, default=PAIRS, help="labelled pairs (JSON Lines)")
    parser.add_argument(
        "--keep", type=Path, default=None, help="work in this directory instead of a temporary one"
    )
    args = parser.parse_args(argv)
    if not args.articles.exists():
        print(f"error: {args.articles} does not exist", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newsbot-stories-") as tmp:
        result = evaluate_on_corpus(args.articles, args.keep or Path(tmp), args.pairs, progress=True)
    print(result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
