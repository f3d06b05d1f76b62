"""Answer questions in worker processes, so that answering uses every core and the event loop only talks
to Telegram.

The answer pipeline is CPU-bound Python: in threads of the bot's own process it holds the GIL, so the
whole bot answers on one core, and the event loop waits for the GIL (up to the switch interval) every
time it wants to send a reply. :class:`AnswerWorkers` runs ``Answerer.answer`` in a pool of worker
processes instead. Each worker builds its services with the bot's own :func:`bot.services.open_services`,
read-only: its own store connection and the saved search index (its big arrays memory-mapped, so the page
cache holds them once for all processes), and never writes either: the bot process still owns the index,
refreshes it from the store and saves it.

Each task carries the store change counter the bot's index has reached; a worker that is behind applies
the store's changes first, so a worker never answers from an older corpus than the bot process would.

Workers are spawned (not forked: the bot has threads) at start-up; when they cannot start, or die, the
bot logs it once and answers in its own process as before (spawned workers import the main module, so a
script that starts the bot itself needs the ``if __name__ == "__main__":`` guard; ``python -m bot`` has
it). ``NEWSBOT_ANSWER_WORKERS=0`` keeps everything in process. Only ``answer`` goes to the workers:
``/latest``, subscriptions and deliveries stay in the bot process, next to the index they refresh.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.answer.pipeline import Answerer
    from bot.answer.rank import RankConfig
    from bot.answer.types import Answer
    from bot.config import Settings
    from bot.services import Services

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # prctl option, <linux/prctl.h>
START_TIMEOUT = 120.0  # seconds for every worker to import, open the index and answer a first question


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class AnswerWorkers:
    """``answer()`` in a process pool, or in a thread of this process when there is none."""

    def __init__(self, services: Services, processes: int) -> None:
        self.services = services
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    @property
    def running(self) -> bool:
        """Whether answers go to worker processes (False: in this process)."""
        return self._pool is not None

    async def start(self) -> bool:
        """Start the workers and wait until each has answered once; False (answers stay here) on failure.

        Only the saved index can be shared this way; the reference backend (``rank-bm25``) stays in process.
        """
        settings = self.services.settings
        retriever = self.services.retriever
        if self.processes < 1 or self._pool is not None or settings.search_backend != "index":
            return self.running
        pool = ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_open_worker,
            initargs=(settings, self.services.answerer.config),
        )
        loop = asyncio.get_running_loop()
        try:
            warmups = [loop.run_in_executor(pool, _warm_up, retriever.seq) for _ in range(self.processes)]
            await asyncio.wait_for(asyncio.gather(*warmups), START_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - no spawn, no index, a bug: answer here instead
            log.warning("answer workers did not start (%r); answering in the bot process", exc)
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
            return False
        self._pool = pool
        log.info("answering in %d worker processes", self.processes)
        return True

    async def answer(
        self, question: str, *, as_of: date | None = None, offset: int = 0, limit: int = 3
    ) -> Answer:
        """``Answerer.answer`` in a worker, or in a thread here when the workers are stopped or broken."""
        answerer = self.services.answerer
        pool = self._pool
        if pool is not None:
            seq = self.services.retriever.seq
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    pool, _answer, question, as_of, offset, limit, seq
                )
            except BrokenExecutor as exc:
                if self._pool is pool:  # the first to notice says so, once
                    self._pool = None
                    log.error("answer workers died (%s); answering in the bot process from now on", exc)
                    pool.shutdown(wait=False, cancel_futures=True)
        return await asyncio.to_thread(answerer.answer, question, as_of=as_of, offset=offset, limit=limit)

    def close(self) -> None:
        """Stop the workers after the answers in flight (idempotent); no process outlives this call."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# -- in the worker processes ---------------------------------------------------------------------------

_services: Services | None = None


def _open_worker(settings: Settings, config: RankConfig | None) -> None:
    """Worker start: the bot's services, opened by the same function, read-only (its own store connection,
    the saved index read and caught up in memory, nothing ingested, grouped or saved)."""
    from bot.services import open_services

    global _services
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the bot stops us
    _exit_with_parent()
    _services = open_services(settings, config=config, read_only=True)


def _exit_with_parent() -> None:
    """Ask Linux for SIGTERM when the bot process dies, even by SIGKILL or the OOM killer: a worker
    waiting for tasks would otherwise wait forever. Elsewhere the bot's own shutdown is all there is."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # the bot died before the request took effect
        os._exit(0)


def _catch_up(seq: int) -> Answerer:
    """The worker's answerer, its index at least as new as the bot process's (``seq``)."""
    if _services is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("answer worker not initialised")
    if _services.retriever.seq < seq:
        _services.refresh()
    return _services.answerer


def _warm_up(seq: int) -> int:
    """Open everything and answer once, so the first user does not wait for page faults; the pid."""
    _catch_up(seq).answer("news", limit=1)
    return os.getpid()


def _answer(question: str, as_of: date | None, offset: int, limit: int, seq: int) -> Answer:
    """One page of an answer, computed in a worker."""
    return _catch_up(seq).answer(question, as_of=as_of, offset=offset, limit=limit)
