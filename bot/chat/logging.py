"""Keep secrets and what people write out of logs.

* The bot token and the webhook secret are replaced wherever they appear, at every level: PTB and httpx
  log request URLs (which contain ``/bot<token>/``) and request parameters (``setWebhook``'s
  ``secret_token``) at debug level, and exceptions can carry them too.
* Nothing the bot logs above DEBUG contains a user's text or an update's payload. At DEBUG, PTB logs
  request parameters, API results and whole updates (``Processing update …``, ``Webhook received data``):
  in those records the values of text fields (message text, captions, inline queries, names, titles,
  callback data) become ``<N chars>`` and the record is cut to :data:`MAX_LIBRARY_MESSAGE` characters.

The redaction is installed as a log-record factory, so it covers every logger and every handler,
including ones added later (e.g. by pytest), rather than only the handlers that exist when the bot
starts.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

REDACTED = "<token>"
WEBHOOK_SECRET_REDACTED = "<webhook-secret>"
#: Longest message kept from a library (PTB) record at DEBUG; the rest is counted, not shown.
MAX_LIBRARY_MESSAGE = 600
#: Fields whose values are what people wrote or who they are, in dict reprs (``'text': '…'``), JSON
#: (``"text": "…"``) and PTB object reprs (``text='…'``).
PRIVATE_FIELDS = (
    "text", "caption", "query", "data", "first_name", "last_name", "username", "title", "description",
    "phone_number", "bio", "secret_token", "message_text", "quote", "explanation", "question",
)  # fmt: skip
_PRIVATE_VALUE = re.compile(
    r"""(?P<key>['"]?\b(?:"""
    + "|".join(PRIVATE_FIELDS)
    + r""")\b['"]?\s*[:=]\s*)(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
)
_LIBRARIES = ("telegram", "httpx", "httpcore", "tornado")
_installed: dict[str, str] = {}  # secret -> what replaces it


def redact(text: str, tokens: set[str] | dict[str, str]) -> str:
    """``text`` with every secret replaced (by its label when ``tokens`` maps secrets to labels)."""
    for token in tokens:
        if token and token in text:
            label = tokens[token] if isinstance(tokens, dict) else REDACTED
            text = text.replace(token, label)
    return text


def redact_private(text: str) -> str:
    """``text`` with the values of :data:`PRIVATE_FIELDS` replaced by their length, and cut to
    :data:`MAX_LIBRARY_MESSAGE` characters."""
    text = _PRIVATE_VALUE.sub(lambda m: f"{m.group('key')}<{len(m.group('value')) - 2} chars>", text)
    if len(text) > MAX_LIBRARY_MESSAGE:
        text = f"{text[:MAX_LIBRARY_MESSAGE]}… ({len(text) - MAX_LIBRARY_MESSAGE} more characters)"
    return text


def install_token_redaction(token: str) -> None:
    """Redact ``token`` from every log record created from now on (idempotent, several tokens allowed)."""
    _install(token, REDACTED)


def install_secret_redaction(secret: str, label: str = WEBHOOK_SECRET_REDACTED) -> None:
    """Redact another secret (the webhook's) the same way, shown as ``label``."""
    _install(secret, label)


def _install(secret: str, label: str) -> None:
    if not secret or secret in _installed:
        return
    first = not _installed
    _installed[secret] = label
    if first:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
    logging.getLogger("httpx").setLevel(max(logging.getLogger("httpx").level, logging.WARNING))


def _scrub(record: logging.LogRecord) -> None:
    """Format the message now; replace secrets in it and in any exception text; redact library payloads."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):  # a broken format string: the handler reports it
        return
    clean = redact(message, _installed)
    if record.name.startswith(_LIBRARIES):
        clean = redact_private(clean)
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
