"""Compare two ``python -m bot eval --report`` files question by question, timings aside.

    python -m tools.compare_eval BEFORE.json AFTER.json

Used to show that a speed change leaves the answers as they were (#18): every per-question record (ranks,
refusals, the shown titles, quotes, second excerpts, scores and confidences, in order) and every summary
figure must be equal; only ``ms`` and ``p50_ms`` may differ. Prints one line per differing question (at
most 20) and a last line ``questions=N differing=D summary_equal=yes|no``; exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

TIMINGS = {"ms", "p50_ms"}


def _without_timings(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in TIMINGS}


def compare(before: dict, after: dict) -> tuple[int, list[str], bool]:
    """(questions compared, ids that differ, whether the summaries are equal)."""
    old = {q["id"]: _without_timings(q) for q in before["questions"]}
    new = {q["id"]: _without_timings(q) for q in after["questions"]}
    differing = sorted(i for i in old.keys() | new.keys() if old.get(i) != new.get(i))
    return len(old), differing, _without_timings(before["summary"]) == _without_timings(after["summary"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    n, differing, summary_equal = compare(before, after)
    for qid in differing[:20]:
        print(f"differs: {qid}")
    print(f"questions={n} differing={len(differing)} summary_equal={'yes' if summary_equal else 'no'}")
    return 0 if not differing and summary_equal else 1


if __name__ == "__main__":
    sys.exit(main())
