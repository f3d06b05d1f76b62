"""Today's per-article analysis and window features, frozen as they were before #18 (precomputed sentences).

The reference the array-based :func:`bot.answer.windows.window_features` is compared with, bit for bit:
a dict of postings and tuples of names and numbers per sentence, analysed from the text on every call.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.answer.quote import MAX_QUOTE_CHARS, MAX_SENTENCES, split_sentences
from bot.answer.sentences import CAPITALISED as _CAPITALISED
from bot.answer.sentences import END as _END
from bot.answer.windows import WINDOW_FEATURES, QuestionProfile, Windows, _sliding
from bot.ingest.furniture import LOOSE_MAX_WORDS, LOOSE_MIN_WORDS, classify_lines, is_loose_headline

Analyze = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class LegacySentenceIndex:
    """The question-independent analysis of one article text (cached per article)."""

    starts: np.ndarray  # character offset of each sentence
    ends: np.ndarray
    breaks: np.ndarray  # 1 where a line break separates sentence i from i + 1
    postings: Mapping[str, tuple[int, ...]]  # term → indices of the sentences containing it, ascending
    names: tuple[tuple[str, ...], ...]  # per sentence: terms of its capitalised words
    numbers: tuple[tuple[str, ...], ...]  # per sentence: its number terms
    asks: np.ndarray  # 1 where the sentence ends in "?"
    headings: np.ndarray  # 1 where the sentence has no end punctuation (a heading, caption, byline)
    # True where the sentence lies on a line of page furniture (a byline, credit, related link, prompt...)
    # or on a related headline without label: no quote holds such a sentence.
    furniture: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of sentences."""
        return int(self.starts.shape[0])


def legacy_index_sentences(
    text: str, analyze: Analyze, word_terms: Callable[[str], tuple[str, ...]]
) -> LegacySentenceIndex:
    """Split ``text`` into sentences and record, per sentence, its terms, names and numbers."""
    spans = split_sentences(text)
    postings: dict[str, list[int]] = {}
    names: list[tuple[str, ...]] = []
    numbers: list[tuple[str, ...]] = []
    asks: list[bool] = []
    headings: list[bool] = []
    sentence_terms: list[list[str]] = []
    for i, (s, e) in enumerate(spans):
        sentence = text[s:e]
        terms = analyze(sentence)
        sentence_terms.append(terms)
        for term in dict.fromkeys(terms):
            postings.setdefault(term, []).append(i)
        last = sentence[-1]
        asks.append(last == "?")
        headings.append(last not in _END)
        numbers.append(tuple(dict.fromkeys(t for t in terms if t[0].isdigit())))
        caps = []
        for m in _CAPITALISED.finditer(sentence):
            caps.extend(word_terms(m.group().lower()))
        names.append(tuple(dict.fromkeys(caps)))
    starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
    ends = np.fromiter((e for _, e in spans), dtype=np.int64, count=len(spans))
    breaks = np.fromiter(
        ("\n" in text[spans[i][1] : spans[i + 1][0]] for i in range(len(spans) - 1)), dtype=np.int8,
        count=max(len(spans) - 1, 0),
    )  # fmt: skip
    furniture = _furniture_mask(text, spans, breaks, headings, sentence_terms)
    return LegacySentenceIndex(
        starts, ends, breaks, {t: tuple(v) for t, v in postings.items()},
        tuple(names), tuple(numbers), np.array(asks, dtype=np.float64), np.array(headings, dtype=np.float64),
        furniture,
    )  # fmt: skip


def _furniture_mask(
    text: str, spans: Sequence[tuple[int, int]], breaks: np.ndarray, headings: Sequence[bool],
    sentence_terms: Sequence[Sequence[str]],
) -> np.ndarray:  # fmt: skip
    """Per sentence: whether it lies on a furniture line (see :mod:`bot.ingest.furniture`).

    Ingest already removes the furniture it can tell by shape; this is the quote-time half: lines that
    need their neighbours to be judged (a related headline without a label), and stores ingested before
    the rules existed.
    """
    n = len(spans)
    furniture = np.zeros(n, dtype=bool)
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
            furniture[a:b] = True
        elif (
            headings[b - 1]
            and LOOSE_MIN_WORDS <= line.count(" ") + 1 <= LOOSE_MAX_WORDS
            and (b - a == 1 or (b - a == 2 and line[spans[a][1] - spans[a][0] - 1] == "?"))
        ):  # a heading ('Why remake it? Director explains' too), or a link to another story
            after = story[bisect_right(story, k) :][:2]
            following = [t for j in after for i in range(*lines[j]) for t in sentence_terms[i]]
            own = [t for i in range(a, b) for t in sentence_terms[i]]
            furniture[a:b] = bool(after) and is_loose_headline(line, own, following)
    return furniture


def legacy_window_features(
    index: LegacySentenceIndex,
    profile: QuestionProfile,
    title_terms: set[str],
    *,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_QUOTE_CHARS,
) -> Windows:
    """Every window of 1..``max_sentences`` sentences within ``max_chars`` that touches the question.

    A window qualifies when it holds a question term or starts the article (the lead is a candidate
    even when it repeats none of the question's words: it often names what the question leaves out).
    """
    n = index.size
    terms = list(profile.weights)
    empty = Windows(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, len(WINDOW_FEATURES))),
                    np.zeros(0), 0.0)  # fmt: skip
    if n == 0 or not terms:
        return empty
    total = profile.total
    w = np.array([profile.weights[t] for t in terms], dtype=np.float64) / total
    matrix = np.zeros((n, len(terms)), dtype=bool)
    for j, term in enumerate(terms):
        rows = index.postings.get(term)
        if rows is not None:
            matrix[rows, j] = True
    in_title = np.array([t in title_terms for t in terms], dtype=bool)
    present = matrix.any(axis=0)
    article_cov = float(w @ (present | in_title))
    sentence_cov = matrix @ w
    best_sentence = int(np.argmax(sentence_cov))
    anchor = (
        matrix[:, int(np.argmax(np.where(present, w, -1.0)))] if present.any() else np.zeros(n, dtype=bool)
    )
    head = (
        matrix[:, terms.index(profile.head)] if profile.head in profile.weights else np.zeros(n, dtype=bool)
    )
    # Local rarity: a term in every sentence is the article's topic and says little about where the
    # answer is; one in two sentences points at them.
    df = matrix.sum(axis=0)
    lw = w * np.log1p(n / np.maximum(df, 1)) * present
    lw = lw / (lw.sum() or 1.0)
    local_sentence = matrix @ lw
    qset = set(terms)
    names_title = np.array([sum(1 for t in s if t not in qset and t not in title_terms) for s in index.names],
                           dtype=np.float64)  # fmt: skip
    names = np.array([sum(1 for t in s if t not in qset) for s in index.names], dtype=np.float64)
    numbers = np.array([sum(1 for t in s if t not in qset) for s in index.numbers], dtype=np.float64)
    parts = []
    for length in range(1, min(max_sentences, n) + 1):
        lo = np.arange(n - length + 1)
        hi = lo + length
        cover = _sliding(matrix, length, np.logical_or)
        cov = cover @ w
        chars = index.ends[hi - 1] - index.starts[lo]
        keep = (cov > 0) | (lo == 0)
        if length > 1:
            keep &= chars <= max_chars
        if index.furniture is not None:
            keep &= ~_sliding(index.furniture, length, np.logical_or)
        if not keep.any():
            continue
        shown = (cover | in_title) @ w
        best = _sliding(sentence_cov, length, np.maximum)
        repeat = _sliding(sentence_cov, length, np.add) - cov
        brk = (
            _sliding(index.breaks.astype(np.float64), length - 1, np.add) if length > 1 else np.zeros(len(lo))
        )
        n_names = _sliding(names, length, np.add)
        n_numbers = _sliding(numbers, length, np.add)
        cols = [
            cov, shown, best, repeat, (lo == 0).astype(np.float64), np.log1p(lo),
            np.full(len(lo), float(length == 2)), np.full(len(lo), float(length == 3)),
            np.minimum(chars, max_chars) / max_chars, np.log1p(n_names), np.log1p(n_numbers),
            np.log1p(n_names) * profile.wants_name, np.log1p(n_numbers) * profile.wants_number,
            brk[: len(lo)], (sentence_cov[lo] >= best).astype(np.float64), cov,
            ((lo <= best_sentence) & (best_sentence < hi)).astype(np.float64),
            _sliding(anchor, length, np.logical_or).astype(np.float64),
            _sliding(head, length, np.logical_or).astype(np.float64),
            cover @ lw, _sliding(local_sentence, length, np.maximum),
            _sliding(index.asks, length, np.add), _sliding(index.headings, length, np.add), lo / n,
            np.log1p(_sliding(names_title, length, np.add)) * profile.wants_name,
        ]  # fmt: skip
        feats = np.column_stack(cols)[keep]
        parts.append((lo[keep], hi[keep], feats, shown[keep]))
    if not parts:
        return empty
    lo = np.concatenate([p[0] for p in parts])
    hi = np.concatenate([p[1] for p in parts])
    feats = np.concatenate([p[2] for p in parts])
    feats[:, WINDOW_FEATURES.index("rel_cov")] -= feats[:, 0].max()
    return Windows(lo, hi, feats, np.concatenate([p[3] for p in parts]), article_cov)


