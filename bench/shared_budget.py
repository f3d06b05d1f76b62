"""Replicas sharing Telegram's budget through Redis, against the local Bot API server's flood control.

    .venv/bin/python bench/shared_budget.py [--replicas 3] [--chats 30] [--groups 2] [--redis URL]

Each replica is its own process (an ``ExtBot`` with the bot's rate limiter) sending the same load at
once: 2 messages to each private chat and 4 to each group. Run twice: with the budget shared through
Redis, and with a budget of their own each (what N replicas without Redis would do). Prints, per run,
the 429s the server answered, the most messages in any one-second window over all replicas (Telegram:
about 30) and the shortest gap between two messages to one private chat (Telegram: about 1 s), ending
with one key=value line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.botapi import BotApiServer
from tests.e2e.budget_replicas import (
    by_chat,
    drop_keys,
    most_in_window,
    new_prefix,
    redis_reachable,
    replica_command,
    shortest_gap,
    test_redis_url,
)


async def _run(replicas: int, chats: int, groups: int, redis: str) -> dict[str, float]:
    server = await BotApiServer().start()
    prefix = new_prefix()
    try:
        users = [server.add_user(f"Reader {i}").id for i in range(chats)]
        rooms = [server.add_group(f"Newsroom {i}").id for i in range(groups)]
        load = users * 2 + rooms * 4
        procs = [
            await asyncio.create_subprocess_exec(
                *replica_command(server.base_url, server.token, redis, prefix, load, 1, f"r{n}"),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            for n in range(replicas)
        ]
        for proc in procs:
            assert proc.stdout is not None
            await proc.stdout.readline()  # ready
        start = time.monotonic()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        results = [json.loads((await p.communicate())[0]) for p in procs]
        wall = time.monotonic() - start
        times = [r.at for r in server.requests if r.method.lower() == "sendmessage" and r.ok]
        private = set(users)
        return {
            "sent": sum(r["ok"] for r in results),
            "expected": replicas * len(load),
            "too_many_requests": sum(1 for r in server.requests if r.status == 429),
            "max_per_second": most_in_window(times, 1.0),
            "private_gap_min": min(
                shortest_gap(t) for chat, t in by_chat(server.requests) if chat in private
            ),
            "wall_s": wall,
        }
    finally:
        await server.stop()
        if redis:
            await drop_keys(redis, prefix)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--groups", type=int, default=2)
    parser.add_argument("--redis", default=test_redis_url())
    args = parser.parse_args()
    if not asyncio.run(redis_reachable(args.redis)):
        print("Redis not reachable (--redis or NEWSBOT_TEST_REDIS_URL)", file=sys.stderr)
        return 2
    shared = asyncio.run(_run(args.replicas, args.chats, args.groups, args.redis))
    alone = asyncio.run(_run(args.replicas, args.chats, args.groups, ""))
    for name, run in (("shared through Redis", shared), ("a budget each", alone)):
        print(
            f"{name:>22}: "
            + " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in run.items())
        )
    print(
        f"replicas={args.replicas} shared_429={shared['too_many_requests']} "
        f"shared_max_per_second={shared['max_per_second']} shared_private_gap_min={shared['private_gap_min']:.2f} "
        f"alone_429={alone['too_many_requests']} alone_max_per_second={alone['max_per_second']} "
        f"alone_private_gap_min={alone['private_gap_min']:.2f}"
    )
    return 0 if shared["too_many_requests"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
