"""A Telegram bot that answers questions about the news by quoting the best passages of its corpus."""

__version__ = "0.1.0"
