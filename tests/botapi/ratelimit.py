"""Telegram-like flood control: token buckets per chat and overall, refusing with 429 retry_after.

Defaults follow Telegram's published guidance: ~1 message/s per private chat with a short burst,
20 messages/minute per group or channel, 30 messages/s overall. A small tolerance keeps a bot that paces
itself exactly at the limit (e.g. PTB's AIORateLimiter) from failing on clock jitter.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Methods that post or change messages count against the limits; reads and answers do not.
LIMITED_METHODS = frozenset(
    {
        "sendmessage",
        "editmessagetext",
        "editmessagereplymarkup",
        "copymessage",
        "forwardmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
    }
)


@dataclass
class RateLimits:
    """Mutable, per-server configuration; set ``enabled = False`` to switch flood control off."""

    enabled: bool = True
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20
    global_per_second: float = 30.0
    global_burst: int = 30
    tolerance: float = 0.05
    methods: frozenset[str] = field(default=LIMITED_METHODS)


class TokenBucket:
    """Classic token bucket: ``capacity`` tokens, refilled at ``rate`` tokens per second."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.clock = clock
        self.updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, tolerance: float) -> float:
        """Seconds until one token is available (0 if available now)."""
        self._refill()
        missing = 1.0 - tolerance - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


class FloodControl:
    """Decides, per request, whether Telegram would answer 429 and with what retry_after."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._chats: dict[int, TokenBucket] = {}
        self._global: TokenBucket | None = None

    def reset(self) -> None:
        """Forget all history (e.g. after changing limits mid-test)."""
        self._chats.clear()
        self._global = None

    def check(self, method: str, chat_id: int, chat_type: str) -> int | None:
        """Consume a token and return None, or return retry_after (whole seconds) without consuming."""
        if not self.limits.enabled or method.lower() not in self.limits.methods:
            return None
        buckets = [self._chat_bucket(chat_id, chat_type), self._global_bucket()]
        wait = max(bucket.wait_time(self.limits.tolerance) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None

    def _chat_bucket(self, chat_id: int, chat_type: str) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            lim = self.limits
            if chat_type == "private":
                bucket = TokenBucket(lim.private_burst, lim.private_per_second, self.clock)
            else:
                bucket = TokenBucket(lim.group_burst, lim.group_per_minute / 60.0, self.clock)
            self._chats[chat_id] = bucket
        return bucket

    def _global_bucket(self) -> TokenBucket:
        if self._global is None:
            self._global = TokenBucket(self.limits.global_burst, self.limits.global_per_second, self.clock)
        return self._global
