"""`python -m bot latest [N] [topic]`: the newest N stories (default 5), optionally on a topic; a story
reported by several outlets is one entry, with the others listed as "also:"."""

from __future__ import annotations

import argparse

from bot.answer.render import latest_text
from bot.stories import also_of, leads_of, newest_stories


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `latest` subcommand."""
    p = sub.add_parser("latest", help="list the newest stories (one entry per story), optionally on a topic")
    p.add_argument("words", nargs="*", metavar="[N] [TOPIC]",
                   help="how many (default 5), then topic words that every listed article must contain")
    p.add_argument("--offset", type=int, default=0, help="skip the first N stories (paging)")
    p.set_defaults(func=run)


def parse_words(words: list[str]) -> tuple[int, str | None]:
    """``["10", "nato"]`` → (10, "nato"); ``["nato"]`` → (5, "nato"); a leading number is the count."""
    n = 5
    if words and words[0].isdigit():
        n = max(1, min(int(words[0]), 100))
        words = words[1:]
    topic = " ".join(words).strip() or None
    return n, topic


def run(args: argparse.Namespace) -> int:
    """Print the list; exit status 1 when nothing matched."""
    from bot.cli import notice
    from bot.services import open_services

    n, topic = parse_words(args.words)
    services = open_services(report=notice)
    try:
        stories, more = newest_stories(
            lambda k: services.answerer.latest(k, topic, offset=0)[0], services.store, n, args.offset
        )
    finally:
        services.close()
    print(latest_text(leads_of(stories), topic=topic, offset=args.offset, also=also_of(stories)))
    if more:
        print(f"\n(more: --offset {args.offset + len(stories)})")
    return 0 if stories else 1
