"""sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage, sendChatAction.

Each handler checks in Telegram's order: the chat (exists, not migrated, bot may post), the content
(text, entities, markup), then flood control, and only then stores the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import bad_request
from .formatting import format_message_text
from .markup import validate_reply_markup
from .methods_forum import placement
from .models import Chat, MessageVersion, StoredMessage, now
from .registry import api_method
from .shapes import message_json

if TYPE_CHECKING:
    from .params import Params
    from .server import BotApiServer

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)


@api_method("sendMessage")
async def send_message(api: BotApiServer, p: Params) -> dict[str, Any]:
    chat = api.world.resolve(p.chat_id())
    api.world.check_can_send(chat)
    text, entities = format_message_text(p.str("text"), p.str("parse_mode"), p.json("entities"))
    markup = validate_reply_markup(p.json("reply_markup", "reply keyboard markup"))
    reply_to = _reply_target(chat, p)
    where = placement(
        chat, api.world.member(chat, api.world.bot_user.id), p.int("message_thread_id"),
        chat.messages.get(reply_to) if reply_to is not None else None,
    )  # fmt: skip
    api.check_flood("sendMessage", chat)
    msg = api.world.add_message(
        chat,
        text=text,
        entities=entities,
        by_bot=True,
        reply_to_message_id=reply_to,
        reply_markup=markup,
        link_preview_options=_link_preview(p),
        request=dict(p.values),
        **where,
        **_sender(api, chat),
    )
    api.changed()
    return message_json(msg, api.world)


def _sender(api: BotApiServer, chat: Chat) -> dict[str, int]:
    """Bots post in channels as the channel (``sender_chat``, no ``from``), elsewhere as themselves."""
    if chat.type == "channel":
        return {"sender_chat_id": chat.id}
    return {"from_id": api.world.bot_user.id}


def _reply_target(chat: Chat, p: Params) -> int | None:
    """reply_parameters (or legacy reply_to_message_id): the message must exist unless allowed not to."""
    params = p.json("reply_parameters") or {}
    if not isinstance(params, dict):
        raise bad_request("can't parse reply parameters JSON object")
    message_id = params.get("message_id", p.int("reply_to_message_id"))
    if message_id is None:
        return None
    allow = params.get("allow_sending_without_reply", p.bool("allow_sending_without_reply"))
    target = chat.messages.get(int(message_id))
    if target is None or target.deleted:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return target.message_id


def _link_preview(p: Params) -> dict[str, Any] | None:
    options = p.json("link_preview_options")
    if options is None and p.bool("disable_web_page_preview"):
        options = {"is_disabled": True}
    return options or None


def _editable(api: BotApiServer, p: Params) -> tuple[Chat, StoredMessage] | None:
    """The bot message an edit targets; None for inline messages (``inline_message_id``)."""
    if "inline_message_id" in p:
        return None
    chat = api.world.resolve(p.chat_id())
    api.world.check_can_edit(chat)
    message_id = p.int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    msg = chat.messages.get(message_id)
    if msg is None or msg.deleted:
        raise bad_request("message to edit not found")
    if not msg.by_bot or msg.text is None:
        raise bad_request("message can't be edited")
    return chat, msg


def _apply_edit(api: BotApiServer, msg: StoredMessage, text: str, entities: list, markup: Any) -> None:
    msg.history.append(MessageVersion(msg.text or "", list(msg.entities), msg.reply_markup, msg.edit_date))
    msg.text, msg.entities, msg.reply_markup, msg.edit_date = text, entities, markup, now()
    api.changed()


@api_method("editMessageText")
async def edit_message_text(api: BotApiServer, p: Params) -> dict[str, Any] | bool:
    target = _editable(api, p)
    text, entities = format_message_text(p.str("text"), p.str("parse_mode"), p.json("entities"))
    markup = validate_reply_markup(p.json("reply_markup", "reply keyboard markup"), inline_only=True)
    if target is None:
        api.inline_edits.append(
            {
                "inline_message_id": p.str("inline_message_id"),
                "text": text,
                "entities": entities,
                "reply_markup": markup,
            }
        )
        api.changed()
        return True
    chat, msg = target
    if (text, entities, markup) == (msg.text, msg.entities, msg.reply_markup):
        raise bad_request(NOT_MODIFIED)
    api.check_flood("editMessageText", chat)
    _apply_edit(api, msg, text, entities, markup)
    return message_json(msg, api.world)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(api: BotApiServer, p: Params) -> dict[str, Any] | bool:
    target = _editable(api, p)
    markup = validate_reply_markup(p.json("reply_markup", "reply keyboard markup"), inline_only=True)
    if target is None:
        api.inline_edits.append({"inline_message_id": p.str("inline_message_id"), "reply_markup": markup})
        api.changed()
        return True
    chat, msg = target
    if markup == msg.reply_markup:
        raise bad_request(NOT_MODIFIED)
    api.check_flood("editMessageReplyMarkup", chat)
    _apply_edit(api, msg, msg.text or "", list(msg.entities), markup)
    return message_json(msg, api.world)


@api_method("deleteMessage")
async def delete_message(api: BotApiServer, p: Params) -> bool:
    chat = api.world.resolve(p.chat_id())
    api.world.check_visible(chat)
    msg = chat.messages.get(p.int("message_id") or 0)
    if msg is None or msg.deleted:
        raise bad_request("message to delete not found")
    may_delete = msg.by_bot or chat.type == "private" or bool(chat.bot.rights.get("can_delete_messages"))
    if not may_delete:
        raise bad_request("message can't be deleted")
    msg.deleted = True
    api.changed()
    return True


@api_method("sendChatAction")
async def send_chat_action(api: BotApiServer, p: Params) -> bool:
    chat = api.world.resolve(p.chat_id())
    api.world.check_can_send(chat)
    action = p.str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    api.chat_actions.append((chat.id, action))
    return True
