"""Keep the bot token out of logs.

PTB and httpx log request URLs (which contain ``/bot<token>/``) at debug level, and exceptions can
carry them too. The redaction is installed as a log-record factory, so it covers every logger and
every handler, including ones added later (e.g. by pytest), rather than only the handlers that exist
when the bot starts.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

REDACTED = "<token>"
_installed: set[str] = set()


def redact(text: str, tokens: set[str]) -> str:
    """``text`` with every token replaced."""
    for token in tokens:
        if token and token in text:
            text = text.replace(token, REDACTED)
    return text


def install_token_redaction(token: str) -> None:
    """Redact ``token`` from every log record created from now on (idempotent, several tokens allowed)."""
    if not token or token in _installed:
        return
    first = not _installed
    _installed.add(token)
    if first:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
    logging.getLogger("httpx").setLevel(max(logging.getLogger("httpx").level, logging.WARNING))


def _scrub(record: logging.LogRecord) -> None:
    """Format the message now and replace the token in it and in any exception text."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):  # a broken format string: the handler reports it
        return
    clean = redact(message, _installed)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if any(t in text for t in _installed):
            record.exc_text = redact(text, _installed)


class TokenFilter(logging.Filter):
    """A handler filter doing the same redaction, for handlers that bypass the record factory."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drops it."""
        _scrub(record)
        return True
