"""Read the shared JSON Lines corpus into Articles without a store, for the search bench and tests.

The real pipeline is ``bot.ingest`` (site chrome learned from the data, flagged pages). The search layer
only needs realistic passages to measure speed and parity, so this applies a light, fixed cleaning:
whitespace squashed inside lines, one paragraph per line, a few well-known boilerplate lines dropped,
pages with almost no words flagged.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from bot.models import Article

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_NEWS = REPO_ROOT.parent / "shared" / "data" / "news"
SHARED_ARTICLES = SHARED_NEWS / "articles.jsonl.gz"
SHARED_QUESTIONS = SHARED_NEWS / "questions-dev.jsonl"

_SPACES = re.compile(r"[ \t\u00a0\u2009\u200a\u202f]+")
_BOILERPLATE = re.compile(
    r"^(?:[\w .,]{0,40}CNN(?: Business)?\s*[—-]|JUST WATCHED|Replay|More Videos.*|Ad Feedback|Video Ad Feedback"
    r"|Close dialog|Sign up.*newsletter.*|Already a subscriber\?.*|Advertisement)$",
    re.IGNORECASE,
)
MIN_BODY_WORDS = 30


def clean_text(text: str) -> str:
    """One paragraph per non-blank line, spaces squashed, known boilerplate lines dropped."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n\n".join(line for line in lines if line and not _BOILERPLATE.match(line))


def read_articles(path: Path | str = SHARED_ARTICLES, limit: int | None = None) -> Iterator[Article]:
    """Articles of a (gzipped) JSON Lines corpus, ids 1, 2, ... in file order, lightly cleaned."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for n, line in enumerate(fh, start=1):
            if limit is not None and n > limit:
                return
            rec = json.loads(line)
            text = clean_text(rec.get("text") or "")
            yield Article(
                id=n,
                seq=n,
                url=rec["url"],
                title=(rec.get("title") or "").strip(),
                text=text,
                published=date.fromisoformat(rec["published"]),
                source=rec.get("source") or "",
                flagged=None if len(text.split()) >= MIN_BODY_WORDS else "too short",
            )


def read_questions(path: Path | str = SHARED_QUESTIONS) -> list[dict]:
    """Question records (see the data README)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"',
                         "‟": '"', "″": '"'})  # fmt: skip
_WS = re.compile(r"\s+")


def normalize_answer_text(text: str) -> str:
    """The data README's normalization for answer matching (curly quotes, whitespace, lower case)."""
    return _WS.sub(" ", text.translate(_QUOTES)).strip().lower()


def normalize_answer(answer: str) -> str:
    """Normalized answer with quote characters stripped from both ends."""
    return normalize_answer_text(answer).strip("'\"")
