"""The one analyzer that turns text into index terms, for passages, articles, questions and topics alike.

Pipeline, per word: find words in the *original* text (runs of Unicode letters and digits), then
lower-case + NFKC + case-fold the word, drop English stopwords, Snowball-stem the rest. Normalizing per
word (not per text) is what lets :meth:`Analyzer.analyze_with_spans` point back into the original string
for highlighting. It is fast because Python touches each *distinct* chunk once: text is pre-split in C
(bytes.translate + split) and chunks map to terms through a cache (the shared corpus has 37 M words but
~0.3 M distinct chunks), so tokenizing is a C loop plus one dict lookup per word. The index's bulk path
goes further and maps chunks to term ids without a Python object per word (:mod:`bot.search.chunks`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import Stemmer

#: Invisible characters (Unicode's default-ignorable code points: soft hyphen, zero-width space, joiner
#: and non-joiner, word joiner, BOM, direction marks, embeddings, overrides and isolates, variation
#: selectors, Hangul fillers). They render as nothing, so a word containing one ("tril\u00adlion") is one
#: word to the reader: the tokenizer keeps them inside a word and :meth:`Analyzer.word_terms` drops them.
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")

# A word: letters and digits (no underscore), plus combining marks so a decomposed "é" stays one word, plus
# invisible characters inside it. Apostrophes split ("biden's" → "biden" + "s", "don't" → "don" + "t"):
# the pieces are stopwords.
_WORD = re.compile(rf"[^\W_](?:[^\W_]|[\u0300-\u036f{INVISIBLE}])*")

#: English stopwords (NLTK's list, the common choice for BM25 over news).
_STOPWORD_LIST = """
    i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he
    him his himself she she's her hers herself it it's its itself they them their theirs themselves what
    which who whom this that that'll these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about against between
    into through during before after above below to from up down in out on off over under again further
    then once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don don't should should've now d ll m o re ve y ain
    aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't
    ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren weren't
    won't wouldn wouldn't
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_LIST.split())

_CACHE_LIMIT = 2_000_000  # distinct lower-cased words kept; past that the cache restarts (bounded memory)


# Fast pre-split: ASCII punctuation and controls become spaces, ASCII capitals lower-case, other bytes stay.
# A chunk between ASCII separators is then tokenized properly (once per distinct chunk, cached); since a
# word never contains an ASCII separator, splitting first cannot change the words found.
_SPLIT_TABLE = bytes(
    0x20 if (c < 128 and not chr(c).isalnum()) else (ord(chr(c).lower()) if c < 128 else c) for c in range(256)
)


class _ChunkCache(dict):
    """bytes chunk → terms; a miss calls back into the analyzer (only misses leave C code)."""

    def __init__(self, fill) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self._fill = fill

    def __missing__(self, chunk: bytes) -> tuple[str, ...]:
        terms = self._fill(chunk)
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[chunk] = terms
        return terms


class Analyzer:
    """Normalize, tokenize, drop stopwords and stem, with per-chunk and per-word caches.

    One instance is meant to be shared: the caches are its only state and an entry is a pure function of
    its key, so concurrent use from threads is safe.
    """

    def __init__(self, language: str = "english", stopwords: Iterable[str] = STOPWORDS) -> None:
        self.language = language
        self._stemmer = Stemmer.Stemmer(language)
        self._stopwords = frozenset(stopwords)
        self._words: dict[str, tuple[str, ...]] = {}
        self._chunks = _ChunkCache(self._chunk_terms)

    # -- public API ----------------------------------------------------------------------------------

    def analyze(self, text: str) -> list[str]:
        """Index terms of ``text`` in order (repeats kept: BM25 counts them)."""
        out: list[str] = []
        for terms in map(self._chunks.__getitem__, split_chunks(text)):
            if terms:
                out.extend(terms)
        return out

    def analyze_with_spans(self, text: str) -> list[tuple[str, int, int]]:
        """``(term, start, end)`` for every term, with ``text[start:end]`` the original word it came from.

        The answer layer uses it to highlight matched words in a verbatim quote. The terms are exactly
        those of :meth:`analyze` on the same text, in the same order.
        """
        out: list[tuple[str, int, int]] = []
        for m in _WORD.finditer(text):
            for term in self.word_terms(m.group().lower()):
                out.append((term, m.start(), m.end()))
        return out

    def terms(self, text: str) -> set[str]:
        """Distinct terms of ``text`` (e.g. to match a subscription topic against an article)."""
        return set(self.analyze(text))

    def chunk_terms(self, chunk: bytes) -> tuple[str, ...]:
        """Terms of one pre-split chunk (see :func:`split_chunks`), cached."""
        return self._chunks[chunk]

    @property
    def chunk_lookup(self) -> Callable[[bytes], tuple[str, ...]]:
        """:meth:`chunk_terms` as the cache's own ``__getitem__``: mapped over many chunks it stays in C."""
        return self._chunks.__getitem__

    def chunks_terms(self, chunks: list[bytes]) -> list[tuple[str, ...]]:
        """:meth:`chunk_terms` of many chunks (not cached): what a bulk build asks for its unseen chunks.

        A chunk of ASCII letters and digits is one word that NFKC and case folding leave as it is (the
        pre-split already lower-cased it), so those are stemmed together in one ``stemWords`` call; any
        other chunk goes the general way.
        """
        simple = [c.isascii() and c.isalnum() for c in chunks]
        stop = self._stopwords
        words = [w for w in (c.decode("ascii") for c, ok in zip(chunks, simple) if ok) if w not in stop]
        stems = dict(zip(words, self._stemmer.stemWords(words)))
        get, general = stems.get, self._chunks.__getitem__
        out: list[tuple[str, ...]] = []
        for c, ok in zip(chunks, simple):
            if ok:
                stem = get(c.decode("ascii"))
                out.append((stem,) if stem else ())
            else:
                out.append(general(c))
        return out

    @property
    def cache_size(self) -> int:
        """Number of cached chunks (for diagnostics)."""
        return len(self._chunks)

    def word_terms(self, word: str) -> tuple[str, ...]:
        """Terms of one lower-cased word found by the tokenizer (usually 0 or 1), cached.

        NFKC and case folding can turn a word into several (e.g. "x²y" → "x2y" stays one, a
        ligature or a full-width form expands), so the normalized form is tokenized again.
        """
        cached = self._words.get(word)
        if cached is not None:
            return cached
        norm = unicodedata.normalize("NFKC", strip_invisible(word)).casefold()
        stems: list[str] = []
        for part in _WORD.findall(norm):
            if part in self._stopwords:
                continue
            stem = self._stemmer.stemWord(part)
            if stem:
                stems.append(stem)
        result = tuple(stems)
        if len(self._words) >= _CACHE_LIMIT:
            self._words.clear()
        self._words[word] = result
        return result

    # -- internals -----------------------------------------------------------------------------------

    def _chunk_terms(self, chunk: bytes) -> tuple[str, ...]:
        text = chunk.decode("utf-8", "surrogatepass").lower()
        out: list[str] = []
        for word in _WORD.findall(text):
            out.extend(self.word_terms(word))
        return tuple(out)


def strip_invisible(text: str) -> str:
    """``text`` without the :data:`INVISIBLE` characters (unchanged, and cheap, when it has none)."""
    return _INVISIBLE_RE.sub("", text) if not text.isascii() else text


def split_chunks(text: str) -> list[bytes]:
    """Cut text at ASCII whitespace and punctuation, lower-casing ASCII, in C (bytes.translate + split).

    The chunks are cache keys for :meth:`Analyzer.chunk_terms`; most are exactly one word.
    """
    if not text:
        return []
    return split_bytes(text).split()


def split_bytes(text: str) -> bytes:
    """UTF-8 of ``text`` with ASCII separators as spaces and ASCII lower-cased: the chunks are the runs of
    non-space bytes (what :func:`split_chunks` returns; a bulk build finds them with numpy instead)."""
    return text.encode("utf-8", "surrogatepass").translate(_SPLIT_TABLE)


_DEFAULT: Analyzer | None = None


def default_analyzer() -> Analyzer:
    """The process-wide analyzer (shared cache)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Analyzer()
    return _DEFAULT
