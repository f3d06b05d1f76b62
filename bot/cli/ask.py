"""`python -m bot ask "question" [--as-of DATE] [-k N]`: print the quoted answer for the configured corpus."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from bot.answer.render import answer_html, answer_text
from bot.answer.types import RELATED

MAX_K = 10  # results one answer keeps (bot.answer.pipeline.MAX_RESULTS)


def _results(value: str) -> int:
    """``-k``: 1 to 10 results; 0 or 20 is an error, not silently one or ten."""
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_K}, got {k}")
    return k


def _offset(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `ask` subcommand."""
    p = sub.add_parser("ask", help="answer a question by quoting the best passages",
                       description="Answer a question by quoting the best passages of the configured corpus.")
    p.add_argument("question", nargs="+", help="the question (quote it, or pass it as several words)")
    p.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="answer as if asked on this day (default: today); later articles are never used")
    p.add_argument("-k", type=_results, default=None, metavar="N",
                   help=f"number of results, 1-{MAX_K} (default: NEWSBOT_ANSWER_RESULTS)")
    p.add_argument("--offset", type=_offset, default=0, metavar="N", help="skip the first N results (paging)")
    p.add_argument("--html", action="store_true", help="print the Telegram HTML message instead of plain text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Open the services, answer, print; exit status 0 with results, 1 when there is no answer (also when
    only related stories are shown)."""
    from bot.cli import notice
    from bot.services import open_services

    services = open_services(report=notice)
    try:
        k = args.k if args.k is not None else services.settings.answer_results
        answer = services.answerer.answer(" ".join(args.question), as_of=args.as_of, offset=args.offset,
                                          limit=k)
    finally:
        services.close()
    if args.html:
        print(answer_html(answer))
    else:
        bold = (lambda w: f"\033[1m{w}\033[0m") if sys.stdout.isatty() else None
        print(answer_text(answer, bold=bold, latest=f"{getattr(args, 'prog', 'python -m bot')} latest"))
    return 0 if answer.items and answer.kind != RELATED else 1
