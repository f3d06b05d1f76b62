"""answerCallbackQuery and answerInlineQuery, with Telegram's limits on both.

Queries expire (Telegram gives a bot only seconds to answer) and can be answered once; inline answers
are limited to 50 results and a 64-byte next_offset, and every result's text goes through the same
parse-mode checks as a message.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import bad_request
from .formatting import format_message_text
from .markup import validate_reply_markup
from .registry import api_method

if TYPE_CHECKING:
    from .params import Params
    from .server import BotApiServer

QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
RESULT_TYPES = frozenset(
    {
        "article",
        "photo",
        "gif",
        "mpeg4_gif",
        "video",
        "audio",
        "voice",
        "document",
        "location",
        "venue",
        "contact",
        "game",
        "sticker",
    }
)
MAX_RESULTS = 50
MAX_OFFSET_BYTES = 64
MAX_CALLBACK_TEXT = 200


@api_method("answerCallbackQuery")
async def answer_callback_query(api: BotApiServer, p: Params) -> bool:
    record = api.callback_queries.get(p.str("callback_query_id") or "")
    too_old = record is not None and time.monotonic() - record.created > api.config.query_answer_timeout
    if record is None or record.answered or too_old:
        raise bad_request(QUERY_INVALID)
    text = p.str("text")
    if text is not None and len(text) > MAX_CALLBACK_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.answer = {
        "text": text,
        "show_alert": p.bool("show_alert"),
        "url": p.str("url"),
        "cache_time": p.int("cache_time", 0),
    }
    api.changed()
    return True


@api_method("answerInlineQuery")
async def answer_inline_query(api: BotApiServer, p: Params) -> bool:
    record = api.inline_queries.get(p.str("inline_query_id") or "")
    too_old = record is not None and time.monotonic() - record.created > api.config.query_answer_timeout
    if record is None or record.answered or too_old:
        raise bad_request(QUERY_INVALID)
    results = p.json("results", "inline query results")
    if not isinstance(results, list):
        raise bad_request("can't parse inline query results JSON object")
    if len(results) > MAX_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    next_offset = p.str("next_offset") or ""
    if len(next_offset.encode("utf-8")) > MAX_OFFSET_BYTES:
        raise bad_request("NEXT_OFFSET_INVALID")
    rendered = _check_results(results)
    record.answered = True
    record.answer = {
        "results": rendered,
        "next_offset": next_offset,
        "cache_time": p.int("cache_time", 300),
        "is_personal": p.bool("is_personal"),
        "button": p.json("button"),
    }
    api.changed()
    return True


def _check_results(results: list[Any]) -> list[dict[str, Any]]:
    """Validate each result; attach the parsed ``text``/``entities`` of article contents for tests."""
    seen: set[str] = set()
    rendered = []
    for result in results:
        if not isinstance(result, dict) or result.get("type") not in RESULT_TYPES:
            raise bad_request("RESULT_TYPE_INVALID")
        result_id = str(result.get("id", ""))
        if not 1 <= len(result_id.encode("utf-8")) <= 64:
            raise bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        rendered.append(_render_result(result))
    return rendered


def _render_result(result: dict[str, Any]) -> dict[str, Any]:
    out = dict(result)
    if result["type"] == "article" and not result.get("title"):
        raise bad_request("RESULT_TITLE_EMPTY")
    if "reply_markup" in result:
        validate_reply_markup(result["reply_markup"], inline_only=True)
    content = result.get("input_message_content")
    if result["type"] == "article" and not isinstance(content, dict):
        raise bad_request("can't parse input message content")
    if isinstance(content, dict) and "message_text" in content:
        text, entities = format_message_text(
            content.get("message_text"), content.get("parse_mode"), content.get("entities")
        )
        out["text"] = text
        out["entities"] = [e.to_json() for e in entities]
    return out
