"""`python -m bot run`: not built yet."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `run` subcommand."""
    p = sub.add_parser("run", help="run (not built yet)")
    p.set_defaults(func=lambda args: print("run: not built yet") or 1)
