"""Draw the article pairs that were labelled by hand for the story grouping (how they were drawn).

    python bench/story_pairs_draw.py --articles ../shared/data/news/articles.jsonl.gz --out /tmp/pairs.jsonl

Prints nothing but the pairs file; the labels in ``tests/fixtures/stories/pairs.jsonl`` were then added
by reading each pair's titles and leads (never with the grouping code). Half of the pairs are likely
matches: articles of different outlets published on the same or the next day that share rare words of
their titles and leads (a deliberately crude generator, independent of :mod:`bot.stories`), sampled
evenly over five score bands so that borderline pairs are not missed. The other half pair an article with
a random article of another outlet published within two days. Seeded: the same corpus gives the same draw.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import random
import re
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "with",
        "by",
        "at",
        "from",
        "as",
        "that",
        "this",
        "it",
        "its",
        "new",
        "says",
        "said",
        "after",
        "over",
        "how",
        "what",
        "why",
        "who",
        "will",
        "can",
        "not",
        "has",
        "have",
        "had",
        "more",
        "about",
        "into",
        "up",
        "out",
        "than",
        "we",
        "you",
        "he",
        "she",
        "they",
        "his",
        "her",
        "their",
        "our",
        "your",
        "us",
        "could",
        "would",
        "all",
        "one",
        "two",
        "vs",
    ]
)
SOURCES = ("usatoday.com", "cnn.com", "theweek.co.uk")
BANDS = (8, 12, 16, 22, 30, math.inf)


def words(text: str) -> set[str]:
    """Lower-cased words of three letters or more, minus a short stop list."""
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in STOP and len(w) > 2}


def lead(text: str) -> str:
    """The first two paragraphs longer than 80 characters (skips bylines and page furniture)."""
    paras = [p.strip() for p in re.split(r"\n+", text) if len(p.strip()) > 80]
    return " ".join(paras[:2])[:400]


def load(path: Path) -> list[dict]:
    """Articles from 2022 on, of the three outlets, with their title and lead words."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            if a["published"] < "2022-01-01" or a["source"] not in SOURCES:
                continue
            a["day"] = date.fromisoformat(a["published"]).toordinal()
            a["lead"] = lead(a.pop("text"))
            a["tw"], a["lw"] = words(a["title"]), words(a["lead"])
            out.append(a)
    return out


def likely_pairs(arts: list[dict], by_day: dict[int, list[int]], rng: random.Random) -> list[tuple[int, int]]:
    """Different-outlet pairs on the same or the next day, scored by the rarity of shared words."""
    df = Counter(w for a in arts for w in a["tw"] | a["lw"])
    idf = {w: math.log(len(arts) / c) for w, c in df.items()}
    scored = []
    for i, a in enumerate(arts):
        for delta in (0, 1):
            for j in by_day.get(a["day"] + delta, []):
                b = arts[j]
                if (delta == 0 and j <= i) or a["source"] == b["source"]:
                    continue
                title = a["tw"] & b["tw"]
                score = sum(idf[w] for w in title) + 0.3 * sum(idf[w] for w in (a["lw"] & b["lw"]) - title)
                if score >= BANDS[0]:
                    scored.append((score, i, j))
    scored.sort()
    picked = []
    for lo, hi in itertools.pairwise(BANDS):
        band = [(i, j) for s, i, j in scored if lo <= s < hi]
        picked += rng.sample(band, min(20, len(band)))
    return picked


def random_pairs(arts: list[dict], by_day: dict[int, list[int]], rng: random.Random, n: int,
                 taken: set[tuple[int, int]]) -> list[tuple[int, int]]:  # fmt: skip
    """An article and a random article of another outlet published within two days of it."""
    out: list[tuple[int, int]] = []
    while len(out) < n:
        i = rng.randrange(len(arts))
        near = [j for d in range(-2, 3) for j in by_day.get(arts[i]["day"] + d, [])
                if arts[j]["source"] != arts[i]["source"]]  # fmt: skip
        if not near:
            continue
        key = tuple(sorted((i, rng.choice(near))))
        if key not in taken:
            taken.add(key)
            out.append(key)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    arts = load(args.articles)
    by_day: dict[int, list[int]] = defaultdict(list)
    for i, a in enumerate(arts):
        by_day[a["day"]].append(i)
    likely = likely_pairs(arts, by_day, rng)
    drawn = [("likely", p) for p in likely]
    drawn += [("random", p) for p in random_pairs(arts, by_day, rng, len(likely), set(likely))]
    rng.shuffle(drawn)
    keys = ("id", "source", "published", "title", "lead")
    with args.out.open("w", encoding="utf-8") as f:
        for n, (kind, (i, j)) in enumerate(drawn):
            row = {
                "n": n,
                "draw": kind,
                "a": {k: arts[i][k] for k in keys},
                "b": {k: arts[j][k] for k in keys},
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
