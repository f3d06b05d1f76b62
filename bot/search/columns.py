"""Per-document columns: what an index stores for each document *slot*, and the documents it takes in.

A slot is allocated per indexed document, append-only: its length in tokens, key (article id), position
(passage number, 0 for an article), day, source id, character span and alive flag. :class:`DocInput` is one
document to add, :class:`DocBatch` many as columns (the fast path of bulk builds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np


@dataclass(frozen=True, slots=True)
class DocInput:
    """A document to index: give ``text`` (analyzed by the index), ``terms`` or pre-encoded ``ids``.

    ``start``/``end`` are carried through to hits (a passage's character offsets in its article).
    """

    key: int
    pos: int
    published: date
    source: str = ""
    start: int = 0
    end: int = 0
    text: str = ""
    terms: Sequence[str] | None = None
    ids: np.ndarray | None = None


@dataclass(slots=True)
class DocBatch:
    """Many documents as columns (the fast path for bulk builds): ``ids`` is every document's term ids
    concatenated, ``lengths`` how many belong to each. Documents of one key must be adjacent."""

    keys: np.ndarray
    pos: np.ndarray
    days: np.ndarray
    sources: list[str]
    starts: np.ndarray
    ends: np.ndarray
    ids: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    @classmethod
    def concat(cls, batches: Sequence[DocBatch]) -> DocBatch:
        """One batch from several."""
        if not batches:
            z = np.zeros(0, dtype=np.int64)
            return cls(z, z.astype(np.int32), z.astype(np.int32), [], z.astype(np.int32), z.astype(np.int32),
                       z.astype(np.int32), z)  # fmt: skip
        cat = np.concatenate
        return cls(
            cat([b.keys for b in batches]), cat([b.pos for b in batches]), cat([b.days for b in batches]),
            [s for b in batches for s in b.sources], cat([b.starts for b in batches]),
            cat([b.ends for b in batches]), cat([b.ids for b in batches]), cat([b.lengths for b in batches]),
        )  # fmt: skip


class Column:
    """An append-only numpy column with amortized growth."""

    def __init__(self, dtype: np.dtype | type, data: np.ndarray | None = None) -> None:
        self.dtype = np.dtype(dtype)
        self.n = 0 if data is None else int(data.shape[0])
        self.buf = np.zeros(max(1024, self.n), dtype=self.dtype)
        if data is not None:
            self.buf[: self.n] = data

    @property
    def view(self) -> np.ndarray:
        """The filled part (a view: writes go through)."""
        return self.buf[: self.n]

    def extend(self, values: np.ndarray) -> None:
        """Append values."""
        need = self.n + values.shape[0]
        if need > self.buf.shape[0]:
            grown = np.zeros(max(need, self.buf.shape[0] * 2), dtype=self.dtype)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        self.buf[self.n : need] = values
        self.n = need


#: The per-slot columns and their dtypes (also the files of a saved generation).
COLUMNS = {
    "len": np.int32,
    "key": np.int64,
    "pos": np.int32,
    "day": np.int32,
    "src": np.int32,
    "start": np.int32,
    "end": np.int32,
    "alive": np.bool_,
}
