"""`python -m bot sources`: not built yet."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `sources` subcommand."""
    p = sub.add_parser("sources", help="sources (not built yet)")
    p.set_defaults(func=lambda args: print("sources: not built yet") or 1)
