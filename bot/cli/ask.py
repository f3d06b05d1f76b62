"""`python -m bot ask "question" [--as-of DATE] [-k N]`: print the quoted answer for the configured corpus."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from bot.answer.render import answer_html, answer_text
from bot.answer.types import RELATED


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
    p.add_argument("-k", type=int, default=None, metavar="N", help="number of results (default: NEWSBOT_ANSWER_RESULTS)")
    p.add_argument("--offset", type=int, default=0, help="skip the first N results (paging)")
    p.add_argument("--html", action="store_true", help="print the Telegram HTML message instead of plain text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Open the services, answer, print; exit status 0 with results, 1 when there is no answer (also when
    only related stories are shown)."""
    from bot.services import open_services

    services = open_services()
    try:
        k = args.k if args.k is not None else services.settings.answer_results
        answer = services.answerer.answer(" ".join(args.question), as_of=args.as_of, offset=args.offset,
                                          limit=max(1, min(k, 10)))
    finally:
        services.close()
    if args.html:
        print(answer_html(answer))
    else:
        bold = (lambda w: f"\033[1m{w}\033[0m") if sys.stdout.isatty() else None
        print(answer_text(answer, bold=bold))
    return 0 if answer.items and answer.kind != RELATED else 1
