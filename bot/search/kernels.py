"""Compiled query kernels of :class:`bot.search.index.BM25Index` (numba, cached on disk).

A query over the index is a few hundred thousand postings at most: scoring them exactly, from tf, in one
compiled pass costs less than the ~30 small numpy calls of a vectorized plan did, and needs no
approximation. What it costs is memory traffic (a random read and write per posting), so slots are scored
a cache-sized block at a time and the commonest terms are skipped where they cannot change the top k
(:func:`top_k`). Each function is small and pure (arrays in, arrays out, scratch buffers left as they
were found) so it can be read against rank-bm25's expression: ``idf · tf·(k1+1) / (tf + norm[doc])`` per
query token, ``norm = k1·(1 - b + b·|d|/avgdl)``, summed in float64.

A segment is ``(indptr, docs, tf)``: CSR postings by term, slot ids ascending within a term. Kernels take
the main and the fresh segment (their slots never overlap) and the query's term ids, idfs and counts.
``cache=True`` compiles once per machine (into ``__pycache__``); a new process loads the machine code.
"""

from __future__ import annotations

import os

import numpy as np
from numba import njit

# a posting range per (term, segment, date part): [segment, start, end, term index]
_SEG, _START, _END, _TERM = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def _row(indptr: np.ndarray, tid: int) -> tuple[int, int]:
    """Postings of term ``tid`` (empty when the segment predates the term)."""
    if tid + 1 >= indptr.shape[0]:
        return 0, 0
    return indptr[tid], indptr[tid + 1]


@njit(cache=True, nogil=True)
def _cut(indptr, docs, seg, tids, order, lo, hi, upto, out, n):  # type: ignore[no-untyped-def]
    """Append to ``out`` (from row ``n``) the posting ranges of the query terms in one segment, terms in
    the given order, cut to the date window; returns the new row count.

    Slots below ``upto`` are in publication order, so only slots in ``[lo, hi)`` of that prefix can pass
    the dates (found by binary search); slots from ``upto`` on are kept (their days are checked one by
    one). ``upto == 0``: no window.
    """
    for t in order:
        s, e = _row(indptr, tids[t])
        if e <= s:
            continue
        if upto == 0:
            out[n, 0], out[n, 1], out[n, 2], out[n, 3] = seg, s, e, t
            n += 1
            continue
        part = docs[s:e]
        a = s + np.searchsorted(part, lo)
        if hi >= upto:
            if e > a:
                out[n, 0], out[n, 1], out[n, 2], out[n, 3] = seg, a, e, t
                n += 1
            continue
        b = s + np.searchsorted(part, hi)
        c = s + np.searchsorted(part, upto)
        if b > a:
            out[n, 0], out[n, 1], out[n, 2], out[n, 3] = seg, a, b, t
            n += 1
        if e > c:
            out[n, 0], out[n, 1], out[n, 2], out[n, 3] = seg, c, e, t
            n += 1
    return n


@njit(cache=True, nogil=True)
def _accumulate(docs, tf, ranges, seg, skip, cur, first, idf, counts, k1, lens, norm, acc, careful, seen, touched,  # type: ignore[no-untyped-def]
                n):  # fmt: skip
    """Add the exact contributions of one segment's postings in the block ``[first, first + len(acc))`` to
    ``acc`` (indexed by slot - first), from each range's cursor ``cur`` on (advanced); slots matched for
    the first time go to ``touched`` (``n`` so far, as offsets). Ranges of skipped terms only have their
    cursor moved past the block.

    A slot is new when its score is still 0, true when every contribution is > 0; otherwise (``careful``:
    an idf <= 0) the ``seen`` flags tell.
    """
    k1p1 = k1 + 1.0
    upto = first + acc.shape[0]
    for r in range(ranges.shape[0]):
        if ranges[r, _SEG] != seg:
            continue
        t = ranges[r, _TERM]
        j, e = cur[r], ranges[r, _END]
        if skip[t]:
            cur[r] = j + np.searchsorted(docs[j:e], upto)
            continue
        w, count = idf[t], counts[t]
        while j < e:
            d = docs[j]
            if d >= upto:
                break
            f = np.float64(tf[j])
            c = w * (f * k1p1 / (f + norm[lens[d]]))
            if count != 1:
                c *= count
            o = d - first
            old = acc[o]
            acc[o] = old + c
            # branch-free: whether d is new is a coin flip for the branch predictor
            touched[n] = o
            if careful:
                n += 1 - seen[o]
                seen[o] = 1
            else:
                n += old == 0.0
            j += 1
        cur[r] = j
    return n


@njit(cache=True, nogil=True)
def _tf_at(docs, tf, s, e, d):  # type: ignore[no-untyped-def]
    """tf of slot ``d`` in ``docs[s:e]`` (0 when absent), by binary search."""
    j = s + np.searchsorted(docs[s:e], d)
    return np.float64(tf[j]) if j < e and docs[j] == d else 0.0


@njit(cache=True, nogil=True)
def _passes(d, alive, day, day_lo, day_hi, check_from, src, src_ok, use_src):  # type: ignore[no-untyped-def]
    """Live, in the date range (checked only from slot ``check_from``) and of a wanted source."""
    if not alive[d]:
        return False
    if d >= check_from and (day[d] < day_lo or day[d] > day_hi):
        return False
    return not use_src or src_ok[src[d]]


@njit(cache=True, nogil=True)
def _better(s1, d1, s2, d2, day, key, pos):  # type: ignore[no-untyped-def]
    """Result order: higher score, then newer day, then higher key, then lower position."""
    if s1 != s2:
        return s1 > s2
    if day[d1] != day[d2]:
        return day[d1] > day[d2]
    if key[d1] != key[d2]:
        return key[d1] > key[d2]
    return pos[d1] < pos[d2]


@njit(cache=True, nogil=True)
def _sift_down(hs, hd, i, n, day, key, pos):  # type: ignore[no-untyped-def]
    """Restore the heap ``(hs scores, hd slots)`` of size ``n`` below ``i`` (worst result at the root)."""
    while True:
        worst = i
        for child in (2 * i + 1, 2 * i + 2):
            if child < n and _better(hs[worst], hd[worst], hs[child], hd[child], day, key, pos):
                worst = child
        if worst == i:
            return
        hs[i], hs[worst] = hs[worst], hs[i]
        hd[i], hd[worst] = hd[worst], hd[i]
        i = worst


@njit(cache=True, nogil=True)
def _sift_up(hs, hd, i, day, key, pos):  # type: ignore[no-untyped-def]
    while i > 0:
        parent = (i - 1) // 2
        if not _better(hs[parent], hd[parent], hs[i], hd[i], day, key, pos):
            return
        hs[i], hs[parent] = hs[parent], hs[i]
        hd[i], hd[parent] = hd[parent], hd[i]
        i = parent


BLOCK = 1 << 14  # slots scored together: the size of the ``acc`` scratch the caller passes
_SHARE = 0.5  # terms are skipped while all they can add stays under this share of the k-th best score
_MARGIN = 1 + 1e-9  # on upper bounds: covers the rounding of the computed contributions


@njit(cache=True, nogil=True)
def top_k(m_indptr, m_docs, m_tf, f_indptr, f_docs, f_tf, tids, idf, counts, k1, lens, norm,  # type: ignore[no-untyped-def]
          window_lo, window_hi, window_upto, alive, day, day_lo, day_hi, check_from, src, src_ok, use_src,
          key, pos, k, acc, seen, touched):  # fmt: skip
    """Best ``k`` documents matching a query term, exactly scored: ``(slots, scores)`` in result order.

    The postings of the query terms (cut to the date window) are scored a block of slots at a time:
    every list is advanced through the block, then the block's matched slots, now fully scored, are
    offered to a heap of the k best that pass the filters, ordered as the results are (score, then day,
    key, position), and their scratch entries are reset.

    MaxScore: a term adds at most ``idf·count·(k1+1)`` to any document. Once the heap is full, the terms
    of smallest such bound whose bounds sum (``rest``) stays under a share of the heap's worst score
    ``theta`` are *skipped*: their postings are not scanned, since a document none of the other terms
    matches scores at most ``rest < theta`` and cannot enter the top k. For the matched documents that
    could still reach ``theta``, the skipped terms' tf is found by binary search in the block. When every
    term is skipped, no later document can enter and the scan stops. So the result equals scoring every
    posting. (Not with an idf <= 0, rank-bm25's floor on tiny collections: then everything is scanned.)

    ``norm[lens[slot]]`` is the slot's ``k1·(1 - b + b·|d|/avgdl)`` (a table by length: a posting reads
    2 bytes of ``lens`` at random, not 8 of a per-slot norm). Block scratch, zero on entry and on return:
    ``acc`` (float64, one entry per slot of a block: its size sets the block, small enough to stay in the
    L2 cache), ``seen`` (uint8, as long) and ``touched`` (int32, one longer).
    """
    n_terms = tids.shape[0]
    bound = np.empty(n_terms, dtype=np.float64)
    careful = False
    for t in range(n_terms):
        bound[t] = idf[t] * counts[t] * (k1 + 1.0) * _MARGIN
        careful = careful or idf[t] <= 0
    # skipped terms are a prefix of this order; every document's contributions are summed in the reverse
    # order (scanned terms, then skipped ones, largest bound first), so equal documents get equal sums
    by_bound = np.argsort(bound, kind="mergesort")
    ranges = np.empty((n_terms * 4, 4), dtype=np.int64)
    n_ranges = _cut(m_indptr, m_docs, 0, tids, by_bound[::-1], window_lo, window_hi, window_upto, ranges, 0)
    n_ranges = _cut(f_indptr, f_docs, 1, tids, by_bound[::-1], window_lo, window_hi, window_upto, ranges, n_ranges)
    ranges = ranges[:n_ranges]
    cur = ranges[:, _START].copy()
    block_start = cur.copy()
    skip = np.zeros(n_terms, dtype=np.uint8)
    n_skipped, rest = 0, 0.0
    hs = np.empty(k, dtype=np.float64)
    hd = np.empty(k, dtype=np.int64)
    size = 0
    while True:
        theta = hs[0] if size == k else -np.inf
        while not careful and size == k and n_skipped < n_terms and rest + bound[by_bound[n_skipped]] < _SHARE * theta:
            rest += bound[by_bound[n_skipped]]
            skip[by_bound[n_skipped]] = 1
            n_skipped += 1
        if n_skipped == n_terms:
            break
        first = -1  # the lowest slot not scored yet
        for r in range(n_ranges):
            if cur[r] < ranges[r, _END] and not skip[ranges[r, _TERM]]:
                d = m_docs[cur[r]] if ranges[r, _SEG] == 0 else f_docs[cur[r]]
                if first < 0 or d < first:
                    first = d
        if first < 0:
            break
        block_start[:] = cur
        n = _accumulate(m_docs, m_tf, ranges, 0, skip, cur, first, idf, counts, k1, lens, norm, acc, careful, seen,
                        touched, 0)  # fmt: skip
        n = _accumulate(f_docs, f_tf, ranges, 1, skip, cur, first, idf, counts, k1, lens, norm, acc, careful, seen,
                        touched, n)  # fmt: skip
        for i in range(n):
            o = touched[i]
            d = first + o
            s = acc[o]
            acc[o] = 0.0
            if careful:
                seen[o] = 0
            if s + rest < theta:
                continue
            if n_skipped:  # add the skipped terms, largest bound first, while the document can still make it
                left = rest
                for q in range(n_skipped - 1, -1, -1):
                    if s + left < theta:
                        break
                    t = by_bound[q]
                    for r in range(n_ranges):
                        if ranges[r, _TERM] != t:
                            continue
                        if ranges[r, _SEG] == 0:
                            f = _tf_at(m_docs, m_tf, block_start[r], cur[r], d)
                        else:
                            f = _tf_at(f_docs, f_tf, block_start[r], cur[r], d)
                        if f > 0:
                            c = idf[t] * (f * (k1 + 1.0) / (f + norm[lens[d]]))
                            if counts[t] != 1:
                                c *= counts[t]
                            s += c
                    left -= bound[t]
                if s < theta:
                    continue
            if not _passes(d, alive, day, day_lo, day_hi, check_from, src, src_ok, use_src):
                continue
            if size < k:
                hs[size], hd[size] = s, d
                _sift_up(hs, hd, size, day, key, pos)
                size += 1
            elif _better(s, d, hs[0], hd[0], day, key, pos):
                hs[0], hd[0] = s, d
                _sift_down(hs, hd, 0, k, day, key, pos)
            theta = hs[0] if size == k else -np.inf
    # pop the heap: worst first, so fill from the back
    slots = np.empty(size, dtype=np.int64)
    scores = np.empty(size, dtype=np.float64)
    for i in range(size - 1, -1, -1):
        slots[i], scores[i] = hd[0], hs[0]
        hs[0], hd[0] = hs[i], hd[i]
        _sift_down(hs, hd, 0, i, day, key, pos)
    return slots, scores


@njit(cache=True, nogil=True)
def _probe(indptr, docs, tf, tids, idf, counts, k1, lens, norm, slots, out):  # type: ignore[no-untyped-def]
    """Add the query terms' exact contributions in one segment to ``out`` (tf by binary search)."""
    k1p1 = k1 + 1.0
    for t in range(tids.shape[0]):
        s, e = _row(indptr, tids[t])
        if e <= s:
            continue
        row = docs[s:e]
        for i in range(slots.shape[0]):
            d = slots[i]
            j = np.searchsorted(row, d)
            if j < row.shape[0] and row[j] == d:
                f = np.float64(tf[s + j])
                c = idf[t] * (f * k1p1 / (f + norm[lens[d]]))
                if counts[t] != 1:
                    c *= counts[t]
                out[i] += c


@njit(cache=True, nogil=True)
def score_slots(m_indptr, m_docs, m_tf, f_indptr, f_docs, f_tf, tids, idf, counts, k1, lens, norm,  # type: ignore[no-untyped-def]
                slots):  # fmt: skip
    """Exact scores of the given slots (0 where no term matches)."""
    out = np.zeros(slots.shape[0], dtype=np.float64)
    _probe(m_indptr, m_docs, m_tf, tids, idf, counts, k1, lens, norm, slots, out)
    _probe(f_indptr, f_docs, f_tf, tids, idf, counts, k1, lens, norm, slots, out)
    return out


def cached_on_disk() -> bool:
    """Whether numba's disk cache holds the public kernels (False: this process compiles them, seconds).

    Reads numba's cache locations, an internal detail: where that changes, say True rather than guess.
    """
    try:
        return all(os.path.exists(k._cache._cache_file._index_path) for k in (top_k, score_slots))  # type: ignore[attr-defined]
    except AttributeError:
        return True
