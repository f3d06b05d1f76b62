"""The command line: ``python -m bot`` and its subcommands, one module each (``register(subparsers)``).

``run`` starts the Telegram bot (:mod:`bot.chat`); the others (``ask``, ``latest``, ``ingest``, ``eval``,
``sources``) work without Telegram. The top of the import graph: may import any package of the bot;
nothing imports it.
"""

from __future__ import annotations

import sys


def notice(message: str) -> None:
    """A line on stderr about what a long step is doing (stdout stays the command's answer)."""
    print(message, file=sys.stderr, flush=True)
