"""The replicas' leader: which process polls feeds, plans deliveries and runs the daily jobs.

Several webhook replicas share one store (README "Running several replicas"); what must happen in exactly
one place runs where :class:`Leadership` says ``is_leader``. It holds the store's ``leader`` lease
(:class:`bot.store.leases.LeaseRepo`), renewing it from a thread of its own, so a busy event loop never lets
it lapse, and answers ``is_leader`` from its own clock: a holder that could not renew in time (the
database unreachable, the process stalled) stops acting as the leader before anyone else may start. A
leader killed with ``kill -9`` stops renewing and is replaced within the lease time plus one renewal
interval. A single polling bot (:class:`AlwaysLeader`) is alone on its store and always the leader.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

from bot.store.leases import LEADER, LeaseRepo

log = logging.getLogger(__name__)


def holder_id() -> str:
    """This process, as named in leases and delivery claims: host, pid and a random part (pids recur)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Leader(Protocol):
    """What the delivery jobs ask: whether to act as the leader, and this process's holder id."""

    @property
    def is_leader(self) -> bool: ...

    @property
    def holder(self) -> str: ...


class Leadership:
    """Hold the leader lease when possible, from a thread; ``is_leader`` says whether to act as leader.

    ``ttl`` is the lease time: a dead leader is replaced within ``ttl`` plus one ``renew`` interval (by
    default a third of it). A holder counts itself the leader only until ``ttl`` minus a margin after
    the start of its last successful renewal, so it steps down before another process may take over.
    """

    def __init__(
        self,
        leases: LeaseRepo,
        *,
        ttl: float = 30.0,
        holder: str | None = None,
        name: str = LEADER,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.leases = leases
        self.ttl = ttl
        self.renew = ttl / 3
        self.margin = ttl / 6
        self.holder = holder or holder_id()
        self.name = name
        self.on_change = on_change
        self._valid_until = 0.0
        self._was_leader = False
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this process holds the lease with time to spare."""
        return time.monotonic() < self._valid_until

    def start(self) -> None:
        """Try at once, then keep trying (or renewing) every ``renew`` seconds in a daemon thread."""
        self.step()
        self._thread = threading.Thread(target=self._run, name="newsbot-leader", daemon=True)
        self._thread.start()

    def step(self) -> bool:
        """One attempt to take or renew the lease; returns ``is_leader`` afterwards."""
        started = time.monotonic()
        try:
            held = self.leases.acquire(self.name, self.holder, self.ttl)
        except Exception as exc:  # noqa: BLE001 - the database is away: not the leader until it is back
            if not self._failing:
                log.warning("leader lease: cannot reach the store (%s); acting as a follower until it is back",
                            exc)  # fmt: skip
            self._failing = True
            held = False
        else:
            if self._failing:
                log.info("leader lease: the store answers again")
            self._failing = False
        if held:
            self._valid_until = started + self.ttl - self.margin
        elif self._valid_until and not self._failing:
            self._valid_until = 0.0  # someone else holds it now
        self._announce()
        return self.is_leader

    def _announce(self) -> None:
        now = self.is_leader
        if now != self._was_leader:
            self._was_leader = now
            if now:
                log.info("this replica (%s) is the leader: it polls feeds, plans deliveries and runs the daily "
                         "jobs", self.holder)  # fmt: skip
            else:
                log.warning("this replica (%s) is no longer the leader", self.holder)
            if self.on_change is not None:
                self.on_change(now)

    def _run(self) -> None:
        while not self._stop.wait(self.renew):
            self.step()

    def stop(self) -> None:
        """Stop renewing and hand the lease back, so a follower takes over at its next try."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        was = self.is_leader
        self._valid_until = 0.0
        if was:
            try:
                self.leases.release(self.name, self.holder)
            except Exception as exc:  # noqa: BLE001 - the lease then simply expires
                log.warning("leader lease not released (%s); it expires in %.0f s", exc, self.ttl)


class AlwaysLeader:
    """The single-process bot (polling, one store lock): always the leader."""

    is_leader = True

    def __init__(self) -> None:
        self.holder = holder_id()

    def start(self) -> None:
        """Nothing to take."""

    def stop(self) -> None:
        """Nothing to give back."""
