"""A generated corpus whose cleaned text depends on the learned chrome counts, for the concurrent-ingest
tests: counted twice, its borderline lines would cross the chrome threshold and be cut from articles."""

from __future__ import annotations

import json
from pathlib import Path

from bot.ingest.chrome import MIN_ARTICLES

NEWSLETTER = "Sign up for our morning newsletter to get the day's news in your inbox."
BORDERLINE_SHARE = MIN_ARTICLES // 2 + 2
"""Articles sharing each borderline line: under the threshold once, over it when counted twice."""


def article(i: int) -> dict:
    """Article ``i``: its own prose, the site's newsletter prompt, and one borderline repeated line."""
    group = i // BORDERLINE_SHARE
    body = [
        f"The council of town {i} met on Tuesday to discuss budget item {i * 7 + p}, officials said."
        for p in range(5)
    ]
    body.insert(2, f"Readers of series {group} also followed the debate about the bridge closure.")
    body.append(NEWSLETTER)
    text = "\n\n".join(body)
    if i % 97 == 5:  # a second URL with the same story: stored as a duplicate
        text = article(i - 1)["text"]
    return {
        "url": f"https://example.org/2024/03/{i % 28 + 1:02d}/story-{i}",
        "title": f"Town {i} weighs its budget",
        "text": text,
        "published": f"2024-03-{i % 28 + 1:02d}",
        "source": "example.org",
    }


def write_corpus(path: Path, n: int) -> Path:
    """Write ``n`` generated articles as JSON Lines."""
    path.write_text("".join(json.dumps(article(i)) + "\n" for i in range(n)), encoding="utf-8")
    return path
