"""Subcommands of `python -m bot`, one module each; each exposes `register(subparsers)`."""
