"""`python -m bot ask`: not built yet."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `ask` subcommand."""
    p = sub.add_parser("ask", help="ask (not built yet)")
    p.set_defaults(func=lambda args: print("ask: not built yet") or 1)
