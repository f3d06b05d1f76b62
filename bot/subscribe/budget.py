"""A sending budget: how long a message must wait so that the whole bot stays under its rate limits.

Telegram-free: the caller names the chat (a :class:`Lane`: a key, and whether it is a group with the
slower group rate) and gets a :class:`Slot` back, the seconds to wait. Two implementations keep one
algorithm behind :class:`SendBudget`: :class:`LocalBudget` in this process (one replica), and
:class:`bot.subscribe.budget_redis.RedisBudget`, shared by every replica through a script in Redis.

The algorithm is GCRA (the "virtual scheduling" form of a token bucket): each bucket keeps a theoretical
arrival time ``tat``; a message may leave at ``tat - tolerance`` at the earliest, and moves ``tat`` on by
one interval. A reservation is taken only when the chat's own bucket (and any pause) lets the message go
now; otherwise nothing is reserved and the caller sleeps and asks again. That keeps a group's message
due in 30 s from taking an overall slot 30 s ahead (which would hold every other chat back). When it
is taken, the slot is the later of now and the overall bucket's earliest, and both buckets move on
from that slot, so the spacing a chat sees is the spacing the budget kept.

A pause (the platform said "retry after N s") holds one chat, or every chat: a refusal without a chat,
or refusals in two different chats within :data:`ESCALATE_WITHIN` seconds, mean the limit that was hit
is the overall one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

#: Refusals in two different chats this close together pause every chat (the overall limit was hit).
ESCALATE_WITHIN = 1.0
#: Seconds of float rounding forgiven when a slot is due (nine intervals of 60/18 s are not quite 30.0).
_EPSILON = 1e-9
#: Chat buckets kept before idle ones (whose next slot is already due) are forgotten.
_MAX_IDLE_CHATS = 1024

Scope = Literal["chat", "all"]


@dataclass(frozen=True, slots=True)
class Rate:
    """``per_second`` messages a second, of which ``burst`` may leave at once after a quiet spell."""

    per_second: float
    burst: int = 1

    @property
    def interval(self) -> float:
        """Seconds between two messages at the steady rate."""
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        """How far ahead of the steady schedule a message may leave (what makes the burst)."""
        return (max(self.burst, 1) - 1) * self.interval

    def share(self, parts: int) -> Rate:
        """One of ``parts`` equal shares: the rate divided, the burst divided but at least one."""
        return Rate(self.per_second / parts, max(1, self.burst // parts))


@dataclass(frozen=True, slots=True)
class Limits:
    """The budget: overall, per private chat and per group. ``None`` leaves that bucket out."""

    overall: Rate | None
    private: Rate | None
    group: Rate | None

    def share(self, parts: int) -> Limits:
        """What one of ``parts`` replicas may use on its own without exceeding the whole together."""
        if parts <= 1:
            return self
        return Limits(
            *(rate.share(parts) if rate else None for rate in (self.overall, self.private, self.group))
        )


@dataclass(frozen=True, slots=True)
class Lane:
    """A chat as the budget sees it: a stable key, and whether the group rate applies."""

    key: str
    group: bool = False


@dataclass(frozen=True, slots=True)
class Slot:
    """Seconds to wait; ``taken``: the slot is ours after the wait (else wait, then ask again)."""

    wait: float
    taken: bool


class SendBudget(Protocol):
    """Reserves send slots and records pauses; see the module docstring for the algorithm."""

    async def start(self) -> None:
        """Connect what the budget needs (called once, inside the event loop)."""

    async def reserve(self, lane: Lane) -> Slot:
        """A slot for one message to ``lane`` (and overall), or the wait before asking again."""

    async def pause(self, lane: Lane | None, seconds: float) -> Scope:
        """Hold ``lane`` (``None``: every chat) for ``seconds``; which scope was paused."""

    async def close(self) -> None:
        """Release connections."""


async def take_slot(
    budget: SendBudget, lane: Lane, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
) -> float:
    """Wait until a slot for ``lane`` is ours; the seconds waited."""
    waited = 0.0
    while True:
        slot = await budget.reserve(lane)
        if slot.wait > 0:
            await sleep(slot.wait)
            waited += slot.wait
        if slot.taken:
            return waited


class FairQueue:
    """Messages to one lane take their slots in the order they asked, within this process (the budget
    alone would let waiters for one chat race when its slot comes, and a reply queued first could
    leave last). Only the first in line asks the budget."""

    def __init__(self, budget: SendBudget) -> None:
        self.budget = budget
        self._lines: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    async def take(self, lane: Lane) -> float:
        """:func:`take_slot` in turn; the seconds waited for the slot (not for the line)."""
        lock, users = self._lines.setdefault(lane.key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                return await take_slot(self.budget, lane)
        finally:
            users[0] -= 1
            if not users[0]:
                del self._lines[lane.key]


def gcra_slot(
    now: float,
    paused_until: float,
    overall: tuple[Rate, float] | None,
    chat: tuple[Rate, float] | None,
) -> tuple[Slot, float | None, float | None]:
    """One reservation: ``(slot, overall tat, chat tat)``; each bucket is ``(rate, tat)`` and its new tat is
    None when nothing was reserved. The script in :mod:`bot.subscribe.budget_redis` is this function."""
    if paused_until > now + _EPSILON:
        return Slot(paused_until - now, False), None, None
    if chat is not None and chat[1] - chat[0].tolerance > now + _EPSILON:
        return Slot(chat[1] - chat[0].tolerance - now, False), None, None
    at = now if overall is None else max(now, overall[1] - overall[0].tolerance)
    new_overall = None if overall is None else max(overall[1], at) + overall[0].interval
    new_chat = None if chat is None else max(chat[1], at) + chat[0].interval
    return Slot(at - now, True), new_overall, new_chat


class LocalBudget:
    """The budget of one process: :func:`gcra_slot` over buckets kept in memory."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._overall_tat = 0.0
        self._chat_tat: dict[str, float] = {}
        self._paused: dict[str, float] = {}
        self._paused_all = 0.0
        self._last_refusal: tuple[str, float] | None = None

    async def start(self) -> None:
        """Nothing to connect."""

    async def close(self) -> None:
        """Nothing to release."""

    async def reserve(self, lane: Lane) -> Slot:
        """See :meth:`SendBudget.reserve`."""
        return self.reserve_now(lane)

    async def pause(self, lane: Lane | None, seconds: float) -> Scope:
        """See :meth:`SendBudget.pause`."""
        return self.pause_now(lane, seconds)

    def reserve_now(self, lane: Lane) -> Slot:
        """:meth:`reserve` without the coroutine."""
        now = self._clock()
        rate = self.limits.group if lane.group else self.limits.private
        overall = (self.limits.overall, self._overall_tat) if self.limits.overall else None
        chat = (rate, self._chat_tat.get(lane.key, 0.0)) if rate else None
        paused = max(self._paused_all, self._paused.get(lane.key, 0.0))
        slot, new_overall, new_chat = gcra_slot(now, paused, overall, chat)
        if new_overall is not None:
            self._overall_tat = new_overall
        if new_chat is not None:
            if len(self._chat_tat) > _MAX_IDLE_CHATS:
                self._forget_idle(now)
            self._chat_tat[lane.key] = new_chat
        return slot

    def pause_now(self, lane: Lane | None, seconds: float) -> Scope:
        """:meth:`pause` without the coroutine."""
        now = self._clock()
        until = now + seconds
        last, self._last_refusal = self._last_refusal, (lane.key, now) if lane else None
        escalate = lane is None or (
            last is not None and last[0] != lane.key and now - last[1] <= ESCALATE_WITHIN
        )
        if lane is not None:
            self._paused[lane.key] = max(self._paused.get(lane.key, 0.0), until)
        if escalate:
            self._paused_all = max(self._paused_all, until)
            return "all"
        return "chat"

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets of chats whose next slot is due (quiet for a while) to bound memory."""
        for key, tat in list(self._chat_tat.items()):
            if tat <= now:
                del self._chat_tat[key]
        for key, until in list(self._paused.items()):
            if until <= now:
                del self._paused[key]
