"""`python -m bot sources`: what the corpus covers (articles, date range, sources)."""

from __future__ import annotations

import argparse

from bot.answer.render import sources_text


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `sources` subcommand."""
    p = sub.add_parser("sources", help="show what the corpus covers: counts, date range, sources")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the corpus statistics."""
    from bot.cli import notice
    from bot.services import open_services

    services = open_services(report=notice)
    try:
        print(sources_text(services.store.articles.stats()))
    finally:
        services.close()
    return 0
