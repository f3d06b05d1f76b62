"""An article's sentences and what each holds: the question-independent half of quoting, computed once.

:func:`analyse` splits a text into sentences and records, per sentence, its character span, where it starts
among the text's chunks (the runs between separators of :func:`bot.search.analyzer.split_bytes`), its shape (ends in "?", has no end
punctuation, a line break follows it, it lies on page furniture) and how many distinct names (terms of
capitalised words) and numbers it holds. That is all an answer needs from an article besides the question's
own terms, and it is what the sentence store (:mod:`bot.answer.sentence_store`) keeps on disk beside the
search index, so answering a question no longer splits and analyses its candidate articles again.

Where the question's terms are is found at question time from the text (:func:`question_rows`): the text's
chunks map to terms through the analyzer's chunk cache, and each chunk to its sentence by its index. That equals analysing each sentence on its own when no chunk straddles two sentences and every
name of a sentence is among its terms; :attr:`ArticleSentences.chunked` records whether that holds, and
when it does not (a closing quote and a no-break space, for instance) the sentences are analysed one by
one, as before. Either way the features are bit for bit those of the previous per-question analysis.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.ingest.furniture import LOOSE_MAX_WORDS, LOOSE_MIN_WORDS, classify_lines, is_loose_headline
from bot.search.analyzer import Analyzer, split_bytes
from bot.search.chunks import chunk_spans

Analyze = Callable[[str], list[str]]

CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")
END = frozenset(".!?…:;\"'”’)]")

ASK, HEADING, FURNITURE, BREAK = 1, 2, 4, 8  # bits of ArticleSentences.flags

# Abbreviations that end in a period without ending the sentence (news style: "U.S.", "Gov.", "Jan.").
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "st", "jr", "sr",
    "no", "vs", "inc", "corp", "co", "ltd", "mt", "ft", "jan", "feb", "mar", "apr", "aug", "sept", "sep",
    "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "d.c", "a.m", "p.m", "approx", "est", "dept",
    "rev", "hon", "pres", "supt", "atty", "ave", "blvd", "rd",
}  # fmt: skip
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n+")
_WORD_BEFORE = re.compile(r"([A-Za-z]+(?:\.[A-Za-z]+)*)$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, whitespace excluded.

    Rule-based on purpose: it must be fast over thousands of passages per question, and news prose is
    regular. A period after a known abbreviation or a single capital ("J. Smith") does not end a sentence.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group().startswith(".") and _is_abbreviation(text, m.start()):
            continue
        _add_span(text, start, m.end(), spans)
        start = m.end()
    _add_span(text, start, len(text), spans)
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    before = _WORD_BEFORE.search(text[max(0, dot - 12) : dot])
    if not before:
        return False
    word = before.group(1)
    return word.lower() in _ABBREV or (len(word) == 1 and word.isupper())


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


@dataclass(frozen=True, slots=True)
class ArticleSentences:
    """The question-independent analysis of one article (arrays with one entry per sentence)."""

    starts: np.ndarray  # character offset of each sentence (int64)
    ends: np.ndarray
    first_chunks: np.ndarray  # index of each sentence's first chunk among the text's chunks (int64)
    flags: np.ndarray  # uint8: ASK | HEADING | FURNITURE | BREAK (a line break before the next sentence)
    n_names: np.ndarray  # distinct name terms (int64)
    n_names_untitled: np.ndarray  # ... that are not terms of the title
    n_numbers: np.ndarray  # distinct number terms
    chunked: bool  # terms may be located by chunk (see the module docstring)

    @property
    def size(self) -> int:
        """Number of sentences."""
        return int(self.starts.shape[0])

    @property
    def breaks(self) -> np.ndarray:
        """1 where a line break separates sentence i from i + 1 (int8, one fewer than sentences)."""
        return ((self.flags[:-1] & BREAK) != 0).astype(np.int8)

    @property
    def asks(self) -> np.ndarray:
        """1.0 where the sentence ends in "?"."""
        return ((self.flags & ASK) != 0).astype(np.float64)

    @property
    def headings(self) -> np.ndarray:
        """1.0 where the sentence has no end punctuation (a heading, caption, byline)."""
        return ((self.flags & HEADING) != 0).astype(np.float64)

    @property
    def furniture(self) -> np.ndarray:
        """True where the sentence lies on page furniture: no quote holds it."""
        return (self.flags & FURNITURE) != 0


def analyse(title: str, text: str, analyzer: Analyzer) -> ArticleSentences:
    """Split ``text`` into sentences and record what :class:`ArticleSentences` holds."""
    spans = split_sentences(text)
    n = len(spans)
    starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=n)
    ends = np.fromiter((e for _, e in spans), dtype=np.int64, count=n)
    byte_starts, byte_ends = _byte_spans(text, spans)
    data = split_bytes(text)
    chunk_starts, chunk_ends = chunk_spans(data)
    home = np.searchsorted(byte_starts, chunk_starts, "right") - 1
    chunked = bool(
        n and (home >= 0).all() and (chunk_ends <= byte_ends[np.maximum(home, 0)]).all()
    ) or (n == 0)
    first_chunks = np.searchsorted(home, np.arange(n), "left").astype(np.int64) if chunked else np.zeros(n, np.int64)
    if chunked:
        terms: list[list[str]] = [[] for _ in range(n)]
        for k, found in zip(home.tolist(), map(analyzer.chunk_lookup, data.split())):
            if found:
                terms[k].extend(found)
    else:
        terms = [analyzer.analyze(text[s:e]) for s, e in spans]
    names = sentence_names(text, starts, analyzer.word_terms)
    if chunked:
        chunked = all(names_i <= set(terms_i) for names_i, terms_i in zip(names, terms) if names_i)
    title_terms = set(analyzer.analyze(title))
    headings = [text[e - 1] not in END for e in ends.tolist()]
    breaks = [("\n" in text[spans[i][1] : spans[i + 1][0]]) for i in range(n - 1)]
    furniture = furniture_mask(text, spans, breaks, headings, terms)
    flags = np.zeros(n, dtype=np.uint8)
    for i, (_, e) in enumerate(spans):
        flags[i] = ((ASK if text[e - 1] == "?" else 0) | (HEADING if headings[i] else 0)
                    | (FURNITURE if furniture[i] else 0) | (BREAK if i < n - 1 and breaks[i] else 0))  # fmt: skip
    return ArticleSentences(
        starts, ends, first_chunks, flags,
        np.fromiter(map(len, names), dtype=np.int64, count=n),
        np.fromiter((len(s - title_terms) for s in names), dtype=np.int64, count=n),
        np.fromiter((len({t for t in ts if t[0].isdigit()}) for ts in terms), dtype=np.int64, count=n),
        chunked,
    )  # fmt: skip


def _byte_spans(text: str, spans: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 offsets of the sentence spans (character offsets for an ASCII text)."""
    starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
    ends = np.fromiter((e for _, e in spans), dtype=np.int64, count=len(spans))
    if text.isascii():
        return starts, ends
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    sizes = 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return offsets[starts], offsets[ends]


def sentence_names(text: str, starts: np.ndarray, word_terms: Callable[[str], tuple[str, ...]]) -> list[set[str]]:
    """Per sentence, the distinct terms of its capitalised words.

    One pass over the whole text: a sentence begins after whitespace and ends before it, so a capitalised
    word never spans two sentences and its look-behind sees what it would see in the sentence alone.
    """
    bounds = starts.tolist()
    names: list[set[str]] = [set() for _ in bounds]
    for m in CAPITALISED.finditer(text):
        names[bisect_right(bounds, m.start()) - 1].update(word_terms(m.group().lower()))
    return names


def furniture_mask(
    text: str, spans: Sequence[tuple[int, int]], breaks: Sequence[bool], headings: Sequence[bool],
    sentence_terms: Sequence[Sequence[str]],
) -> list[bool]:  # fmt: skip
    """Per sentence: whether it lies on a furniture line (see :mod:`bot.ingest.furniture`).

    Ingest already removes the furniture it can tell by shape; this is the quote-time half: lines that
    need their neighbours to be judged (a related headline without a label), and stores ingested before
    the rules existed.
    """
    n = len(spans)
    furniture = [False] * n
    lines: list[tuple[int, int]] = []  # sentence ranges [a, b) of each line
    a = 0
    for i in range(n):
        if i == n - 1 or breaks[i]:
            lines.append((a, i + 1))
            a = i + 1
    texts = [text[spans[a][0] : spans[b - 1][1]] for a, b in lines]
    classes = classify_lines(texts)
    story = [k for k, cls in enumerate(classes) if cls is None]  # what a heading may head
    for k, ((a, b), line, cls) in enumerate(zip(lines, texts, classes)):
        if cls is not None:
            furniture[a:b] = [True] * (b - a)
        elif (
            headings[b - 1]
            and LOOSE_MIN_WORDS <= line.count(" ") + 1 <= LOOSE_MAX_WORDS
            and (b - a == 1 or (b - a == 2 and line[spans[a][1] - spans[a][0] - 1] == "?"))
        ):  # a heading ('Why remake it? Director explains' too), or a link to another story
            after = story[bisect_right(story, k) :][:2]
            following = [t for j in after for i in range(*lines[j]) for t in sentence_terms[i]]
            own = [t for i in range(a, b) for t in sentence_terms[i]]
            furniture[a:b] = [bool(after) and is_loose_headline(line, own, following)] * (b - a)
    return furniture
