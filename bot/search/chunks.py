"""Chunks of pre-split text as numbers, so a build maps words to term ids in numpy, not per word in Python.

The analyzer's pre-split (:func:`bot.search.analyzer.split_bytes`) leaves a byte string where chunks are runs
of bytes other than a space. Turning each chunk into a ``bytes`` object and looking it up in a dict costs
about 120 ns a word in CPython, which over the shared corpus (37 M words) was most of the build. Here a
chunk of up to 16 bytes becomes an exact key, its bytes packed into two little-endian uint64s (a chunk
never holds a zero byte, so zero padding cannot make two chunks equal), and the keys are looked up in an
open-addressing hash table held in numpy arrays: a few vectorized passes per batch instead of a Python
call per word. Longer chunks (about 3 in 10,000) are left to the caller's dict.
"""

from __future__ import annotations

import numpy as np

MAX_KEY_BYTES = 16  # longer chunks have no key (the caller looks them up by their bytes)
_SPACE = 0x20
_EMPTY = np.uint64(0)  # no chunk has key (0, 0): chunks are non-empty and hold no zero byte
_MUL1 = np.uint64(0x9E3779B97F4A7C15)  # odd multipliers (Fibonacci hashing): high bits mix all key bits
_MUL2 = np.uint64(0xC2B2AE3D27D4EB4F)
# _MASKS[n] keeps the low n bytes of a little-endian uint64 (the first n bytes of the chunk)
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)


def chunk_spans(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, ends)`` of the chunks of pre-split ``data``: what ``data.split()`` returns, as offsets."""
    a = np.frombuffer(data, dtype=np.uint8)
    inside = np.zeros(a.shape[0] + 2, dtype=np.bool_)
    np.not_equal(a, _SPACE, out=inside[1:-1])
    edges = np.flatnonzero(inside[1:] != inside[:-1])
    return edges[0::2], edges[1::2]


def chunk_keys(
    data: bytes, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact keys ``(k1, k2)`` of chunks of at most 16 bytes, and a mask of the longer ones (keys 0, 1:
    never a chunk's key, so never found in a :class:`KeyTable`).

    Reads 8 bytes at each chunk start through a byte-strided uint64 view and masks off what follows the
    chunk; the second word only for chunks longer than 8 bytes (one in ten).
    """
    padded = data + bytes(16)  # reads past the last chunk stay inside the buffer
    words = np.ndarray((len(data) + 9,), dtype="<u8", buffer=padded, strides=(1,))
    lens = ends - starts
    k1 = words[starts]
    k1 &= _MASKS[np.minimum(lens, 8)]
    k2 = np.zeros(k1.shape[0], dtype=np.uint64)
    two = np.flatnonzero(lens > 8)
    if two.size:
        k2[two] = words[starts[two] + 8] & _MASKS[np.minimum(lens[two] - 8, 8)]
    long = lens > MAX_KEY_BYTES
    if long.any():
        k1[long] = 0
        k2[long] = 1
    return k1, k2, long


class KeyTable:
    """``(k1, k2) → int32`` for chunk keys: linear-probing hash table in numpy arrays, vectorized both ways.

    Exact (both key words are compared), kept at most half full; deterministic. An empty slot holds key
    (0, 0) and the value ``missing``, so a lookup that lands on one needs no second pass. Not thread-safe
    on its own: the vocabulary that owns it is used under the index lock.
    """

    def __init__(self, missing: int, bits: int = 12) -> None:
        self.missing = missing
        self._alloc(bits)
        self.count = 0

    def _alloc(self, bits: int) -> None:
        self.bits = bits
        self.k1 = np.zeros(1 << bits, dtype=np.uint64)
        self.k2 = np.zeros(1 << bits, dtype=np.uint64)
        self.val = np.full(1 << bits, self.missing, dtype=np.int32)

    def __len__(self) -> int:
        return self.count

    def _slots(self, k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
        h = k2 * _MUL2
        h ^= k1
        h *= _MUL1
        h >>= np.uint64(64 - self.bits)
        return h.view(np.int64)  # < 2**bits: the same numbers, usable as indices without a copy

    def lookup(self, k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
        """Value of each key, ``missing`` where absent."""
        slots = self._slots(k1, k2)
        out = self.val[slots]
        t1 = self.k1[slots]
        other = t1 != k1
        other |= self.k2[slots] != k2
        other &= t1 != _EMPTY  # an empty slot: absent, and its value is already ``missing``
        at = np.flatnonzero(other)
        slots = slots[at]
        mask = (1 << self.bits) - 1
        while at.size:  # the few keys whose slot holds another key: probe the next slots
            slots = (slots + 1) & mask
            q1, q2 = k1[at], k2[at]
            out[at] = self.val[slots]
            t1 = self.k1[slots]
            other = t1 != q1
            other |= self.k2[slots] != q2
            other &= t1 != _EMPTY
            keep = np.flatnonzero(other)
            at, slots = at[keep], slots[keep]
        return out

    def insert(self, k1: np.ndarray, k2: np.ndarray, values: np.ndarray) -> None:
        """Add distinct keys that are not in the table yet (not checked)."""
        if k1.shape[0] == 0:
            return
        if 2 * (self.count + k1.shape[0]) > (1 << self.bits):
            self._grow(self.count + k1.shape[0])
        self._place(k1, k2, np.asarray(values, dtype=np.int32))
        self.count += k1.shape[0]

    def _grow(self, need: int) -> None:
        used = np.flatnonzero(self.k1 != _EMPTY)
        k1, k2, val = self.k1[used], self.k2[used], self.val[used]
        bits = self.bits
        while 2 * need > (1 << bits):
            bits += 1
        self._alloc(bits)
        self._place(k1, k2, val)

    def _place(self, k1: np.ndarray, k2: np.ndarray, values: np.ndarray) -> None:
        slots = self._slots(k1, k2)
        todo = np.arange(k1.shape[0])
        mask = (1 << self.bits) - 1
        while todo.size:
            free = self.k1[slots] == _EMPTY
            # one key per free slot wins this round; the rest (and keys at taken slots) probe the next
            cand = np.flatnonzero(free)
            taken, first = np.unique(slots[cand], return_index=True)
            win = todo[cand[first]]
            self.k1[taken], self.k2[taken], self.val[taken] = k1[win], k2[win], values[win]
            placed = np.zeros(todo.shape[0], dtype=np.bool_)
            placed[cand[first]] = True
            todo, slots = todo[~placed], (slots[~placed] + 1) & mask
