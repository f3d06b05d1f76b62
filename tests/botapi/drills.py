"""Load and fault drills against whatever bot is polling the server: inject many questions at once,
wait until each has an answer, and report what a user and an operator would care about.

The drills only talk to :class:`BotApiServer`; the test that calls them starts the bot. CPU is that of
the whole test process, which also runs the fake server, and separately that of its child processes
(the bot's answer workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import psutil

from .models import StoredMessage, User
from .records import RequestRecord
from .server import BotApiServer

QUESTIONS = (
    "What did NATO say about Ukraine?",
    "What happened with the Black Sea grain deal?",
    "Who won the football final?",
    "Did parliament pass the budget?",
    "What about defence spending?",
)


@dataclass
class DrillReport:
    """Outcome of one drill; ``ok`` is what a test asserts, ``summary()`` what it prints."""

    chats: int
    questions: int
    answered: int = 0
    unanswered: list[tuple[int, int]] = field(default_factory=list)  # (chat id, question number)
    extra_answers: dict[int, int] = field(default_factory=dict)  # chat id → answers beyond questions
    refused: list[RequestRecord] = field(default_factory=list)
    injected_faults: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # this process: the bot's event loop (and its threads) plus the fake server
    child_cpu_seconds: float = 0.0  # the bot's child processes (answer workers), when it has any

    @property
    def rate_limited(self) -> list[RequestRecord]:
        return [r for r in self.refused if r.status == 429]

    @property
    def ok(self) -> bool:
        return not self.unanswered and not self.extra_answers and not self.refused

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> str:
        throughput = self.answered / self.elapsed if self.elapsed else 0.0
        cpu = 100.0 * self.cpu_seconds / self.elapsed if self.elapsed else 0.0
        median = statistics.median(self.latencies) if self.latencies else float("nan")
        per_answer = 1000 * (self.cpu_seconds + self.child_cpu_seconds) / max(self.answered, 1)
        return (
            f"{self.chats} chats × {self.questions // max(self.chats, 1)} questions: answered "
            f"{self.answered}/{self.questions}, unanswered {len(self.unanswered)}, duplicate answers "
            f"{sum(self.extra_answers.values())}, refused {len(self.refused)} "
            f"(429: {len(self.rate_limited)}), injected faults {self.injected_faults}; "
            f"{self.elapsed:.1f} s, {throughput:.1f} answers/s, latency p50 {median:.2f} s "
            f"p99 {self.percentile(0.99):.2f} s; CPU: test process {self.cpu_seconds:.1f} s "
            f"({cpu:.0f}% of one core), child processes {self.child_cpu_seconds:.1f} s, {per_answer:.0f} ms per answer"
        )


def _cpu() -> float:
    """CPU seconds used by this process (bot + fake server), all threads."""
    return time.process_time()


def _child_cpu() -> float:
    """CPU seconds used so far by this process's live children (the bot's answer workers)."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            times = child.cpu_times()
            total += times.user + times.system
    return total


async def ask_everyone(
    server: BotApiServer, users: list[User], per_user: int, question: Callable[[int, int], str] | None = None
) -> dict[int, list[StoredMessage]]:
    """Each user asks ``per_user`` questions in their private chat, all at once."""
    pick = question or (lambda u, i: QUESTIONS[(u + i) % len(QUESTIONS)])
    asked: dict[int, list[StoredMessage]] = {}
    for n, user in enumerate(users):
        asked[user.id] = [server.send_text(user, user, pick(n, i)) for i in range(per_user)]
    return asked


async def collect(
    server: BotApiServer,
    asked: dict[int, list[StoredMessage]],
    timeout: float,
    started: float,
    cpu_start: float,
    settle: float = 1.0,
    child_cpu_start: float = 0.0,
) -> DrillReport:
    """Wait until every chat has as many bot messages as questions (or timeout), then score."""
    total = sum(len(q) for q in asked.values())
    report = DrillReport(chats=len(asked), questions=total)

    def all_answered() -> bool:
        return all(len(server.bot_messages(chat)) >= len(qs) for chat, qs in asked.items())

    with contextlib.suppress(TimeoutError):  # scored below: unanswered questions are the finding
        await server.wait_for(all_answered, timeout, "every question answered")
    report.elapsed = time.monotonic() - started
    report.cpu_seconds = _cpu() - cpu_start
    report.child_cpu_seconds = _child_cpu() - child_cpu_start
    await asyncio.sleep(settle)  # late duplicates would show up here
    for chat, questions in asked.items():
        _score_chat(report, chat, questions, server.bot_messages(chat))
    report.refused = list(server.refused)
    report.injected_faults = sum(1 for r in server.requests if r.injected)
    return report


def _score_chat(
    report: DrillReport, chat: int, questions: list[StoredMessage], answers: list[StoredMessage]
) -> None:
    report.answered += min(len(answers), len(questions))
    report.unanswered += [(chat, i) for i in range(len(answers), len(questions))]
    if len(answers) > len(questions):
        report.extra_answers[chat] = len(answers) - len(questions)
    ordered = sorted(questions, key=lambda m: m.created)
    for question, answer in zip(ordered, sorted(answers, key=lambda m: m.created), strict=False):
        report.latencies.append(answer.created - question.created)


async def load_drill(
    server: BotApiServer,
    *,
    chats: int = 200,
    per_chat: int = 5,
    timeout: float = 240.0,
    questions: Sequence[str] | None = None,
) -> DrillReport:
    """Drill 1: ``chats`` users each ask ``per_chat`` questions at the same moment (from ``questions``,
    round robin, or a few built-in ones)."""
    users = [server.add_user(f"User{i}") for i in range(chats)]
    pick = None
    if questions:
        pool = list(questions)
        pick = lambda u, i: pool[(u * per_chat + i) % len(pool)]
    child_start, cpu_start, started = _child_cpu(), _cpu(), time.monotonic()
    asked = await ask_everyone(server, users, per_chat, pick)
    return await collect(server, asked, timeout, started, cpu_start, child_cpu_start=child_start)


async def fault_drill(
    server: BotApiServer, *, chats: int = 30, per_chat: int = 2, outage: float = 6.0, timeout: float = 180.0
) -> DrillReport:
    """Drill 2: questions arrive while Telegram misbehaves (429 storms, 502s, timeouts, drops) for
    ``outage`` seconds, then recovers; every question must still get exactly one answer."""
    users = [server.add_user(f"User{i}") for i in range(chats)]
    faults = server.faults
    faults.fail_next(3, methods=["getUpdates"])  # PTB backs off 1 s, 1.5 s, 2.25 s...: keep it short
    faults.retry_after_next(10, retry_after=2, methods=["sendMessage"])
    faults.fail_next(10, methods=["sendMessage"])
    faults.drop_next(5, methods=["sendMessage"])
    faults.during(outage, "slow", seconds=6.0, methods=["sendMessage"])
    child_start, cpu_start, started = _child_cpu(), _cpu(), time.monotonic()
    asked = await ask_everyone(server, users, per_chat)
    return await collect(server, asked, timeout, started, cpu_start, settle=3.0, child_cpu_start=child_start)
