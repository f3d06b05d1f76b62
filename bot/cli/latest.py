"""`python -m bot latest [N] [topic]`: the newest N articles (default 5), optionally on a topic."""

from __future__ import annotations

import argparse

from bot.answer.render import latest_text


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `latest` subcommand."""
    p = sub.add_parser("latest", help="list the newest articles, optionally matching a topic")
    p.add_argument("words", nargs="*", metavar="[N] [TOPIC]",
                   help="how many (default 5), then topic words that every listed article must contain")
    p.add_argument("--offset", type=int, default=0, help="skip the first N articles (paging)")
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
        articles, more = services.answerer.latest(n, topic, offset=args.offset)
    finally:
        services.close()
    print(latest_text(articles, topic=topic, offset=args.offset))
    if more:
        print(f"\n(more: --offset {args.offset + len(articles)})")
    return 0 if articles else 1
