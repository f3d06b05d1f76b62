"""getMe, setMyCommands/getMyCommands/deleteMyCommands, close, logOut.

Command menus are stored per (scope, language_code) exactly as set, so a test can read back what each
kind of chat would show in its "/" menu.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .errors import bad_request, too_many_requests
from .registry import api_method
from .shapes import user_json

if TYPE_CHECKING:
    from .params import Params
    from .server import BotApiServer

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


def scope_key(scope: Any, language_code: str | None) -> str:
    """Canonical key of a command scope + language, e.g. ``'{"type": "default"}|'``."""
    scope = scope or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope")
    if scope["type"] in ("chat", "chat_administrators", "chat_member") and "chat_id" not in scope:
        raise bad_request("chat_id is empty")
    return json.dumps(scope, sort_keys=True) + "|" + (language_code or "")


@api_method("getMe")
async def get_me(api: BotApiServer, p: Params) -> dict[str, Any]:
    cfg = api.config
    flags = {
        "can_join_groups": cfg.can_join_groups,
        "can_read_all_group_messages": not cfg.privacy_mode,
        "supports_inline_queries": cfg.supports_inline_queries,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }
    return user_json(api.world.bot_user, bot_flags=flags)


@api_method("setMyCommands")
async def set_my_commands(api: BotApiServer, p: Params) -> bool:
    commands = p.json("commands", "commands")
    if not isinstance(commands, list):
        raise bad_request("commands is empty" if commands is None else "can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        _check_command(command)
    key = scope_key(p.json("scope"), p.str("language_code"))
    api.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
    api.changed()
    return True


def _check_command(command: Any) -> None:
    if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    description = command.get("description")
    if not isinstance(description, str) or not 1 <= len(description) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


@api_method("getMyCommands")
async def get_my_commands(api: BotApiServer, p: Params) -> list[dict[str, str]]:
    return api.commands.get(scope_key(p.json("scope"), p.str("language_code")), [])


@api_method("deleteMyCommands")
async def delete_my_commands(api: BotApiServer, p: Params) -> bool:
    api.commands.pop(scope_key(p.json("scope"), p.str("language_code")), None)
    api.changed()
    return True


@api_method("close")
async def close(api: BotApiServer, p: Params) -> bool:
    """Telegram refuses close() in the first 10 minutes after the bot started (a common surprise)."""
    if api.config.refuse_early_close and api.uptime() < 600:
        raise too_many_requests(int(600 - api.uptime()) + 1)
    return True


@api_method("logOut")
async def log_out(api: BotApiServer, p: Params) -> bool:
    return True
