"""What the server saw: one record per request, for counts and "no request was refused" asserts."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestRecord:
    """One HTTP request to the Bot API and how it was answered."""

    method: str
    params: dict[str, Any]
    status: int
    description: str | None = None
    parameters: dict[str, Any] | None = None
    injected: bool = False  # answered by a fault rule, not by the API logic
    abandoned: bool = False  # the client had gone away before the answer
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        """A refusal the real Telegram would also have produced (400/403/404/409/429...)."""
        return not self.ok and not self.injected and not self.abandoned


@dataclass
class RequestLog:
    """All request records plus per-method call counts."""

    records: list[RequestRecord] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    def add(self, record: RequestRecord) -> None:
        self.records.append(record)

    @property
    def refused(self) -> list[RequestRecord]:
        return [r for r in self.records if r.refused]

    def by_method(self, method: str) -> list[RequestRecord]:
        return [r for r in self.records if r.method.lower() == method.lower()]

    def clear(self) -> None:
        self.records.clear()
        self.calls.clear()
