"""Sentence windows of an article and the features that say whether a window answers a question.

Why windows and not the best-matching sentence: measured on the dev questions, the sentence that
repeats the question's words is often *not* the one holding the answer — a quiz question restates the
story ("Which airline said it will weigh passengers?") and the answer is the new name or number in the
lead or in the next sentence. So every run of one to three consecutive sentences (within the quote
budget) is a candidate, described by a few general features, and a linear model scores it:

- how much of the question's IDF mass the window covers, with the title (what the user is shown) and
  its best single sentence (proximity: terms together in one sentence beat terms spread over three);
- where it is: news leads state the news, so the first sentences get a prior;
- answer-type cues: a "how many / what year" question prefers windows with numbers that are not in the
  question; a "who / which / where" question prefers capitalised names that are not in the question;
- its shape (length, paragraph breaks inside: the next line of a scraped page is often a caption),
  and lines that are not prose: a sentence ending in "?" (a sub-heading that asks, not the answer), one
  without end punctuation (headings, bylines, captions, link lines);
- local rarity: coverage re-weighted by how few sentences of the article hold each term, so the topic
  words that every sentence repeats ("Ukraine" in a Ukraine story) count less than the one word that
  points at the answer's sentence ("recommended").

What was measured for window scoring and not kept is in ``docs/ranking.md``.

The article side (BM25 score relative to the best, rank, title match) is added by the ranker so that one
model decides between "a second window of the best article" and "the best window of the fifth".

The per-article analysis (:class:`SentenceIndex`) does not depend on the question, so the pipeline caches
it: a question then costs a few numpy operations per article.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.search.analyzer import Analyzer, split_bytes

from .quote import MAX_QUOTE_CHARS, MAX_SENTENCES
from .sentences import CAPITALISED, ArticleSentences, analyse, sentence_names

Analyze = Callable[[str], list[str]]

# "how many", "how much", "what percentage", "what year", "when": the answer is a number or a date.
_WANTS_NUMBER = re.compile(
    r"\b(how (many|much|old|long|far|tall|big|often|high|fast)|(what|which) (year|percent\w*|number|"
    r"amount|age|date|day|month|decade|century|price|score|rank\w*)|when)\b",
    re.IGNORECASE,
)
# "who", "which X", "where", "what is the name": the answer is a name.
_WANTS_NAME = re.compile(
    r"\b(who|whom|whose|which|where|what (is|was) the name|named|called)\b", re.IGNORECASE
)
# "Which airline ...", "what company's ...": the noun after which/what is the kind of thing asked for.
_HEAD = re.compile(r"\b(?:which|what)\s+([A-Za-z][\w-]*)", re.IGNORECASE)

#: Feature names, in the order of the columns of :func:`window_features` plus the article columns the
#: ranker appends (see :func:`bot.answer.rank.window_candidates`). The weights in
#: :data:`bot.answer.rank.WINDOW_WEIGHTS` follow this order.
WINDOW_FEATURES = (
    "cov",  # share of the question's IDF mass in the window
    "shown_cov",  # ... in the window or the title (what the user sees)
    "best_sentence_cov",  # ... in the window's best single sentence
    "repeat",  # IDF mass repeated across the window's sentences (stays on topic)
    "lead",  # the window starts at the article's first sentence
    "log_start",  # log(1 + index of the first sentence)
    "two",  # two sentences
    "three",  # three sentences
    "chars",  # length / quote budget (capped: a longer sentence is trimmed to the budget)
    "names",  # log(1 + capitalised words not in the question)
    "numbers",  # log(1 + numbers not in the question)
    "names_wanted",  # names × question wants a name
    "numbers_wanted",  # numbers × question wants a number
    "breaks",  # line breaks inside the window
    "best_first",  # the best sentence opens the window (context follows it)
    "rel_cov",  # cov minus the best cov in this article (≤ 0)
    "has_best",  # holds the article's best-covered sentence
    "anchor",  # holds the rarest question term that the article contains
    "head",  # holds the term the question asks about ("which *airline*", "what *company*")
    "local_cov",  # cov with each term also weighted by its rarity inside the article (topic words count less)
    "local_best",  # ... of the window's best single sentence
    "asks",  # sentences of the window that end in "?" (a heading that asks, not an answer)
    "headings",  # sentences of the window without end punctuation (headings, captions, bylines, links)
    "rel_start",  # start sentence / sentences in the article
    "names_title",  # log(1 + capitalised words in neither the question nor the title) × wants a name
)
ARTICLE_FEATURES = ("art_score", "art_rank", "title_cov", "article_cov")
FEATURES = (*WINDOW_FEATURES, *ARTICLE_FEATURES)


@dataclass(frozen=True, slots=True)
class SentenceIndex:
    """An article's sentences (:class:`~bot.answer.sentences.ArticleSentences`, precomputed or analysed
    now) with the text and analyzer that locate a question's terms in them."""

    sentences: ArticleSentences
    text: str
    analyzer: Analyzer

    @property
    def size(self) -> int:
        """Number of sentences."""
        return self.sentences.size

    @property
    def starts(self) -> np.ndarray:
        return self.sentences.starts

    @property
    def ends(self) -> np.ndarray:
        return self.sentences.ends

    @property
    def furniture(self) -> np.ndarray:
        return self.sentences.furniture


@dataclass(frozen=True, slots=True)
class QuestionProfile:
    """What scoring needs from a question: IDF weights of its terms and the answer type it expects.

    ``terms`` carries the analysed question on to the search, so that it is analysed once.
    """

    weights: Mapping[str, float]
    wants_number: bool = False
    wants_name: bool = False
    head: str = ""  # analysed term of the noun after which/what, "" when none
    terms: tuple[str, ...] = ()  # what the search is given: the question's terms, then its phrases'
    # per question, kept while its articles are scored: a chunk's terms → which question terms they are
    bits: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def total(self) -> float:
        """The question's IDF mass (1.0 when empty, to keep shares finite)."""
        return sum(self.weights.values()) or 1.0


def answer_type(question: str) -> tuple[bool, bool]:
    """(wants a number, wants a name): general wh-word cues, no knowledge of particular questions."""
    number = bool(_WANTS_NUMBER.search(question))
    return number, bool(_WANTS_NAME.search(question)) and not number


def question_head(question: str, analyze: Analyze) -> str:
    """The analysed noun after the first "which"/"what" ("" when it is a stopword or absent)."""
    m = _HEAD.search(question)
    if not m:
        return ""
    terms = analyze(m.group(1))
    return terms[0] if terms else ""


def index_sentences(text: str, analyzer: Analyzer, title: str = "") -> SentenceIndex:
    """Analyse ``text`` now (what the sentence store holds precomputed): its sentences and their shape."""
    return SentenceIndex(analyse(title, text, analyzer), text, analyzer)


@dataclass(frozen=True, slots=True)
class QuestionRows:
    """Where a question's terms are in one article: what the window features need of the text."""

    matrix: np.ndarray  # (sentences, terms) bool: sentence i holds term j
    names_in_question: np.ndarray  # per sentence: its distinct names that are question terms (int64)
    names_in_question_untitled: np.ndarray  # ... and not title terms


class TermBits(dict):
    """A chunk's terms → bit mask of the question terms among them (filled as chunks are met)."""

    def __init__(self, terms: Sequence[str]) -> None:
        super().__init__()
        self.bit = {t: 1 << j for j, t in enumerate(terms)}

    def __missing__(self, found: tuple[str, ...]) -> int:
        bits = 0
        for t in found:
            bits |= self.bit.get(t, 0)
        self[found] = bits
        return bits


def question_rows(
    sentences: ArticleSentences, text: str, terms: Sequence[str], title_terms: set[str], analyzer: Analyzer,
    bits: TermBits | None = None,
) -> QuestionRows:  # fmt: skip
    """The sentences of ``text`` that hold each of ``terms`` (distinct), and the names among them."""
    n, m = sentences.size, len(terms)
    matrix = np.zeros((n, m), dtype=bool)
    if n == 0 or m == 0:
        z = np.zeros(n, dtype=np.int64)
        return QuestionRows(matrix, z, z)
    if sentences.chunked and m <= 62:
        bits = bits if bits is not None else TermBits(terms)
        chunks = split_bytes(text).split()
        masks = np.fromiter(map(bits.__getitem__, map(analyzer.chunk_lookup, chunks)), dtype=np.int64,
                            count=len(chunks))  # fmt: skip
        hit = np.flatnonzero(masks)
        if hit.size:
            rows = np.searchsorted(sentences.first_chunks, hit, "right") - 1
            hit_masks = masks[hit]
            for j in range(m):
                matrix[rows[(hit_masks >> j) & 1 == 1], j] = True
        # a sentence's names are among its terms (checked when it was analysed): only sentences that
        # hold a question term can have a name that is one
        held = np.flatnonzero(matrix.any(axis=1)).tolist()
        starts = sentences.starts.tolist()
        names = {i: _names_of(text[starts[i] : int(sentences.ends[i])], analyzer) for i in held}
    else:
        starts, ends = sentences.starts.tolist(), sentences.ends.tolist()
        column = {t: j for j, t in enumerate(terms)}
        for i, (s, e) in enumerate(zip(starts, ends)):
            for t in analyzer.analyze(text[s:e]):
                j = column.get(t)
                if j is not None:
                    matrix[i, j] = True
        names = dict(enumerate(sentence_names(text, sentences.starts, analyzer.word_terms)))
    question = set(terms)
    in_q = np.zeros(n, dtype=np.int64)
    in_q_untitled = np.zeros(n, dtype=np.int64)
    for i, found in names.items():
        common = found & question
        if common:
            in_q[i] = len(common)
            in_q_untitled[i] = len(common - title_terms)
    return QuestionRows(matrix, in_q, in_q_untitled)


def _names_of(sentence: str, analyzer: Analyzer) -> set[str]:
    names: set[str] = set()
    for m in CAPITALISED.finditer(sentence):
        names.update(analyzer.word_terms(m.group().lower()))
    return names


@dataclass(frozen=True, slots=True)
class Windows:
    """Candidate windows of one article: sentence ranges [lo, hi) and their feature rows."""

    lo: np.ndarray
    hi: np.ndarray
    features: np.ndarray  # (n, len(WINDOW_FEATURES))
    shown_cov: np.ndarray
    article_cov: float


def _sliding(values: np.ndarray, length: int, op: Callable[..., np.ndarray]) -> np.ndarray:
    """``op`` over every run of ``length`` consecutive rows (axis 0)."""
    out = values[: values.shape[0] - length + 1]
    for k in range(1, length):
        out = op(out, values[k : values.shape[0] - length + 1 + k])
    return out


def window_features(
    index: SentenceIndex,
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
    sentences = index.sentences
    bits = profile.bits.get(None)
    if bits is None:
        bits = profile.bits[None] = TermBits(terms)
    rows = question_rows(sentences, index.text, terms, title_terms, index.analyzer, bits)
    matrix = rows.matrix
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
    # names and numbers that are not question (or title) terms: the article's counts less the question's
    names_title = (sentences.n_names_untitled - rows.names_in_question_untitled).astype(np.float64)
    names = (sentences.n_names - rows.names_in_question).astype(np.float64)
    numeric = [j for j, t in enumerate(terms) if t[0].isdigit()]
    in_q = matrix[:, numeric].sum(axis=1) if numeric else 0
    numbers = (sentences.n_numbers - in_q).astype(np.float64)
    breaks, asks, headings, furniture = sentences.breaks, sentences.asks, sentences.headings, sentences.furniture
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
        keep &= ~_sliding(furniture, length, np.logical_or)
        if not keep.any():
            continue
        shown = (cover | in_title) @ w
        best = _sliding(sentence_cov, length, np.maximum)
        repeat = _sliding(sentence_cov, length, np.add) - cov
        brk = (
            _sliding(breaks.astype(np.float64), length - 1, np.add) if length > 1 else np.zeros(len(lo))
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
            _sliding(asks, length, np.add), _sliding(headings, length, np.add), lo / n,
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


def pick_windows(lo: np.ndarray, hi: np.ndarray, scores: np.ndarray, n: int) -> list[int]:
    """Indices of up to ``n`` best-scoring windows that share no sentence (ties: earlier, shorter)."""
    order = np.lexsort((hi - lo, lo, -scores))
    used: set[int] = set()
    chosen: list[int] = []
    for i in order.tolist():
        span = range(int(lo[i]), int(hi[i]))
        if any(s in used for s in span):
            continue
        used.update(span)
        chosen.append(i)
        if len(chosen) >= n:
            break
    return chosen


def title_coverage(title_terms: set[str], profile: QuestionProfile) -> float:
    """Share of the question's IDF mass in the title."""
    return sum(v for t, v in profile.weights.items() if t in title_terms) / profile.total


def linear(features: np.ndarray, weights: Sequence[float], bias: float = 0.0) -> np.ndarray:
    """The model: a weighted sum of the feature columns (a logit)."""
    return features @ np.asarray(weights, dtype=np.float64) + bias
