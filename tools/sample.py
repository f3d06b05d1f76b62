"""Read the shared JSON Lines corpus into Articles without a store, for the search tests and bench.

Records go through ``bot.ingest``'s own cleaning (sanitizing, one paragraph per line, time stamps and
datelines, flagging) record by record. Only the site chrome that ingest *learns* over a whole corpus is not
removed here: the search tests need realistic passages, not a store, and learning needs every article.
Answers are matched with :func:`bot.answer.evaluate.normalize_answer`, the eval's one definition.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from bot.models import Article

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_NEWS = REPO_ROOT.parent / "shared" / "data" / "news"
SHARED_ARTICLES = SHARED_NEWS / "articles.jsonl.gz"
SHARED_QUESTIONS = SHARED_NEWS / "questions-dev.jsonl"


def read_articles(path: Path | str = SHARED_ARTICLES, limit: int | None = None) -> Iterator[Article]:
    """Cleaned articles of a (gzipped) JSON Lines corpus, ids 1, 2, ... in file order (bad records skipped)."""
    from bot.ingest.build import Built, build_article, normalize_record, prepare_lines
    from bot.ingest.chrome import ChromeModel
    from bot.ingest.jsonl import parse_line
    from bot.ingest.records import RawRecord

    no_chrome = ChromeModel({})
    opener = gzip.open if str(path).endswith(".gz") else open
    n = 0
    with opener(path, "rb") as fh:  # type: ignore[operator]
        for line_no, line in enumerate(fh, start=1):
            raw = parse_line(line, f"{path}:{line_no}")
            if not isinstance(raw, RawRecord):
                continue
            raw = normalize_record(raw)
            built = build_article(raw, prepare_lines(raw), no_chrome)
            if not isinstance(built, Built):
                continue
            n += 1
            if limit is not None and n > limit:
                return
            built.article.id = built.article.seq = n
            yield built.article


def read_questions(path: Path | str = SHARED_QUESTIONS) -> list[dict]:
    """Question records (see the data README)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
