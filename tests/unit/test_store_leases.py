"""The leader lease in the store: one holder at a time, renewed by its holder, taken over once expired."""

from __future__ import annotations

import time
from pathlib import Path

from bot.leader import Leadership
from bot.store import Store


def test_one_holder_renewals_and_takeover_after_expiry(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    leases = store.leases
    assert leases.acquire("leader", "a", ttl=10, now=100.0)
    assert not leases.acquire("leader", "b", ttl=10, now=105.0)  # a's lease runs until 110
    assert leases.acquire("leader", "a", ttl=10, now=108.0)  # renewed until 118
    assert not leases.acquire("leader", "b", ttl=10, now=117.0)
    assert leases.holder("leader", now=117.0) == "a"
    assert leases.holder("leader", now=119.0) is None  # a stopped renewing: expired
    assert leases.acquire("leader", "b", ttl=10, now=119.0)
    assert not leases.acquire("leader", "a", ttl=10, now=120.0)  # a, back from a stall, is a follower
    assert leases.release("leader", "b") and not leases.release("leader", "b")
    assert leases.acquire("leader", "a", ttl=10, now=121.0)
    store.close()


def test_leadership_steps_down_before_anyone_may_take_over(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    changes: list[bool] = []
    first = Leadership(store.leases, ttl=1.2, holder="first", on_change=changes.append)
    second = Leadership(store.leases, ttl=1.2, holder="second")
    assert first.step() and not second.step()
    assert changes == [True]
    time.sleep(1.2 - first.margin + 0.05)  # first did not renew (as if stalled): it no longer leads...
    assert not first.is_leader
    assert store.leases.holder("leader") == "first"  # ...although its lease has not quite run out yet
    time.sleep(first.margin + 0.05)
    assert second.step() and not first.step()
    assert changes == [True, False]
    second.stop()  # a clean stop hands the lease back at once
    assert first.step()
    store.close()
