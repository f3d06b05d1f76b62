"""Segments: immutable CSR postings (term → ascending document slots and term frequencies).

A :class:`~bot.search.index.BM25Index` keeps a big *main* segment and a small *fresh* one; these functions
build a segment from encoded documents, merge two (dropping dead postings) and cut one at a slot. They hold
raw counts only, so no segment goes stale when the collection's statistics change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(slots=True)
class Segment:
    """Immutable postings of some documents, CSR by term: ``docs[indptr[t]:indptr[t+1]]`` ascending.

    Only raw counts: queries finish BM25 from ``tf`` and the live collection's statistics (see
    :mod:`bot.search.kernels`), so a segment never goes stale.
    """

    name: str
    indptr: np.ndarray
    docs: np.ndarray
    tf: np.ndarray

    @property
    def n_postings(self) -> int:
        """Number of (term, document) pairs."""
        return int(self.docs.shape[0])

    @property
    def n_terms(self) -> int:
        """Rows of the CSR (terms known when the segment was built)."""
        return int(self.indptr.shape[0]) - 1

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """Document slots and term frequencies of term ``tid`` (empty when absent)."""
        if tid >= self.n_terms:
            return self.docs[:0], self.tf[:0]
        s, e = int(self.indptr[tid]), int(self.indptr[tid + 1])
        return self.docs[s:e], self.tf[s:e]

    def term_of(self, positions: np.ndarray) -> np.ndarray:
        """Term id of each posting position."""
        return np.searchsorted(self.indptr, positions, side="right") - 1

    def row_lengths(self, n_terms: int) -> np.ndarray:
        """Postings per term, padded to ``n_terms``."""
        return np.diff(pad_indptr(self.indptr, n_terms))

    def as_matrix(self, n_terms: int, n_slots: int) -> sp.csr_array:
        """A scipy CSR view (terms × slots) for merging."""
        indptr = pad_indptr(self.indptr, n_terms)
        return sp.csr_array((self.tf, self.docs, indptr), shape=(n_terms, n_slots))


SEGMENT_ARRAYS = ("indptr", "docs", "tf")


def empty_segment() -> Segment:
    """A segment with no postings."""
    return Segment(
        "empty",
        np.zeros(1, dtype=np.int64),
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.uint16),
    )


def pad_indptr(indptr: np.ndarray, n_terms: int) -> np.ndarray:
    """Extend an indptr to ``n_terms`` rows (terms added after the segment was built have no postings)."""
    if indptr.shape[0] >= n_terms + 1:
        return np.asarray(indptr[: n_terms + 1])
    pad = np.full(n_terms + 1 - indptr.shape[0], indptr[-1], dtype=indptr.dtype)
    return np.concatenate([indptr, pad])


def from_matrix(mat: sp.csr_array) -> Segment:
    """Segment from a CSR matrix (terms × slots) with the narrowest tf dtype."""
    mat.sum_duplicates()
    tf = mat.data
    small = tf.size == 0 or int(tf.max()) <= np.iinfo(np.uint16).max
    tf = tf.astype(np.uint16, copy=False) if small else tf.astype(np.uint32)
    indptr = mat.indptr.astype(np.int64, copy=False)
    docs = mat.indices.astype(np.int32, copy=False)
    return Segment(uuid.uuid4().hex[:12], indptr, docs, tf)


def build_segment(ids: np.ndarray, lengths: np.ndarray, slots: np.ndarray, n_slots: int, n_terms: int) -> Segment:
    """Postings of documents in ``slots`` (ascending): ``ids`` their term ids concatenated, ``lengths``
    how many belong to each."""
    if slots.shape[0] == 0 or ids.shape[0] == 0:
        return empty_segment()
    cols = np.repeat(np.asarray(slots, dtype=np.int32), lengths)
    # a tf is a sum of ones within one document: uint16 cannot overflow unless a document is that long
    # (half the bytes for scipy's counting sort to move, and no conversion afterwards)
    ones = np.ones(ids.shape[0], dtype=np.uint16 if int(lengths.max()) <= np.iinfo(np.uint16).max else np.int32)
    mat = sp.coo_array((ones, (ids.astype(np.int32, copy=False), cols)), shape=(n_terms, n_slots))
    return from_matrix(mat.tocsr())


def restrict_segment(seg: Segment, first_slot: int, n_terms: int) -> Segment:
    """The postings of ``seg`` for slots >= ``first_slot`` (what a fresh segment gained during a merge)."""
    keep = np.flatnonzero(seg.docs >= first_slot)
    if keep.size == 0:
        return empty_segment()
    counts = np.bincount(seg.term_of(keep), minlength=max(n_terms, seg.n_terms))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Segment(uuid.uuid4().hex[:12], indptr, seg.docs[keep], seg.tf[keep])


def merge_segments(a: Segment, b: Segment, alive: np.ndarray, n_terms: int) -> Segment:
    """One segment with the live postings of both (b's slots all follow a's)."""
    n_slots = alive.shape[0]
    if b.n_postings == 0 and a.n_postings == 0:
        return empty_segment()
    mat = sp.csr_array(a.as_matrix(n_terms, n_slots) + b.as_matrix(n_terms, n_slots))
    dead = ~alive[mat.indices]
    if dead.any():
        mat.data[dead] = 0
        mat.eliminate_zeros()
    return from_matrix(mat)
