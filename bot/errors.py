"""Exceptions any layer may raise or catch, so the chat layer can answer them without importing the layers
below it (``bot.store`` raises :class:`Unavailable` as ``StoreUnavailable``)."""

from __future__ import annotations


class Unavailable(Exception):
    """A service the bot depends on (the database) cannot be reached for now: the request did not
    happen and may simply be tried again. A person gets a short "busy, try again"; a push waits."""
