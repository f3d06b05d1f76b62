"""Injected failures: 5xx / 502 pages, 429 storms, slow answers and dropped connections.

Rules apply to the next N matching requests or for a time window, optionally only to some methods,
so a test can say "the next 3 sendMessage calls hit a 502" or "for 2 s everything is slow". A faulted
request is *not* executed (as when Telegram's front-end fails before the backend saw it), unless the
rule says ``after=True``: then the request is executed and only the response is lost — the case that
makes naive retries send duplicates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["status", "retry_after", "slow", "drop"]

NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1>"
    "</center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass
class Fault:
    """One injection rule; see :class:`FaultInjector` for the constructors."""

    kind: FaultKind
    remaining: int | None = None  # None: unlimited (until ``until``)
    until: float | None = None  # monotonic deadline, None: no deadline
    methods: frozenset[str] | None = None  # lower-case method names, None: all
    status: int = 502
    reason: str = "Bad Gateway"
    html: bool = True
    retry_after: int = 1
    seconds: float = 0.0
    after: bool = False
    hits: int = 0

    def matches(self, method: str, now: float) -> bool:
        if self.until is not None and now >= self.until:
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.methods is None or method.lower() in self.methods

    @property
    def exhausted(self) -> bool:
        return (self.remaining is not None and self.remaining <= 0) or (
            self.until is not None and time.monotonic() >= self.until
        )


@dataclass
class FaultInjector:
    """The active rules of one server; the first matching rule wins."""

    rules: list[Fault] = field(default_factory=list)
    log: list[tuple[str, FaultKind]] = field(default_factory=list)

    def add(self, fault: Fault) -> Fault:
        self.rules.append(fault)
        return fault

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 502,
        reason: str = "Bad Gateway",
        methods: list[str] | None = None,
        html: bool | None = None,
    ) -> Fault:
        """Next ``n`` requests get HTTP ``status`` (502/504 as nginx HTML pages, others as JSON)."""
        return self.add(
            Fault(
                "status",
                remaining=n,
                methods=_lower(methods),
                status=status,
                reason=reason,
                html=status in (502, 503, 504) if html is None else html,
            )
        )

    def retry_after_next(
        self, n: int = 1, *, retry_after: int = 1, methods: list[str] | None = None
    ) -> Fault:
        """Next ``n`` requests get 429 "Too Many Requests: retry after N"."""
        return self.add(Fault("retry_after", remaining=n, methods=_lower(methods), retry_after=retry_after))

    def slow_next(
        self, n: int = 1, *, seconds: float, methods: list[str] | None = None, after: bool = False
    ) -> Fault:
        """Next ``n`` requests are answered ``seconds`` late (a client timeout abandons them)."""
        return self.add(Fault("slow", remaining=n, methods=_lower(methods), seconds=seconds, after=after))

    def drop_next(self, n: int = 1, *, methods: list[str] | None = None, after: bool = False) -> Fault:
        """Next ``n`` requests get their connection closed with no response."""
        return self.add(Fault("drop", remaining=n, methods=_lower(methods), after=after))

    def during(
        self, duration: float, kind: FaultKind, *, methods: list[str] | None = None, **options: object
    ) -> Fault:
        """Apply ``kind`` to every matching request for the next ``duration`` seconds (an outage window).

        ``options`` set the rule's fields, e.g. ``status=502``, ``retry_after=3``, ``seconds=6`` (slow).
        """
        fault = Fault(kind, until=time.monotonic() + duration, methods=_lower(methods))
        for key, value in options.items():
            setattr(fault, key, value)
        if kind == "status" and "html" not in options:
            fault.html = fault.status in (502, 503, 504)
        return self.add(fault)

    def clear(self) -> None:
        """Remove all rules (the log is kept)."""
        self.rules.clear()

    def pick(self, method: str) -> Fault | None:
        """The rule to apply to this request (consuming one use of it), or None."""
        now = time.monotonic()
        self.rules = [r for r in self.rules if not r.exhausted]
        for rule in self.rules:
            if rule.matches(method, now):
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.hits += 1
                self.log.append((method, rule.kind))
                return rule
        return None


def _lower(methods: list[str] | None) -> frozenset[str] | None:
    return frozenset(m.lower() for m in methods) if methods else None
