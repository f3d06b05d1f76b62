"""BM25Okapi maths as small pure numpy functions, written to reproduce ``rank_bm25.BM25Okapi`` exactly.

rank-bm25 is our definition of a score (k1 = 1.5, b = 0.75, epsilon = 0.25):

- ``idf(t) = log(N - n_t + 0.5) - log(n_t + 0.5)`` over the documents that contain ``t``;
- a term in more than half the documents has a negative idf, replaced by ``epsilon * mean idf`` where the
  mean runs over the *whole vocabulary* (every term of the live collection, negative ones included);
- ``score(d, q) = Σ_{t in q} idf(t) · tf·(k1+1) / (tf + k1·(1 - b + b·|d|/avgdl))``, each query token
  counted as often as it appears (a repeated word counts twice), unknown terms contribute 0.

Everything that depends on the whole collection (N, avgdl, the idf floor) changes when documents come
and go, so the index stores only raw counts (term frequencies, document lengths, document frequencies)
and these functions finish the score's collection-wide parts at query time; the per-posting sum runs in the
compiled kernels (:mod:`bot.search.kernels`), in float64 and in rank-bm25's expression, so scores agree to
the last few bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25


@dataclass(frozen=True, slots=True)
class Params:
    """BM25Okapi parameters (rank-bm25's defaults)."""

    k1: float = K1
    b: float = B
    epsilon: float = EPSILON


def raw_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """``log(N - df + 0.5) - log(df + 0.5)`` elementwise, in float64 (can be negative)."""
    df = np.asarray(df, dtype=np.float64)
    return np.log(n_docs - df + 0.5) - np.log(df + 0.5)


def floored_idf(df: np.ndarray, n_docs: int, epsilon: float = EPSILON) -> tuple[np.ndarray, float]:
    """IDF with rank-bm25's floor, for a vector of document frequencies.

    Terms with ``df == 0`` are not part of the vocabulary (rank-bm25 never saw them): they are excluded
    from the mean and get idf 0, like an unknown query word. Returns ``(idf, floor)``.
    """
    df = np.asarray(df)
    present = df > 0
    idf = np.zeros(df.shape, dtype=np.float64)
    if not present.any():
        return idf, 0.0
    raw = raw_idf(df[present], n_docs)
    floor = epsilon * (float(raw.sum()) / raw.size)
    idf[present] = np.where(raw < 0, floor, raw)
    return idf, floor


def length_norm(doc_len: np.ndarray, avgdl: float, params: Params = Params()) -> np.ndarray:
    """``k1·(1 - b + b·|d|/avgdl)`` per document: the denominator's length part (float64)."""
    doc_len = np.asarray(doc_len, dtype=np.float64)
    return params.k1 * (1 - params.b + params.b * doc_len / avgdl)
