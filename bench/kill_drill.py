"""Kill drill: SIGKILL `python -m bot run` at random moments and between a push's send and its record.

    .venv/bin/python bench/kill_drill.py [--kills 10] [--chats 30] [--seed N]

Runs against the local Bot API server of ``tests/botapi`` (nothing reaches Telegram), prints one line per
kill (pushes caught on the wire, lost, doubled) and ends with one key=value line. Pushes are never lost
and doubled only inside the one window (README, "Delivery"): lost must be 0, and every doubled push must
be one a kill caught on the wire (at most 4 messages per kill).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.delivery_drills import kill_drill


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--interval", type=float, default=1.5, help="seconds between new articles")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it (the bot's log)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kill-drill-") as tmp:
        workdir = args.keep or Path(tmp)
        report = asyncio.run(
            kill_drill(
                kills=args.kills, chats=args.chats, interval=args.interval, seed=args.seed, workdir=workdir
            )
        )
    print(report.summary())
    ok = report.lost == 0 and report.doubled == report.doubled_in_window and report.pending_left == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
