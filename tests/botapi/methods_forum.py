"""Forum topics: createForumTopic, editForumTopic, closeForumTopic, reopenForumTopic, deleteForumTopic, and
the rules every send applies to ``message_thread_id``.

Modelled on what Telegram does (see ../shared/notes/telegram-facts.md, "Forum topics"):

* a topic's id is the message id of its ``forum_topic_created`` service message; messages inside it carry
  ``message_thread_id`` and ``is_topic_message: true`` and, unless they reply to something else, reply to
  that service message;
* the General topic has no thread id: messages there carry no ``is_topic_message``, and sending into it
  means omitting ``message_thread_id``;
* in a supergroup, a reply chain also carries a ``message_thread_id`` (its root message), which is *not* a
  topic: sending with it fails with ``Bad Request: message thread not found``;
* a deleted topic answers ``Bad Request: message thread not found``; a closed one
  ``Bad Request: TOPIC_CLOSED``, except for administrators allowed to manage topics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import bad_request
from .models import Chat, ForumTopic, Member, StoredMessage
from .registry import api_method

if TYPE_CHECKING:
    from .params import Params
    from .server import BotApiServer

THREAD_NOT_FOUND = "message thread not found"
TOPIC_CLOSED = "TOPIC_CLOSED"
NAME_LIMIT = 128  # ForumTopicLimit.MAX_NAME_LENGTH


def may_manage_topics(chat: Chat, member: Member) -> bool:
    """Creators, and administrators with ``can_manage_topics``, manage (and write in closed) topics."""
    return member.status == "creator" or (
        member.status == "administrator" and bool(member.rights.get("can_manage_topics"))
    )


def live_topic(chat: Chat, thread_id: int) -> ForumTopic:
    """The open-or-closed, not deleted topic ``thread_id`` of a forum, or Telegram's refusal."""
    topic = chat.topics.get(thread_id) if chat.is_forum else None
    if topic is None or topic.deleted:
        raise bad_request(THREAD_NOT_FOUND)
    return topic


def placement(
    chat: Chat, sender: Member, thread_id: int | None, reply_to: StoredMessage | None
) -> dict[str, Any]:
    """Where a new message goes: ``{"thread_id": ..., "is_topic_message": ...}`` or a refusal.

    An explicit ``message_thread_id`` must name a live topic of a forum; without one, a reply to a topic
    message lands in that topic, and a reply elsewhere in a supergroup joins the reply chain's thread.
    """
    if thread_id is not None:
        topic = live_topic(chat, thread_id)
    elif reply_to is not None and reply_to.is_topic_message and reply_to.thread_id is not None:
        topic = live_topic(chat, reply_to.thread_id)
    else:
        if reply_to is not None and chat.type == "supergroup":
            return {"thread_id": reply_to.thread_id or reply_to.message_id, "is_topic_message": False}
        return {"thread_id": None, "is_topic_message": False}
    if topic.closed and not may_manage_topics(chat, sender):
        raise bad_request(TOPIC_CLOSED)
    return {"thread_id": topic.thread_id, "is_topic_message": True}


def _forum(api: BotApiServer, p: Params) -> Chat:
    chat = api.world.resolve(p.chat_id())
    api.world.check_visible(chat)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


def _require_rights(chat: Chat, member: Member, topic: ForumTopic | None = None) -> None:
    if may_manage_topics(chat, member) or (topic is not None and topic.created_by == member.user_id):
        return
    raise bad_request(
        "not enough rights to manage topics" if topic else "not enough rights to create a topic"
    )


def _topic(chat: Chat, p: Params) -> ForumTopic:
    thread_id = p.int("message_thread_id")
    if thread_id is None:
        raise bad_request("message thread is not specified")
    return live_topic(chat, thread_id)


def _name(p: Params, *, required: bool = True) -> str | None:
    name = p.str("name")
    if name is None and not required:
        return None
    name = (name or "").strip()
    if not name:
        raise bad_request("TOPIC_TITLE_EMPTY")
    if len(name) > NAME_LIMIT:
        raise bad_request("TOPIC_TITLE_TOO_LONG")
    return name


def topic_json(topic: ForumTopic) -> dict[str, Any]:
    """A ForumTopic object."""
    return {"message_thread_id": topic.thread_id, "name": topic.name, "icon_color": topic.icon_color}


@api_method("createForumTopic")
async def create_forum_topic(api: BotApiServer, p: Params) -> dict[str, Any]:
    chat = _forum(api, p)
    _require_rights(chat, chat.bot)
    topic = api.open_topic(chat, api.world.bot_user.id, _name(p) or "", p.int("icon_color") or 0x6FB9F0)
    return topic_json(topic)


@api_method("editForumTopic")
async def edit_forum_topic(api: BotApiServer, p: Params) -> bool:
    chat = _forum(api, p)
    topic = _topic(chat, p)
    _require_rights(chat, chat.bot, topic)
    name = _name(p, required=False)
    if name is None or name == topic.name:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.name = name
    api.topic_event(chat, topic, api.world.bot_user.id, forum_topic_edited={"name": name})
    return True


def _set_closed(api: BotApiServer, p: Params, closed: bool) -> bool:
    """close/reopenForumTopic: refused when nothing changes; a service message in the topic otherwise."""
    chat = _forum(api, p)
    topic = _topic(chat, p)
    _require_rights(chat, chat.bot, topic)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    event = "forum_topic_closed" if closed else "forum_topic_reopened"
    api.topic_event(chat, topic, api.world.bot_user.id, **{event: {}})
    return True


@api_method("closeForumTopic")
async def close_forum_topic(api: BotApiServer, p: Params) -> bool:
    return _set_closed(api, p, True)


@api_method("reopenForumTopic")
async def reopen_forum_topic(api: BotApiServer, p: Params) -> bool:
    return _set_closed(api, p, False)


@api_method("deleteForumTopic")
async def delete_forum_topic(api: BotApiServer, p: Params) -> bool:
    chat = _forum(api, p)
    topic = _topic(chat, p)
    bot = chat.bot
    if not (
        bot.status == "creator" or (bot.status == "administrator" and bot.rights.get("can_delete_messages"))
    ):
        raise bad_request("not enough rights to delete the topic")
    api.remove_topic(chat, topic)
    return True
