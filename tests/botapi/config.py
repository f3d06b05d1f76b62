"""Settings of one fake Bot API server (bot identity, privacy mode, timeouts, strictness)."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A syntactically valid token whose numeric prefix is the bot's user id, like real tokens.
DEFAULT_BOT_ID = 777000111
DEFAULT_TOKEN = f"{DEFAULT_BOT_ID}:AAHtestTOKENfor-local-Bot-API-server0"
TOKEN_FORMAT = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,50}$")


@dataclass
class ServerConfig:
    """Pass to :class:`~tests.botapi.server.BotApiServer`; all fields may be changed before start()."""

    token: str = DEFAULT_TOKEN
    bot_username: str = "thebot"
    bot_first_name: str = "The Bot"
    privacy_mode: bool = True  # groups: bot sees only commands, replies to it, mentions, service messages
    can_join_groups: bool = True
    supports_inline_queries: bool = True
    query_answer_timeout: float = 15.0  # callback/inline queries older than this can't be answered
    strict_webhook_url: bool = False  # True: require https and ports 80/88/443/8443 like Telegram
    webhook_retry_delay: float = 0.2
    refuse_early_close: bool = True  # close() in the first 10 minutes → 429, as on Telegram
    host: str = "127.0.0.1"
    port: int = 0  # 0: pick a free port

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])
