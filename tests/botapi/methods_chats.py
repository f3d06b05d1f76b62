"""getChat, getChatMember, getChatAdministrators, getChatMemberCount, leaveChat.

Admin checks in a bot (e.g. "only group admins may change settings") depend on these answers, so they
report the creator, administrators (anonymous ones included) and the bot itself like Telegram does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import bad_request
from .models import Member
from .registry import api_method
from .shapes import chat_full_json, member_json

if TYPE_CHECKING:
    from .params import Params
    from .server import BotApiServer


@api_method("getChat")
async def get_chat(api: BotApiServer, p: Params) -> dict[str, Any]:
    chat = api.world.resolve(p.chat_id())
    api.world.check_visible(chat)
    return chat_full_json(chat)


@api_method("getChatMember")
async def get_chat_member(api: BotApiServer, p: Params) -> dict[str, Any]:
    chat = api.world.resolve(p.chat_id())
    api.world.check_visible(chat)
    user_id = p.int("user_id")
    if user_id is None:
        raise bad_request("user_id is empty")
    user = api.world.user(user_id)
    if chat.type == "private":
        member = Member(user_id, status="member") if user_id in (chat.id, api.world.bot_user.id) else None
        if member is None:
            raise bad_request("user not found")
    else:
        member = api.world.member(chat, user_id)
    return member_json(member, user, chat)


@api_method("getChatAdministrators")
async def get_chat_administrators(api: BotApiServer, p: Params) -> list[dict[str, Any]]:
    chat = api.world.resolve(p.chat_id())
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    api.world.check_visible(chat)
    admins = [m for m in chat.admins()]
    if chat.bot.is_admin:
        admins.append(chat.bot)
    return [member_json(m, api.world.users[m.user_id], chat) for m in admins]


@api_method("getChatMemberCount")
async def get_chat_member_count(api: BotApiServer, p: Params) -> int:
    chat = api.world.resolve(p.chat_id())
    api.world.check_visible(chat)
    if chat.type == "private":
        return 2
    return sum(1 for m in chat.members.values() if m.is_present) + int(chat.bot.is_present)


@api_method("leaveChat")
async def leave_chat(api: BotApiServer, p: Params) -> bool:
    chat = api.world.resolve(p.chat_id())
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    api.world.check_visible(chat)
    api.set_bot_status(chat, "left", by=api.world.bot_user)
    return True
