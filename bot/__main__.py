"""The command line: `python -m bot {ingest,ask,latest,eval,sources,run} ...`.

Each subcommand lives in its own module under `bot/cli/`, which registers its arguments and does the
work; this module only dispatches and turns expected failures into one clear line (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bot.config import SettingsError

SUBCOMMANDS = ("ingest", "ask", "latest", "eval", "sources", "run")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered by its module."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="A Telegram bot that answers questions about the news by quoting the best passages.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
