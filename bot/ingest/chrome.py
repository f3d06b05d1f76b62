"""Site chrome learned from the data: lines that repeat across many articles of the same source.

Newsletter prompts, subscription and consent forms, author bios and "updated" notes are pasted into
thousands of scraped pages. Rather than keep a list of such strings (which rots with every redesign),
ingestion counts, per source, in how many distinct articles each normalised line occurs; a line seen in
at least :data:`MIN_ARTICLES` articles is chrome. Short lines (fewer than :data:`MIN_WORDS` words) are
never chrome, because the ones that repeat are headings and names that belong to the article (the
state names of USA Today's 50-state roundups, "Developments:").

Embedded video widgets are one line each but never the same line twice ("Video Ad Feedback <title>
02:10 - Source: CNN"). They share a fixed head or tail around a media duration, so the same counting
is done on the first two words and the (digit-masked) last three words of lines that carry a media
duration and do not end like a sentence.

Counts are kept in the store (see :meth:`bot.store.state.StateRepo.add_chrome_counts`), each article
counted once even when two ingests offer it, so a feed or single-file ingest benefits from what the
corpus taught, and a re-run of the same ingest sees the same counts and yields identical text.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from bot.store.state import StateRepo

from .clean import ends_like_sentence

MIN_ARTICLES = 20
"""A line must occur in this many distinct articles of one source to be chrome.

Measured on the shared corpus: at 20 every removed line of four or more words is boilerplate (bios,
prompts, consent text, update notes); real sentences repeated across follow-up stories top out around
14 articles (CNN live pages scraped repeatedly), and stay.
"""
MIN_WORDS = 4
MAX_CHARS = 2000
"""Longer lines are article prose, however often they repeat."""

_DURATION = re.compile(
    r"(?<![\d:.,])\d{1,2}:\d{2}(?![\d:])"
    r"(?!\s*(?:[aApP]\.?[mM]\b|[AP]M|ET\b|E[SD]T|C[SD]?T\b|P[SD]?T|M[SD]T|GMT|UTC|BST|CES?T|local))"
)
_DIGIT = re.compile(r"\d")


def _key(text: str) -> int:
    """A stable 64-bit key (Python's hash() is salted per process, so it cannot be persisted)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                          "little", signed=True)  # fmt: skip


def _is_candidate(line: str) -> bool:
    """Long enough to be chrome (lines are single-spaced: spaces + 1 = words), short enough not prose."""
    return line.count(" ") >= MIN_WORDS - 1 and len(line) <= MAX_CHARS


def _widget_parts(line: str) -> tuple[str, str] | None:
    """(head, tail) of a media-widget-shaped line: a media duration, no sentence ending."""
    if ":" not in line or ends_like_sentence(line) or not _DURATION.search(line):
        return None
    words = line.split()
    if len(words) < 3:
        return None
    return " ".join(words[:2]), _DIGIT.sub("0", " ".join(words[-3:]))


def _head_key(head: str) -> int:
    return _key("\x01head\x01" + head)


def _tail_key(tail: str) -> int:
    return _key("\x01tail\x01" + tail)


def article_keys(lines: Iterable[str]) -> set[int]:
    """The distinct countable keys of one article's lines (full lines, widget heads and tails)."""
    keys: set[int] = set()
    for line in lines:
        if _is_candidate(line):
            keys.add(_key(line))
        parts = _widget_parts(line)
        if parts:
            keys.add(_head_key(parts[0]))
            keys.add(_tail_key(parts[1]))
    return keys


class ChromeCounter:
    """First pass: the countable keys of each article not counted yet, by source.

    Articles already counted in the store (by uid) are skipped, which keeps the counts, and hence the
    cleaned text, identical when the same input is ingested again. Keys stay per article until
    :func:`learn` commits them, so the store can add exactly the articles no other ingest counted first.
    """

    def __init__(self, already_counted: set[str]) -> None:
        self._seen = already_counted
        self._keys: dict[str, list[tuple[str, np.ndarray]]] = defaultdict(list)
        self.new_uids: list[str] = []

    def wants(self, uid: str) -> bool:
        """True when this article has not been counted yet (lets callers skip preparing its lines)."""
        return uid not in self._seen

    def add(self, source: str, uid: str, lines: Iterable[str]) -> None:
        """Count one article's lines, unless this article (uid) was counted before."""
        if uid in self._seen:
            return
        self._seen.add(uid)
        self.new_uids.append(uid)
        keys = article_keys(lines)
        if keys:
            self._keys[source].append((uid, np.fromiter(keys, dtype=np.int64, count=len(keys))))

    def rows(self, only: set[str] | None = None) -> Iterator[tuple[str, int, int]]:
        """(source, key, articles) for every key counted (of the articles in ``only``, when given),
        sorted by key for B-tree friendly inserts."""
        for source, pairs in self._keys.items():
            arrays = [keys for uid, keys in pairs if only is None or uid in only]
            if not arrays:
                continue
            keys, counts = np.unique(np.concatenate(arrays), return_counts=True)
            for key, count in zip(keys.tolist(), counts.tolist()):
                yield source, key, count


@dataclass(frozen=True, slots=True)
class Removal:
    """One removed line: which rule removed it and how the summary should show it."""

    rule: str
    shown: str


class ChromeModel:
    """The learned chrome keys per source, and the line filter built on them."""

    def __init__(self, keys_by_source: dict[str, set[int]]) -> None:
        self.keys_by_source = keys_by_source

    @classmethod
    def from_store(cls, state: StateRepo, min_articles: int = MIN_ARTICLES) -> ChromeModel:
        """Load every key seen in at least ``min_articles`` articles of its source."""
        return cls(state.chrome_keys(min_articles))

    def size(self) -> int:
        """How many chrome keys are known (for logs)."""
        return sum(len(keys) for keys in self.keys_by_source.values())

    def strip(self, source: str, lines: list[str]) -> tuple[list[str], list[Removal]]:
        """The lines that are not chrome of ``source``, and what was removed."""
        keys = self.keys_by_source.get(source)
        if not keys:
            return lines, []
        kept: list[str] = []
        removed: list[Removal] = []
        for line in lines:
            if _is_candidate(line) and _key(line) in keys:
                removed.append(Removal("repeated line", line))
                continue
            shown = _widget_match(line, keys)
            if shown:
                removed.append(Removal("media widget", shown))
                continue
            kept.append(line)
        return kept, removed


def _widget_match(line: str, keys: set[int]) -> str | None:
    """How to show a removed widget line, or None when the line is not one.

    A learned head ("Video Ad …") is enough on any line with a media duration: the embedded video's
    title may end with a full stop. A learned tail alone needs the whole widget shape.
    """
    if ":" not in line or not _DURATION.search(line):
        return None
    words = line.split()
    if len(words) < 3:
        return None
    head = " ".join(words[:2])
    if _head_key(head) in keys:
        return f"{head} … (media widget)"
    tail = _DIGIT.sub("0", " ".join(words[-3:]))
    if not ends_like_sentence(line) and _tail_key(tail) in keys:
        return f"… {tail} (media widget)"
    return None


def learn(state: StateRepo, counter: ChromeCounter, min_articles: int = MIN_ARTICLES) -> ChromeModel:
    """Add the first pass's counts to the store (one transaction) and load the resulting model.

    Only the articles no one counted meanwhile are added (see
    :meth:`~bot.store.state.StateRepo.add_chrome_counts`): an article is counted once, whoever counts it.
    """
    if counter.new_uids:
        state.add_chrome_counts(counter.new_uids, counter.rows)
    return ChromeModel.from_store(state, min_articles)
