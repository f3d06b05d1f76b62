"""Subcommands of `python -m bot`, one module each; each exposes `register(subparsers)`."""

from __future__ import annotations

import sys


def notice(message: str) -> None:
    """A line on stderr about what a long step is doing (stdout stays the command's answer)."""
    print(message, file=sys.stderr, flush=True)
