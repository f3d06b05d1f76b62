"""The replicas drill (#14 item 6): 3 webhook replicas on PostgreSQL and Redis, one killed mid-push.

    .venv/bin/python bench/replicas.py --articles ../shared/data/news/articles.jsonl.gz [--limit N]

Set-up: the local Bot API server (``tests/botapi``, Telegram's flood limits on) delivers updates round
robin to 3 ``python -m bot run --webhook`` processes and re-sends an update to another replica when one
fails; each replica has its own data directory (its own index, as on its own machine) and shares the
store (``--database-url``, default: a new database on ``NEWSBOT_TEST_DATABASE_URL``) and the Telegram
budget (``--redis-url``, default ``NEWSBOT_TEST_REDIS_URL``). The corpus (all of it, or ``--limit``
articles: say so when you quote the figures) is ingested first; then 500 chats (private chats, groups,
channels) subscribe to a topic, a separate process ingests 30 new matching articles in three batches,
200 private chats ask 3 questions each (the next one once the previous is answered), and the replica
holding the most claims is killed with SIGKILL in the middle of the pushes, then restarted.

It prints, in one key=value line at the end: deliveries expected (queued and not summarised away by the
burst policy on purpose), delivered, lost and duplicated; duplicates explained by the crash window (the
delivery was re-sent after its claim's lease ended: ``attempts`` > 1); the most messages sent in any one
second over all replicas; the shortest gap between two messages to one private chat; 429 responses;
questions unanswered; wall time. Exit status 0 when the issue's targets hold (0 lost, 0 duplicated
outside the window, at most 30 messages a second, no 429, 0 unanswered).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.store import Store
from bot.subscribe.planner import MARK_ID
from tests.botapi import BotApiServer
from tests.e2e.replica_support import Replica, start_replicas
from tests.e2e.test_bot_run import clean_env

TOPIC = "zephyrite"
MARK = "Zephdrill"


@dataclass
class Report:
    replicas: int = 3
    store: str = ""
    articles: int = 0
    chats: int = 0
    askers: int = 0
    questions: int = 0
    new_articles: int = 0
    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    duplicated_in_window: int = 0
    summarised: int = 0
    max_per_second: int = 0
    min_private_gap: float = 0.0
    http_429: int = 0
    unanswered: int = 0
    redelivered_updates: int = 0
    killed_at_sent: int = 0
    wall: float = 0.0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"replicas_drill replicas={self.replicas} store={self.store} corpus_articles={self.articles} "
            f"chats={self.chats} askers={self.askers} questions={self.questions} new_articles={self.new_articles} "
            f"expected={self.expected} delivered={self.delivered} lost={self.lost} duplicated={self.duplicated} "
            f"duplicated_in_crash_window={self.duplicated_in_window} "
            f"duplicated_outside_window={self.duplicated - self.duplicated_in_window} "
            f"summarised_by_burst_policy={self.summarised} max_msgs_in_1s={self.max_per_second} "
            f"min_private_gap_s={self.min_private_gap:.3f} http_429={self.http_429} unanswered={self.unanswered} "
            f"updates_redelivered={self.redelivered_updates} killed_after_sent={self.killed_at_sent} "
            f"wall_s={self.wall:.0f}"
        )

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0 and self.duplicated == self.duplicated_in_window and self.max_per_second <= 30
            and self.http_429 == 0 and self.unanswered == 0
        )  # fmt: skip


def new_article(n: int) -> dict[str, Any]:
    """One of the new matching articles: its marker in the title; words of its own, so that no two are
    grouped into one story (a story shows its first article only)."""
    words = " ".join(f"{s}{n}" for s in ("quor", "vant", "melk", "dorsi", "trab", "yelm"))
    return {
        "url": f"https://drill.example.org/zephyrite-{n}",
        "title": f"{MARK}{n:04d}: {TOPIC} find {words.split()[0]}",
        "text": f"Miners reported a {TOPIC} find: {words}.\n\nThe {TOPIC} survey adds {words[::-1]}.",
        "date": date.today().isoformat(),
        "source": "drill.example.org",
    }


def corpus_subset(path: Path, limit: int | None, out: Path) -> Path:
    """The corpus, or its first ``limit`` articles written to ``out``."""
    if limit is None:
        return path
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for n, line in enumerate(src):
            if n >= limit:
                break
            dst.write(line)
    return out


def questions(path: Path, n: int) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["question"] for r in rows if r.get("question")]
    return [texts[i % len(texts)] for i in range(n)]


async def run_cli(env: dict[str, str], *args: str, cwd: Path, log: Path) -> None:
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
                                                    stdout=out, stderr=out)  # fmt: skip
        if await proc.wait() != 0:
            raise RuntimeError(f"python -m bot {' '.join(args)} failed; see {log}")


def pid_of(holder: str | None) -> int | None:
    try:
        return int(holder.split(":")[1]) if holder else None
    except (IndexError, ValueError):
        return None


async def drill(args: argparse.Namespace, work: Path, database_url: str) -> Report:
    report = Report(replicas=args.replicas, store=database_url.split(":", 1)[0])
    started = time.monotonic()
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    server = await BotApiServer().start()  # Telegram's flood limits: a 429 is counted
    base_env = clean_env(
        NEWSBOT_TOKEN=server.token, NEWSBOT_BOT_API_BASE_URL=server.base_url,
        NEWSBOT_BOT_API_BASE_FILE_URL=server.base_file_url, NEWSBOT_DATABASE_URL=database_url,
        NEWSBOT_CORPUS_PATHS="[]", NEWSBOT_ANSWER_WORKERS="0", NEWSBOT_LOG_LEVEL="INFO",
    )  # fmt: skip
    if args.redis_url:
        base_env["NEWSBOT_REDIS_URL"] = args.redis_url
    replicas: list[Replica] = []
    store: Store | None = None
    try:
        say(f"ingesting the corpus ({args.limit or 'all'} articles) into {report.store}")
        corpus = corpus_subset(args.articles, args.limit, work / "corpus.jsonl")
        ingest_env = dict(base_env, NEWSBOT_DATA_DIR=str(work / "ingester"))
        await run_cli(ingest_env, "ingest", "--no-progress", str(corpus), cwd=work, log=work / "ingest.log")
        store = Store(database_url) if "://" in database_url and not database_url.startswith("sqlite") else (
            Store(database_url.removeprefix("sqlite:///"))
        )  # fmt: skip
        report.articles = store.articles.count()

        say(f"starting {args.replicas} webhook replicas")
        t0 = time.monotonic()
        replicas = await start_replicas(
            server, work / "replica", work, args.replicas, NEWSBOT_LEASE_SECONDS=str(args.lease),
            NEWSBOT_DATABASE_URL=database_url, separate_data_dirs=True,
            **({"NEWSBOT_REDIS_URL": args.redis_url} if args.redis_url else {}),
        )  # fmt: skip
        say(f"replicas listening after {time.monotonic() - t0:.0f} s")
        await server.wait_for(lambda: store.leases.holder("leader") is not None, timeout=60, what="a leader")  # type: ignore[union-attr]

        # 500 chats: private chats (the askers among them), groups and channels, subscribed to the topic
        n_private = max(args.askers, args.chats * 3 // 5)
        n_groups = (args.chats - n_private) * 3 // 4
        owner = server.add_user("Owner")
        privates = [server.add_user(f"Reader{i}") for i in range(n_private)]
        groups = [server.add_supergroup(f"Group {i}", creator=owner, members=[owner]) for i in range(n_groups)]
        channels = [server.add_channel(f"Channel {i}", creator=owner) for i in range(args.chats - n_private - n_groups)]
        chats = [(u.id, "private") for u in privates] + [(g.id, "supergroup") for g in groups] + [
            (c.id, "channel") for c in channels
        ]
        for chat_id, kind in chats:
            store.subscriptions.upsert_chat(chat_id, kind, "")
            store.subscriptions.add(chat_id, TOPIC, owner.id, limit=5)
        report.chats = len(chats)
        say(f"{len(privates)} private chats, {len(groups)} groups, {len(channels)} channels subscribed to {TOPIC!r}")

        # the askers, and the separate ingesting process
        askers = privates[: args.askers]
        texts = questions(args.questions, len(askers) * args.each)
        report.askers, report.questions = len(askers), len(texts)
        answered: Counter[int] = Counter()

        async def ask(n: int, user: Any) -> None:
            for k in range(args.each):
                text = texts[n * args.each + k]
                question = server.send_text(user, user, text)
                try:
                    await server.wait_for(
                        lambda q=question: any(m.reply_to_message_id == q.message_id for m in server.bot_messages(user)),
                        timeout=args.answer_timeout, what="an answer",
                    )  # fmt: skip
                    answered[user.id] += 1
                except TimeoutError:
                    pass

        batches = [[new_article(i + 1) for i in range(b, min(b + 10, args.new))] for b in range(0, args.new, 10)]
        report.new_articles = args.new

        async def ingest_new() -> None:
            for b, batch in enumerate(batches):
                path = work / f"new-{b}.jsonl"
                path.write_text("".join(json.dumps(a) + "\n" for a in batch), encoding="utf-8")
                await run_cli(ingest_env, "ingest", "--no-progress", "--no-index", str(path), cwd=work,
                              log=work / "ingest.log")  # fmt: skip
                await asyncio.sleep(args.batch_gap)

        async def kill_mid_push() -> None:
            def sent() -> int:
                return store.subscriptions.delivery_counts().get("sent", 0)  # type: ignore[union-attr]

            await server.wait_for(lambda: sent() >= args.kill_after, timeout=600, what="pushes under way")
            claims = Counter(
                pid_of(r[0]) for r in store.db.query(  # type: ignore[union-attr]
                    "SELECT claimed_by FROM deliveries WHERE status IN ('pending', 'sending') AND period = '' "
                    "AND claimed_by IS NOT NULL"
                )
            )  # fmt: skip
            by_pid = {r.pid: r for r in replicas if r.alive}
            victim = next((by_pid[p] for p, _ in claims.most_common() if p in by_pid), replicas[0])
            report.killed_at_sent = sent()
            say(f"kill -9 replica pid {victim.pid} ({claims.get(victim.pid, 0)} claimed rows) after {report.killed_at_sent} sent")
            await victim.kill()
            await asyncio.sleep(3)
            await victim.start(victim.cwd)
            await victim.listening()
            say("killed replica restarted")

        tasks = [asyncio.create_task(ingest_new()), asyncio.create_task(kill_mid_push())]
        await asyncio.gather(*(ask(n, u) for n, u in enumerate(askers)), *tasks)

        def settled() -> bool:
            counts = store.subscriptions.delivery_counts()  # type: ignore[union-attr]
            marker = store.state.get(MARK_ID)  # type: ignore[union-attr]
            planned = marker is None or int(marker) >= store.subscriptions.article_high_water()[1]  # type: ignore[union-attr]
            return planned and not counts.get("pending") and not counts.get("sending")

        await server.wait_for(settled, timeout=args.settle_timeout, what="every queued push sent")
        await asyncio.sleep(2.0)  # late copies would show up here
        score(report, server, store, chats, askers, answered)
    finally:
        for replica in replicas:
            await replica.terminate()
        await server.stop()
        if store is not None:
            store.close()
    report.wall = time.monotonic() - started
    return report


def score(report: Report, server: BotApiServer, store: Store, chats: list[tuple[int, str]], askers: list[Any],
          answered: Counter[int]) -> None:  # fmt: skip
    rows = store.db.query(
        "SELECT d.chat_id, d.article_id, d.status, d.attempts, a.title FROM deliveries d "
        "JOIN articles a ON a.id = d.article_id WHERE d.period = '' AND a.title LIKE ?",
        (f"{MARK}%",),
    )
    messages = {chat_id: [m.text or "" for m in server.bot_messages(chat_id)] for chat_id, _ in chats}
    for chat_id, article_id, status, attempts, title in rows:
        if status == "dropped":
            report.summarised += 1
            continue
        mark = title.split(":", 1)[0]
        copies = sum(text.count(mark) for text in messages.get(chat_id, []))
        report.expected += 1
        report.delivered += copies > 0
        report.lost += copies == 0
        if copies > 1:
            report.duplicated += 1
            report.duplicated_in_window += attempts > 1
    sends = sorted((r.at, r.params.get("chat_id")) for r in server.log.by_method("sendMessage") if r.ok)
    times = [t for t, _ in sends]
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        report.max_per_second = max(report.max_per_second, i - j + 1)
    private = {str(u) for u, kind in chats if kind == "private"}
    last: dict[str, float] = {}
    gaps = []
    for t, chat in sends:
        key = str(chat)
        if key in private and key in last:
            gaps.append(t - last[key])
        last[key] = t
    report.min_private_gap = min(gaps) if gaps else 0.0
    report.http_429 = sum(1 for r in server.log.records if r.status == 429 and not r.injected)
    report.unanswered = sum(report.questions // max(len(askers), 1) - answered[u.id] for u in askers)
    delivered_ids = Counter(a.update_id for a in server.webhook.log if a.status == 200)
    report.redelivered_updates = sum(1 for n in delivered_ids.values() if n > 1)


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def database(args: argparse.Namespace, work: Path) -> tuple[str, Any]:
    """The store's URL, and what to drop afterwards."""
    if args.database_url:
        return args.database_url, None
    try:
        from tests.postgres_support import TestServer
    except ImportError:
        return f"sqlite:///{work / 'newsbot.sqlite3'}", None
    server = TestServer()
    return server.url, server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, default=ROOT.parent / "shared/data/news/articles.jsonl.gz")
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared/data/news/questions-dev.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="ingest only the first N corpus articles")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--askers", type=int, default=200)
    parser.add_argument("--each", type=int, default=3, help="questions per asking chat")
    parser.add_argument("--new", type=int, default=30, help="new matching articles")
    parser.add_argument("--batch-gap", type=float, default=8.0, help="seconds between the 3 ingest batches")
    parser.add_argument("--kill-after", type=int, default=300, help="kill a replica after this many pushes sent")
    parser.add_argument("--lease", type=float, default=10.0, help="NEWSBOT_LEASE_SECONDS of the replicas")
    parser.add_argument("--answer-timeout", type=float, default=180.0)
    parser.add_argument("--settle-timeout", type=float, default=900.0)
    parser.add_argument("--database-url", default=os.environ.get("NEWSBOT_DRILL_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("NEWSBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the logs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="replicas-drill-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        url, owned = database(args, work)
        try:
            report = asyncio.run(drill(args, work, url))
        finally:
            if owned is not None:
                owned.drop()
    print(report.line())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
