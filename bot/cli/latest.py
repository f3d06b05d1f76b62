"""`python -m bot latest`: not built yet."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `latest` subcommand."""
    p = sub.add_parser("latest", help="latest (not built yet)")
    p.set_defaults(func=lambda args: print("latest: not built yet") or 1)
