"""The vocabulary: term ↔ id, and a chunk cache that makes encoding text cost numpy passes, not Python calls.

Text is cut into chunks (runs between separators, :mod:`bot.search.chunks`); each distinct chunk is
analyzed once and its result cached under the chunk's bytes, so indexing a corpus analyzes each distinct
word once. Several texts can be encoded in one pass, joined around :data:`SEPARATOR`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .analyzer import Analyzer, split_bytes
from .chunks import MAX_KEY_BYTES, KeyTable, chunk_keys, chunk_spans

_NO_TERM = -1  # a chunk that yields no term (stopword, punctuation, emoji)
_MULTI = -2  # a chunk that yields several terms (looked up in a side table)
_MARK = -3  # the separator between texts encoded together
_UNSEEN = -4  # a chunk not in the cache yet (only while encoding)
#: Joins texts encoded together: a private-use character, never a word, never in news text (callers check).
SEPARATOR = "\ue000"


class Vocabulary:
    """Term ↔ id, plus a chunk cache so encoding text costs numpy passes, not Python calls, per word."""

    def __init__(self, analyzer: Analyzer, terms: Iterable[str] = ()) -> None:
        self.analyzer = analyzer
        self.terms: list[str] = list(terms)
        self.ids: dict[str, int] = {t: i for i, t in enumerate(self.terms)}
        self.multi: dict[bytes, np.ndarray] = {}
        # chunk → term id, _NO_TERM or _MULTI: chunks of up to 16 bytes as numpy keys, longer ones by bytes
        self._keys = KeyTable(missing=_UNSEEN)
        self._long: dict[bytes, int] = {}
        mark = SEPARATOR.encode("utf-8")
        k1, k2, _ = chunk_keys(mark, np.zeros(1, dtype=np.intp), np.array([len(mark)], dtype=np.intp))
        self._keys.insert(k1, k2, np.array([_MARK], dtype=np.int32))

    def __len__(self) -> int:
        return len(self.terms)

    def add(self, term: str) -> int:
        """Id of ``term``, assigning the next id to a new one."""
        tid = self.ids.get(term)
        if tid is None:
            tid = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return tid

    def get(self, term: str) -> int:
        """Id of ``term`` or -1 (queries never grow the vocabulary)."""
        return self.ids.get(term, -1)

    def encode(self, text: str) -> np.ndarray:
        """Term ids of ``text`` in order (int32), adding new terms: the fast path of indexing."""
        ids = self._raw_ids(text)
        return ids[ids >= 0]

    def encode_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Term ids of several texts in one pass: ``(ids concatenated, count per text)``.

        The texts are joined around a private-use separator that the chunk cache maps to a marker, so a
        whole article's passages cost one tokenizer call instead of one each.
        """
        if not texts:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
        joined = f" {SEPARATOR} ".join(texts)
        if len(texts) == 1 or joined.count(SEPARATOR) != len(texts) - 1:  # a text holds the separator
            parts = [self.encode(t) for t in texts]
            return np.concatenate(parts), np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        raw = self._raw_ids(joined)
        valid = raw >= 0
        cum = np.cumsum(valid)
        at_marks = cum[raw == _MARK]
        ends = np.concatenate([at_marks, cum[-1:]])
        return raw[valid], np.diff(np.concatenate([[0], ends])).astype(np.int64)

    def _raw_ids(self, text: str) -> np.ndarray:
        """Chunk ids with multi-term chunks expanded (markers and no-term chunks kept).

        Chunks are found and looked up in numpy (:mod:`bot.search.chunks`): a chunk of up to 16 bytes is an
        exact key in :attr:`_keys`, a longer one goes through the ``_long`` dict. Only unseen chunks come
        back to Python, distinct and in text order, so new terms get ids in order of first occurrence.
        """
        data = split_bytes(text)
        starts, ends = chunk_spans(data)
        k1, k2, long = chunk_keys(data, starts, ends)
        ids = self._keys.lookup(k1, k2)
        long_at = np.flatnonzero(long).tolist()
        long_chunks = [data[s:e] for s, e in zip(starts[long_at].tolist(), ends[long_at].tolist())]
        if long_at:
            ids[long_at] = [self._long.get(c, _UNSEEN) for c in long_chunks]
        unseen = np.flatnonzero(ids == _UNSEEN)
        if unseen.size:
            self._learn(data, starts, ends, k1, k2, long, unseen)
            short = unseen[~long[unseen]]
            ids[short] = self._keys.lookup(k1[short], k2[short])
            if long_at:
                ids[long_at] = [self._long[c] for c in long_chunks]
        multi = np.flatnonzero(ids == _MULTI)
        if multi.size == 0:
            return ids
        pieces = [self.multi[data[s:e]] for s, e in zip(starts[multi].tolist(), ends[multi].tolist())]
        counts = np.ones(ids.shape[0], dtype=np.int64)
        counts[multi] = [p.shape[0] for p in pieces]
        out = np.repeat(ids, counts)
        first = np.cumsum(counts)[multi] - counts[multi]
        at = np.concatenate([np.arange(s, s + p.shape[0]) for s, p in zip(first.tolist(), pieces)])
        out[at] = np.concatenate(pieces)
        return out

    def _learn(self, data: bytes, starts: np.ndarray, ends: np.ndarray, k1: np.ndarray, k2: np.ndarray,
               long: np.ndarray, unseen: np.ndarray) -> None:  # fmt: skip
        """Analyze the distinct unseen chunks at positions ``unseen`` (ascending) in order of first
        occurrence, give their new terms ids in that order, and record them (keys or the long dict)."""
        # first occurrence of each distinct short key: a stable sort groups equal keys, position order kept
        short = unseen[~long[unseen]]
        order = np.lexsort((k2[short], k1[short]))
        s1, s2 = k1[short][order], k2[short][order]
        head = np.ones(order.shape[0], dtype=np.bool_)
        head[1:] = (s1[1:] != s1[:-1]) | (s2[1:] != s2[:-1])
        firsts = np.sort(short[order[head]])
        # long chunks are few: found by bytes
        at = np.sort(np.concatenate([firsts, unseen[long[unseen]]]))
        chunks = [data[s:e] for s, e in zip(starts[at].tolist(), ends[at].tolist())]
        new = list(dict.fromkeys(chunks))  # distinct (repeated long chunks), first occurrence order
        values = self._values(new, self.analyzer.chunks_terms(new))
        if firsts.size:  # the keyed new chunks are exactly the firsts, in the same (text) order
            keyed = [v for c, v in zip(new, values) if len(c) <= MAX_KEY_BYTES]
            self._keys.insert(k1[firsts], k2[firsts], np.array(keyed, dtype=np.int32))

    def _values(self, chunks: list[bytes], found: list[tuple[str, ...]]) -> list[int]:
        """:meth:`_set_chunk` for many new chunks, the common one-term and no-term cases inlined (a bulk
        build meets ~0.3 M new chunks)."""
        ids, terms = self.ids, self.terms
        values: list[int] = []
        for chunk, out in zip(chunks, found):
            if len(out) == 1 and len(chunk) <= MAX_KEY_BYTES:
                term = out[0]
                tid = ids.get(term)
                if tid is None:
                    tid = ids[term] = len(terms)
                    terms.append(term)
                values.append(tid)
            elif not out and len(chunk) <= MAX_KEY_BYTES:
                values.append(_NO_TERM)
            else:
                values.append(self._set_chunk(chunk, out))
        return values

    def _set_chunk(self, chunk: bytes, terms: Sequence[str]) -> int:
        """An unseen chunk's value: its term id, _NO_TERM, or _MULTI (ids kept in ``multi``); long chunks
        are recorded here, keyed ones by the caller."""
        ids = [self.add(t) for t in terms]
        value = _NO_TERM if not ids else ids[0] if len(ids) == 1 else _MULTI
        if value == _MULTI:
            self.multi[chunk] = np.asarray(ids, dtype=np.int32)
        if len(chunk) > MAX_KEY_BYTES:
            self._long[chunk] = value
        return value

    def encode_terms(self, terms: Sequence[str]) -> np.ndarray:
        """Ids of already-analyzed terms (adding new ones)."""
        return np.fromiter(map(self.add, terms), dtype=np.int32, count=len(terms))
