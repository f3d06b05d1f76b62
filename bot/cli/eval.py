"""`python -m bot eval`: not built yet."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `eval` subcommand."""
    p = sub.add_parser("eval", help="eval (not built yet)")
    p.set_defaults(func=lambda args: print("eval: not built yet") or 1)
