"""`python -m bot ingest`: not built yet."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `ingest` subcommand."""
    p = sub.add_parser("ingest", help="ingest (not built yet)")
    p.set_defaults(func=lambda args: print("ingest: not built yet") or 1)
