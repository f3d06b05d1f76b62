"""The delivery drills, shared by ``bench/`` (printing) and the slow tests (asserting).

* :func:`kill_drill`: ``python -m bot run`` in its own process against the local Bot API server, chats
  subscribed to every article while articles keep arriving, killed with SIGKILL again and again: at
  random moments, and right between a push being posted and being recorded (the server executes the
  request and holds back its answer). Every (chat, article) pair is then counted in the chats: each must
  be there exactly once. Lost and doubled are reported per kill (for the pushes the kill caught on the
  wire) and in total.
* :func:`fanout_drill`: the real Application in this process, many private chats subscribing to one
  topic (their ``/subscribe`` replies) while matching articles arrive: the local server applies
  Telegram's flood limits and counts every 429.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.models import Article
from bot.store import Store
from bot.subscribe.planner import MARK_ID
from tests.botapi import BotApiServer
from tests.botapi.models import User

ROOT = Path(__file__).resolve().parents[2]
TODAY = date.today()


_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "bu", "da", "fe", "gi", "ho", "ju", "pe")


def _drill_word(n: int, k: int) -> str:
    """The ``k``-th made-up word of article ``n`` (four syllables, in no other drill article)."""
    x, word = n * 7919 + k * 104729 + 12345, ""
    for _ in range(4):
        word, x = word + _SYLLABLES[x % 16], x // 16
    return word


def drill_article(n: int, topic: str = "harbour") -> Article:
    """A new article with a marker (``Drillstory0042``) that shows wherever the article is shown.

    Each one reports an event of its own (made-up names and words), so every article is a story of its
    own: articles that read alike would be grouped into one story and shown as one card
    (``docs/stories.md``), and the drills count every article."""
    w = [_drill_word(n, k) for k in range(6)]
    return Article(
        url=f"https://drill.example.org/story-{n}",
        title=f"Drillstory{n:04d}: {topic} {w[0]} {w[1]}",
        text=f"The {topic} of {w[0].title()} reported {w[2]} and {w[3]} on Monday.\n\n"
        f"Officials in {w[1].title()} confirmed {w[4]} and {w[5]}.",
        published=TODAY,
        source="drill.example.org",
    )


def marker(n: int) -> str:
    return f"Drillstory{n:04d}"


def copies_in(server: BotApiServer, user: User, markers: dict[str, int]) -> Counter[int]:
    """How many of the bot's messages in ``user``'s chat show each article (by its marker)."""
    seen: Counter[int] = Counter()
    for message in server.bot_messages(user):
        text = message.text or ""
        for mark, article_id in markers.items():
            seen[article_id] += text.count(mark)
    return seen


# -- the kill drill -------------------------------------------------------------------------------------


@dataclass
class Kill:
    """One SIGKILL and what it caught on the wire."""

    number: int
    mode: str  # "random" or "between" (a push posted, its answer held back)
    in_flight: set[tuple[int, int]] = field(default_factory=set)  # (chat, article) rows left 'sending'
    lost: int = 0  # of those rows, articles that never reached their chat
    doubled: int = 0  # of those rows, articles that reached their chat more than once

    @property
    def messages(self) -> int:
        """Messages on the wire (one per chat at a time; a digest carries several articles)."""
        return len({chat for chat, _ in self.in_flight})

    def line(self) -> str:
        return (
            f"kill {self.number:2d} ({self.mode:7s}): {self.messages} message(s) with {len(self.in_flight)} "
            f"article(s) on the wire; articles lost {self.lost}, doubled {self.doubled}"
        )


@dataclass
class KillReport:
    """The whole drill: per kill, and every (chat, article) pair counted in the chats."""

    chats: int
    articles: int = 0
    kills: list[Kill] = field(default_factory=list)
    expected: int = 0  # (chat, article) pairs that should each be in their chat once
    lost: int = 0
    doubled: int = 0
    lost_states: dict[str, int] = field(default_factory=dict)  # what the delivery log says of the lost
    doubled_in_window: int = 0  # doubled pairs a kill caught on the wire (the one window of the design)
    unconfirmed: int = 0  # left by older versions (never sent again); 0 now
    unconfirmed_arrived: int = 0
    dropped: int = 0  # summarised away on purpose by the burst policy ("…and N older articles")
    pending_left: int = 0
    never_queued: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        between = sum(1 for k in self.kills if k.mode == "between")
        return (
            f"kill_drill kills={len(self.kills)} between_send_and_record={between} chats={self.chats} "
            f"articles={self.articles} deliveries={self.expected} lost={self.lost} doubled={self.doubled} "
            f"doubled_in_window={self.doubled_in_window} doubled_outside_window={self.doubled - self.doubled_in_window} "
            f"max_messages_on_wire_at_kill={max((k.messages for k in self.kills), default=0)} "
            f"unconfirmed={self.unconfirmed} unconfirmed_arrived={self.unconfirmed_arrived} "
            f"summarised_by_burst_policy={self.dropped} pending_left={self.pending_left} "
            f"never_queued={self.never_queued} lost_states={','.join(f'{k}:{v}' for k, v in self.lost_states.items()) or '-'} "
            f"seconds={self.seconds:.0f}"
        )


def _bot_env(server: BotApiServer, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_") and k not in ("PORT",)}
    env.update(
        PYTHONPATH=str(ROOT), NEWSBOT_TOKEN=server.token, NEWSBOT_BOT_API_BASE_URL=server.base_url,
        NEWSBOT_BOT_API_BASE_FILE_URL=server.base_file_url, NEWSBOT_DATA_DIR=str(data_dir),
        NEWSBOT_CORPUS_PATHS="[]", NEWSBOT_ANSWER_WORKERS="0", NEWSBOT_LOG_LEVEL="INFO",
    )  # fmt: skip
    return env


async def _start_bot(server: BotApiServer, data_dir: Path, log: Path) -> asyncio.subprocess.Process:
    """``python -m bot run``; returns once it polls (its log goes to ``log``)."""
    polls = server.calls["getUpdates"]
    with log.open("ab") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=data_dir, env=_bot_env(server, data_dir),
            stdout=sink, stderr=sink,
        )  # fmt: skip
    await server.wait_for(lambda: server.calls["getUpdates"] > polls, timeout=90, what="the bot polling")
    return proc


async def _feed(store: Store, first: int, interval: float, made: list[int]) -> None:
    """Add an article every ``interval`` seconds, as `python -m bot ingest` would (until cancelled)."""
    n = first
    while True:
        made.append(store.articles.upsert(drill_article(n)).article_id)
        n += 1
        await asyncio.sleep(interval)


async def kill_drill(
    *,
    kills: int = 10,
    chats: int = 30,
    interval: float = 1.0,
    seed: int | None = None,
    between: bool = True,
    workdir: Path,
    say: Callable[[str], None] = print,
) -> KillReport:
    """Kill the bot ``kills`` times (every other kill between a send and its record) and count."""
    rng = random.Random(seed)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # requests cut off by a kill
    started = time.monotonic()
    report = KillReport(chats=chats)
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = workdir / "bot.log"
    store = Store(data_dir / "newsbot.sqlite3")
    store.articles.upsert(drill_article(0))  # something to index before the first start
    server = await BotApiServer().start()
    proc: asyncio.subprocess.Process | None = None
    feeder: asyncio.Task[None] | None = None
    made: list[int] = []
    try:
        proc = await _start_bot(server, data_dir, log)
        users = [server.add_user(f"Reader{i}") for i in range(chats)]
        for user in users:
            server.send_command(user, user, "subscribe")  # every new article
        await server.wait_for(
            lambda: all(server.bot_messages(u) for u in users), timeout=60, what="every /subscribe answered"
        )
        feeder = asyncio.create_task(_feed(store, 1, interval, made))
        for number in range(1, kills + 1):
            kill = Kill(number, "between" if number % 2 and between else "random")
            if kill.mode == "between":
                fault = server.faults.slow_next(1, seconds=1.0, after=True, methods=["sendMessage"])
                await server.wait_for(lambda f=fault: f.remaining == 0, timeout=60, what="a push on the wire")
                await asyncio.sleep(0.2)  # executed by the server; its answer is held back
            else:
                await asyncio.sleep(rng.uniform(0.5, 8.0))
            proc.kill()
            await proc.wait()
            server.faults.clear()
            kill.in_flight = {
                (r["chat_id"], r["article_id"])
                for r in store.subscriptions.deliveries()
                if r["status"] == "sending"
            }
            report.kills.append(kill)
            proc = await _start_bot(server, data_dir, log)
        feeder.cancel()
        await asyncio.gather(feeder, return_exceptions=True)

        def settled() -> bool:
            mark = store.state.get(MARK_ID)  # the planner has seen every article...
            if mark is None or int(mark) < store.subscriptions.article_high_water()[1]:
                return False
            counts = store.subscriptions.delivery_counts()  # ...and sent what it queued
            return not counts.get("pending") and not counts.get("sending")

        await server.wait_for(settled, timeout=180, what="every queued push sent")
        await asyncio.sleep(2.0)  # late copies would show up here
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
        _score(report, server, store, users, made)
    finally:
        if feeder is not None:
            feeder.cancel()
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
        await server.stop()
        store.close()
    report.seconds = time.monotonic() - started
    for kill in report.kills:
        say(kill.line())
    return report


def _score(report: KillReport, server: BotApiServer, store: Store, users: list[User], made: list[int]) -> None:
    """Count every (chat, article) pair in the chats against the delivery log."""
    markers = {marker(n + 1): article_id for n, article_id in enumerate(made)}
    status = {(r["chat_id"], r["article_id"]): r["status"] for r in store.subscriptions.deliveries()}
    report.articles = len(made)
    copies: dict[tuple[int, int], int] = {}
    for user in users:
        seen = copies_in(server, user, markers)
        for article_id in made:
            copies[(user.id, article_id)] = seen[article_id]
    for pair, n in copies.items():
        state = status.get(pair, "never queued")
        report.never_queued += state == "never queued"
        if state == "dropped":
            report.dropped += 1
            continue
        report.expected += 1
        report.lost += n == 0
        if n == 0:
            report.lost_states[state] = report.lost_states.get(state, 0) + 1
        report.doubled += n > 1
        report.pending_left += state == "pending"
        if state == "unconfirmed":
            report.unconfirmed += 1
            report.unconfirmed_arrived += n > 0
    for kill in report.kills:
        kill.lost = sum(1 for pair in kill.in_flight if copies.get(pair, 0) == 0)
        kill.doubled = sum(1 for pair in kill.in_flight if copies.get(pair, 0) > 1)
    on_wire = set().union(*(kill.in_flight for kill in report.kills)) if report.kills else set()
    report.doubled_in_window = sum(1 for pair, n in copies.items() if n > 1 and pair in on_wire)


# -- the fan-out drill ----------------------------------------------------------------------------------


@dataclass
class FanoutReport:
    chats: int
    replies: int = 0
    pushes: int = 0
    expected_pushes: int = 0
    rate_limited: int = 0
    messages: int = 0
    sending_seconds: float = 0.0
    headroom: float = 0.0  # fewest tokens left in a replica of Telegram's overall bucket (30, 30/s)

    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.messages / self.sending_seconds if self.sending_seconds else 0.0
        return (
            f"fanout_drill chats={self.chats} subscribe_replies={self.replies} pushes={self.pushes} "
            f"expected_pushes={self.expected_pushes} too_many_requests={self.rate_limited} "
            f"messages_per_s={rate:.1f} rate_over_telegram_limit={rate / 30:.2f} "
            f"min_overall_headroom={self.headroom:.1f}/30 seconds={self.seconds:.1f}"
        )


def bucket_headroom(times: list[float], capacity: float = 30.0, rate: float = 30.0) -> float:
    """The fewest tokens left in a token bucket like Telegram's overall limit fed these request times
    (below 0: Telegram would have refused one)."""
    tokens, last, lowest = capacity, None, capacity
    for t in sorted(times):
        if last is not None:
            tokens = min(capacity, tokens + (t - last) * rate)
        last = t
        tokens -= 1
        lowest = min(lowest, tokens)
    return lowest


async def fanout_drill(server: BotApiServer, workdir: Path, *, chats: int = 60, rounds: int = 3) -> FanoutReport:
    """``chats`` private chats subscribe to one topic and get ``rounds`` waves of matching articles, the
    first arriving while the ``/subscribe`` replies still go out."""
    from bot.chat.context import BotOptions
    from tests.e2e.bot_fixtures import BotRunner, make_settings, seed

    started = time.monotonic()
    report = FanoutReport(chats=chats)
    settings = make_settings(workdir, server)
    seed(settings)
    runner = BotRunner(server, settings, options=BotOptions())  # production pacing and intervals
    await runner.start()
    try:
        users = [server.add_user(f"Fan{i}") for i in range(chats)]
        for user in users:
            server.send_command(user, user, "subscribe", "harbour")
        made = [runner.ingest(drill_article(1))[0]]  # while the replies go out
        await server.wait_for(lambda: all(len(server.bot_messages(u)) >= 2 for u in users), 120, "wave 1")
        for wave in range(1, rounds):
            made += runner.ingest(drill_article(2 * wave), drill_article(2 * wave + 1))
            want = 2 + 2 * wave
            await server.wait_for(
                lambda w=want: all(len(server.bot_messages(u)) >= w for u in users), 120, f"wave {wave + 1}"
            )
        await asyncio.sleep(2.0)  # late copies would show up here
        markers = {marker(n + 1): article_id for n, article_id in enumerate(made)}
        for user in users:
            report.replies += sum("Subscribed" in (m.text or "") for m in server.bot_messages(user))
            report.pushes += sum(copies_in(server, user, markers).values())
        report.expected_pushes = chats * len(made)
        report.rate_limited = sum(1 for r in server.requests if r.status == 429)
        times = sorted(r.at for r in server.requests if r.method == "sendMessage" and r.status == 200)
        report.messages = len(times)
        report.sending_seconds = times[-1] - times[0] if len(times) > 1 else 0.0
        report.headroom = bucket_headroom(times)
    finally:
        await runner.stop()
        if runner.writer is not None:
            runner.writer.close()
    report.seconds = time.monotonic() - started
    return report
