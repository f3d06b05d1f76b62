"""Process-level locks on the store: one ingest at a time, one bot at a time.

Both are ``flock`` locks on small files beside the SQLite database. The kernel drops them when the
holder's last descriptor closes, so a process that dies, even by ``kill -9``, never leaves a stale lock
behind; the holder's pid is written into the file only to name it in messages.

The PostgreSQL store takes the same locks as session advisory locks (``pg_advisory_lock``, released
when its connection closes or dies: :meth:`bot.store.postgres.PostgresDatabase.process_lock`), and raises
the same :class:`LockBusy`, so callers do not change.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class LockBusy(Exception):
    """Another process holds the lock (raised only when the caller chose not to wait)."""

    def __init__(self, path: Path | str, holder: str) -> None:
        super().__init__(f"{path} is held by {holder}")
        self.path = path
        self.holder = holder


def _holder(fd: int) -> str:
    """Who holds the lock, as written into the file by them ("pid 123"), for messages."""
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "another process"


@contextmanager
def hold(path: Path, *, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the block.

    When another process holds it: with ``wait``, ``on_wait(holder)`` is called once and the call blocks
    until the lock is free (Ctrl-C interrupts the wait); without, :class:`LockBusy` is raised at once.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            holder = _holder(fd)
            if not wait:
                raise LockBusy(path, holder) from None
            if on_wait is not None:
                on_wait(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        _write_pid(fd)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_pid(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError:  # a full disk must not stop the lock from working: the pid is only informative
        pass
