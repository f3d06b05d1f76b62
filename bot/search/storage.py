"""The on-disk format of an index: generations of files, a checksummed manifest, the ``CURRENT`` swap, locks.

It reads and writes an :class:`IndexState` (what :class:`~bot.search.index.BM25Index` exports: segments,
per-document columns, document frequencies, vocabulary, metadata) and knows nothing of the index itself,
the way tantivy keeps ``index_meta`` and its managed directory apart from segment code.

A directory holds:

- ``seg-<name>.{indptr,docs,tf}.npy`` — a segment's arrays; immutable, so later saves reuse them;
- ``gen-<gen>.{len,key,pos,day,src,start,end,alive,df}.npy`` and ``gen-<gen>.vocab.txt`` (one term a line)
  — one generation's columns, document frequencies and vocabulary;
- ``manifest-<gen>.json`` — the format version, the generation, which segments are main and fresh, the
  index's metadata, and the size and CRC32 of every file above that the generation uses;
- ``CURRENT`` — the name of the live manifest, replaced by an atomic rename;
- ``LOCK`` — ``flock``-ed: exclusively by a writer, shared by a reader while it opens a generation.

Each save writes new files, then the manifest, then swaps ``CURRENT``; only then are older generations
deleted (the previous one is kept for readers without the lock). A save that fails (a full disk) deletes
the files it wrote and leaves ``CURRENT`` and its generation as they were. A missing, truncated or corrupt file,
or another format, raises :class:`IndexCorruptError` at load, never a half index: the owner rebuilds.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .columns import COLUMNS
from .segments import SEGMENT_ARRAYS, Segment

#: 2: segments without float32 impacts (``w``); 3: the analyzer keeps invisible characters inside words.
#: An index of another format is rebuilt.
FORMAT_VERSION = 3
CURRENT = "CURRENT"


class IndexCorruptError(Exception):
    """The saved index is missing, truncated, corrupt or of another format: rebuild it, never serve it."""


@dataclass(slots=True)
class IndexState:
    """Everything a saved index holds. ``meta`` is small JSON-able facts (counts, sources, parameters);
    ``files`` the size and CRC32 of each file of the generation it was loaded from (empty when built)."""

    meta: dict
    main: Segment
    fresh: Segment
    columns: dict[str, np.ndarray]
    df: np.ndarray
    terms: list[str]
    files: dict[str, list[int]] = field(default_factory=dict)




def checksum(path: Path) -> int:
    """CRC32 of a file, read in 8 MiB blocks."""
    crc = 0
    with open(path, "rb") as fh:
        while block := fh.read(8 << 20):
            crc = zlib.crc32(block, crc)
    return crc


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, write: object) -> list[int]:
    """Write through ``write(fh)``, fsync, and return ``[size, crc32]``."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)  # type: ignore[operator]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not keep the half-written file
        raise
    return [path.stat().st_size, checksum(path)]


def write_file(path: Path, write: object) -> list[int]:
    """Write ``path`` through ``write(fh)`` (a temporary file, fsync, rename); returns ``[size, crc32]``.

    What every file of an index generation goes through; other file sets beside the index (the answer
    layer's sentence store) use it too, with :func:`dir_lock`, for the same guarantees."""
    return _write_file(path, write)


def dir_lock(root: Path, exclusive: bool) -> AbstractContextManager[None]:
    """The directory's ``LOCK`` (see :func:`_dir_lock`): exclusive for a writer, shared for a reader."""
    return _dir_lock(root, exclusive)


def save_state(root: Path, state: IndexState, on_disk: dict[str, list[int]]) -> dict[str, list[int]]:
    """Write ``state`` under ``root``: new files first (segments only when not on disk yet), then the
    manifest, then swap CURRENT. Returns the size and CRC32 of every file the new generation uses.

    ``on_disk`` is what the previous :func:`save_state` or :func:`load_state` of this index returned:
    immutable segment files listed there and still present are reused, not written again. An exclusive
    lock on ``root/LOCK`` serializes writers (say the bot and a CLI command), so one's clean-up never
    removes files the other's new generation uses.
    """
    root.mkdir(parents=True, exist_ok=True)
    with _dir_lock(root, exclusive=True):
        return _save_locked(root, state, on_disk)


@contextmanager
def _dir_lock(root: Path, exclusive: bool) -> Iterator[None]:
    """``flock`` on ``root/LOCK``: exclusive for a writer, shared for a reader.

    A reader holds the shared lock from reading ``CURRENT`` until every file of that generation is open
    (segments memory-mapped, the rest read), so a writer's clean-up can never delete a file under a
    loading reader, however many saves happen meanwhile. Once loaded, deleting files is harmless (POSIX
    keeps an open or mapped file alive). A directory where the lock file cannot be opened (read-only,
    absent) is read without it: nobody can write there either.
    """
    try:
        writable = exclusive or os.access(root, os.W_OK)
        fd = os.open(root / "LOCK", (os.O_RDWR | os.O_CREAT) if writable else os.O_RDONLY, 0o644)
    except OSError:
        if exclusive:
            raise
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _save_locked(root: Path, state: IndexState, on_disk: dict[str, list[int]]) -> dict[str, list[int]]:
    written: list[Path] = []
    try:
        return _write_generation(root, state, on_disk, written)
    except BaseException:
        # a failed save (a full disk) leaves CURRENT and its generation as they were, and takes back the
        # space of what it wrote
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _write_generation(root: Path, state: IndexState, on_disk: dict[str, list[int]],
                      written: list[Path]) -> dict[str, list[int]]:  # fmt: skip
    def write_array(name: str, arr: np.ndarray) -> list[int]:
        return write_file(name, lambda fh: np.save(fh, np.ascontiguousarray(arr), allow_pickle=False))

    def write_file(name: str, write: object) -> list[int]:
        if not (root / name).exists():  # only this save's own files are taken back if it fails
            written.append(root / name)
        return _write_file(root / name, write)

    gen = uuid.uuid4().hex[:12]
    files: dict[str, list[int]] = {}
    for seg in (state.main, state.fresh):
        for part in SEGMENT_ARRAYS:
            name = f"seg-{seg.name}.{part}.npy"
            if name in on_disk and (root / name).exists():
                files[name] = on_disk[name]
            else:
                files[name] = write_array(name, getattr(seg, part))
    for col, arr in state.columns.items():
        files[f"gen-{gen}.{col}.npy"] = write_array(f"gen-{gen}.{col}.npy", arr)
    files[f"gen-{gen}.df.npy"] = write_array(f"gen-{gen}.df.npy", state.df)
    vocab = "\n".join(state.terms).encode("utf-8")
    files[f"gen-{gen}.vocab.txt"] = write_file(f"gen-{gen}.vocab.txt", lambda fh: fh.write(vocab))
    manifest = {
        "format": FORMAT_VERSION,
        "gen": gen,
        "main": state.main.name,
        "fresh": state.fresh.name,
        "n_terms": len(state.terms),
        "meta": state.meta,
        "files": files,
    }
    mname = f"manifest-{gen}.json"
    write_file(mname, lambda fh: fh.write(dumps(manifest).encode("utf-8")))
    previous = _read_current(root)
    _write_file(root / CURRENT, lambda fh: fh.write(mname.encode("ascii")))
    written.clear()  # swapped in: from here on the new generation is the index
    fsync_dir(root)
    # clean up only after the swap, keeping whatever CURRENT now names (read back, not assumed) and the
    # previous generation (a reader without the lock, e.g. an older build, may still be opening it)
    _collect_garbage(root, keep={_read_current(root), mname, previous} | set(files))
    return files


def _read_current(root: Path) -> str | None:
    try:
        return (root / CURRENT).read_text("ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _collect_garbage(root: Path, keep: set[str | None]) -> None:
    """Delete files of older generations; the previous manifest and its files stay for open readers."""
    names = {k for k in keep if k}
    for name in list(names):
        if name.startswith("manifest-"):
            try:
                names |= set(json.loads((root / name).read_text("utf-8"))["files"])
            except (OSError, ValueError, KeyError):
                pass
    for entry in root.iterdir():
        if entry.name.startswith(("seg-", "gen-", "manifest-")) and entry.name not in names:
            try:
                entry.unlink()
            except OSError:
                pass


def load_state(root: Path) -> IndexState:
    """Read and verify a saved index; every failure becomes one clear IndexCorruptError."""
    if not (root / CURRENT).exists():
        raise IndexCorruptError(f"no index at {root} (missing or unreadable {CURRENT})")
    with _dir_lock(root, exclusive=False):  # no writer's clean-up while this generation is being opened
        return _load_locked(root)


def _load_locked(root: Path) -> IndexState:
    mname = _read_current(root)
    if mname is None:
        raise IndexCorruptError(f"no index at {root} (missing or unreadable {CURRENT})")
    try:
        manifest = json.loads((root / mname).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"index manifest {root / mname} unreadable: {exc}") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexCorruptError(f"index at {root} has format {manifest.get('format')}, expected {FORMAT_VERSION}")
    files: dict[str, list[int]] = manifest["files"]
    for name, (size, crc) in files.items():
        _verify(root / name, size, crc)
    gen = manifest["gen"]
    try:
        segs = {
            role: Segment(
                manifest[role],
                # copy-on-write: writable arrays to numba (one compiled kernel for loaded and built segments)
                *(np.load(root / f"seg-{manifest[role]}.{p}.npy", mmap_mode="c").view(np.ndarray)
                  for p in SEGMENT_ARRAYS),
            )
            for role in ("main", "fresh")
        }
        columns = {c: np.load(root / f"gen-{gen}.{c}.npy") for c in COLUMNS}
        df = np.load(root / f"gen-{gen}.df.npy")
        blob = (root / f"gen-{gen}.vocab.txt").read_bytes().decode("utf-8")
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"index at {root} unreadable: {exc}") from None
    terms = blob.split("\n") if blob else []
    if len(terms) != manifest["n_terms"] or df.shape[0] != len(terms):
        raise IndexCorruptError(f"index at {root}: vocabulary has {len(terms)} terms, manifest says {manifest['n_terms']}")
    return IndexState(manifest["meta"], segs["main"], segs["fresh"], columns, df, terms, files)


def _verify(path: Path, size: int, crc: int) -> None:
    try:
        actual = path.stat().st_size
    except OSError:
        raise IndexCorruptError(f"index file {path} is missing") from None
    if actual != size:
        raise IndexCorruptError(f"index file {path} is truncated or altered: {actual} bytes, expected {size}")
    if checksum(path) != crc:
        raise IndexCorruptError(f"index file {path} is corrupt: checksum mismatch")


def _json_default(obj: object) -> object:
    if isinstance(obj, np.integer):
        return int(obj)
    raise TypeError(type(obj).__name__)


def dumps(meta: dict) -> str:
    """JSON for manifests (numpy integers allowed)."""
    return json.dumps(meta, default=_json_default, indent=1, sort_keys=True)
