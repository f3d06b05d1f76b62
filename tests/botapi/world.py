"""Registry of users and chats plus the access rules Telegram applies before a bot may read or write.

Keeping "who may post where" here (and not in each method) means every send/edit/get method refuses
with the same Forbidden/Bad Request texts the real Bot API uses.
"""

from __future__ import annotations

import itertools

from .errors import bad_request, chat_not_found, forbidden, migrated
from .models import Chat, Member, StoredMessage, User, now

_GROUP_WORD = {"group": "group chat", "supergroup": "supergroup chat", "channel": "channel chat"}


class World:
    """All users and chats the fake server knows, and the bot's own account."""

    def __init__(self, bot_user: User) -> None:
        self.bot_user = bot_user
        self.users: dict[int, User] = {bot_user.id: bot_user}
        self.chats: dict[int, Chat] = {}
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(400_000_001)
        self._channel_ids = itertools.count(2_000_000_001)

    # ---- creation -------------------------------------------------------------------------------
    def new_user_id(self) -> int:
        return next(self._user_ids)

    def new_group_id(self) -> int:
        """Basic groups have small negative ids, like -400000001."""
        return -next(self._group_ids)

    def new_channel_id(self) -> int:
        """Supergroups and channels have ids like -100XXXXXXXXXX."""
        return -(1_000_000_000_000 + next(self._channel_ids))

    def add_chat(self, chat: Chat) -> Chat:
        self.chats[chat.id] = chat
        return chat

    def add_message(self, chat: Chat, **fields: object) -> StoredMessage:
        """Store a new message in ``chat`` with the next message_id and the current date."""
        msg = StoredMessage(chat_id=chat.id, message_id=chat.new_message_id(), date=now(), **fields)  # type: ignore[arg-type]
        chat.messages[msg.message_id] = msg
        return msg

    # ---- lookup ---------------------------------------------------------------------------------
    def find(self, ref: int | str) -> Chat | None:
        """A chat by id or ``@username`` (public supergroups/channels; never private chats)."""
        if isinstance(ref, str):
            name = ref.lstrip("@").lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == name and chat.type != "private":
                    return chat
            return None
        return self.chats.get(ref)

    def resolve(self, ref: int | str) -> Chat:
        """The chat a request addresses, or Telegram's refusal (not found, upgraded to supergroup)."""
        chat = self.find(ref)
        if chat is None:
            if isinstance(ref, int) and ref in self.users:
                raise forbidden("bot can't initiate conversation with a user")
            raise chat_not_found()
        if chat.migrated_to is not None:
            raise migrated(chat.migrated_to)
        return chat

    def member(self, chat: Chat, user_id: int) -> Member:
        """Membership of a user (the bot included); unknown users count as ``left``."""
        if user_id == self.bot_user.id:
            return chat.bot
        return chat.members.get(user_id) or Member(user_id, status="left")

    # ---- access rules ---------------------------------------------------------------------------
    def check_visible(self, chat: Chat) -> None:
        """Refusals for any request about a chat: the bot must still be in it (or it must be public)."""
        if chat.type == "private":
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        status = chat.bot.status
        word = _GROUP_WORD[chat.type]
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {word}")
        if status == "left":
            raise forbidden(f"bot is not a member of the {word}")

    def check_can_send(self, chat: Chat) -> None:
        """Refusals for sending a message to ``chat``, in the order Telegram checks them."""
        self.check_visible(chat)
        if chat.type == "private":
            if chat.bot.status == "kicked":
                raise forbidden("bot was blocked by the user")
            return
        if chat.type == "channel":
            if chat.bot.status != "administrator" or not chat.bot.rights.get("can_post_messages"):
                raise bad_request("need administrator rights in the channel chat")
            return
        if chat.bot.status == "restricted" and not chat.bot.can_send_messages:
            raise bad_request("not enough rights to send text messages to the chat")

    def check_can_edit(self, chat: Chat) -> None:
        """Editing needs the chat to be visible; channels additionally need can_edit_messages."""
        self.check_visible(chat)
        if chat.type == "channel" and chat.bot.status != "administrator":
            raise bad_request("need administrator rights in the channel chat")

    def user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return user
