"""From (text, parse_mode, entities) to what a user sees, with Telegram's text checks.

Order matches the Bot API: parse the markup (or take explicit entities), trim surrounding whitespace,
refuse empty or over-long text (length in UTF-16 units, after parsing), then add the entities Telegram
detects by itself (links, mentions, commands, hashtags).
"""

from __future__ import annotations

from typing import Any

from .entities import Entity, detect_entities, sort_entities, trim, utf16_len
from .errors import bad_request
from .html_entities import HtmlParseError, parse_html
from .markdown_entities import MarkdownParseError, parse_markdown, parse_markdown_v2

MAX_TEXT = 4096
MAX_CAPTION = 1024


def parse_text(text: str, parse_mode: str | None, entities: Any = None) -> tuple[str, list[Entity]]:
    """Apply ``parse_mode`` (ignored when explicit ``entities`` are given, as in the Bot API)."""
    if entities:
        if not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        return text, [_entity(e, utf16_len(text)) for e in entities]
    mode = (parse_mode or "").strip().lower()
    try:
        if mode == "":
            return text, []
        if mode == "html":
            return parse_html(text)
        if mode == "markdownv2":
            return parse_markdown_v2(text)
        if mode == "markdown":
            return parse_markdown(text)
    except (HtmlParseError, MarkdownParseError) as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    raise bad_request("unsupported parse_mode")


def _entity(data: Any, size: int) -> Entity:
    try:
        entity = Entity.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_request("can't parse entities JSON object") from exc
    if entity.offset < 0 or entity.length <= 0 or entity.end > size:
        raise bad_request("can't parse entities: entity beyond the end of the text")
    return entity


def format_message_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any = None,
    *,
    limit: int = MAX_TEXT,
    empty_error: str = "message text is empty",
    long_error: str = "message is too long",
) -> tuple[str, list[Entity]]:
    """Full pipeline for a message text; raises Telegram's 400s."""
    if text is None or text == "":
        raise bad_request(empty_error)
    plain, found = parse_text(text, parse_mode, entities)
    plain, found = trim(plain, found)
    if not plain:
        raise bad_request(empty_error)
    if utf16_len(plain) > limit:
        raise bad_request(long_error)
    return plain, sort_entities(found + detect_entities(plain, found))
