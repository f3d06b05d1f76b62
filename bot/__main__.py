"""The command line: `python -m bot {ingest,ask,latest,eval,sources,run} ...`.

Each subcommand lives in its own module under `bot/cli/`, which registers its arguments and does the
work; this module only dispatches and turns expected failures into one clear line (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from bot.config import SettingsError

SUBCOMMANDS = ("ingest", "ask", "latest", "eval", "sources", "run")


def prog_name(argv0: str | None = None) -> str:
    """How the user started us, for usage lines: ``newsbot`` (the installed script) or ``python -m bot``."""
    name = os.path.basename(argv0 if argv0 is not None else (sys.argv[0] if sys.argv else ""))
    return "python -m bot" if name in ("", "__main__.py", "-c") else name


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered by its module."""
    parser = argparse.ArgumentParser(
        prog=prog_name(),
        description="A Telegram bot that answers questions about the news by quoting the best passages.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    parser.set_defaults(prog=parser.prog)  # for subcommands that name another one in their output
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
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a reader gone early shows up here, not in the interpreter's exit
        return status
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """stdout's reader closed early (``latest 20 | head -1``): stop quietly, as Unix tools do on SIGPIPE.

    stdout is pointed at /dev/null so the interpreter's final flush does not fail a second time.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe


if __name__ == "__main__":
    sys.exit(main())
