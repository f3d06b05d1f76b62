"""Fan-out drill: many private chats subscribe to one topic while matching articles arrive.

    .venv/bin/python bench/fanout_drill.py [--chats 60] [--rounds 3]

The real Application against the local Bot API server with Telegram's flood limits (30 messages/s
overall, 1/s per private chat with a short burst): counts the server's 429s (must be 0) and the peak
messages per second against Telegram's 30, ending with one key=value line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.botapi import BotApiServer
from tests.e2e.delivery_drills import fanout_drill


async def _run(chats: int, rounds: int, workdir: Path) -> str:
    server = await BotApiServer().start()
    try:
        report = await fanout_drill(server, workdir, chats=chats, rounds=rounds)
    finally:
        await server.stop()
    return report.summary()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fanout-drill-") as tmp:
        line = asyncio.run(_run(args.chats, args.rounds, Path(tmp)))
    print(line)
    return 0 if "too_many_requests=0 " in line else 1


if __name__ == "__main__":
    raise SystemExit(main())
