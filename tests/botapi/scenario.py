"""The test API for making things happen on the Telegram side: people, chats, messages, button presses,
inline queries, the bot being added/blocked/kicked/promoted, group → supergroup migration.

Each event is stored in the chat's history and, if Telegram would deliver it to the bot (privacy mode!),
queued as an update with the exact JSON shape the Bot API uses.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .entities import Entity, detect_entities
from .errors import ApiError
from .methods_forum import placement
from .models import (
    ADMIN_RIGHTS,
    CHANNEL_RIGHTS,
    GROUP_ANONYMOUS_BOT_ID,
    GROUP_RIGHTS,
    CallbackQueryRecord,
    Chat,
    ForumTopic,
    InlineQueryRecord,
    Member,
    StoredMessage,
    User,
    now,
)
from .shapes import chat_json, member_json, message_json, user_json

if TYPE_CHECKING:
    from .config import ServerConfig
    from .updates import UpdateQueue
    from .world import World

ChatRef = Chat | User | int
_ids = itertools.count(1)


def full_rights(chat_type: str, **overrides: bool) -> dict[str, bool]:
    """All admin rights for ``chat_type`` switched on, except those overridden."""
    extra = CHANNEL_RIGHTS if chat_type == "channel" else GROUP_RIGHTS
    rights = {right: True for right in ADMIN_RIGHTS + extra}
    rights.update(overrides)
    return rights


class Scenario:
    """Mixin for :class:`~tests.botapi.server.BotApiServer` (needs ``world``, ``updates``, ``config``)."""

    world: World
    updates: UpdateQueue
    config: ServerConfig
    callback_queries: dict[str, CallbackQueryRecord]
    inline_queries: dict[str, InlineQueryRecord]

    if TYPE_CHECKING:  # provided by BotApiServer / Observer

        def changed(self) -> None: ...

        def chat(self, ref: ChatRef) -> Chat: ...

    # ---- people and chats -----------------------------------------------------------------------------
    def add_user(
        self,
        first_name: str = "Alice",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
        started: bool = True,
    ) -> User:
        """A person with a private chat with the bot; ``started=False``: they never pressed Start."""
        user = User(
            self.world.new_user_id(),
            first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
        )
        self.world.users[user.id] = user
        self.world.add_chat(
            Chat(
                user.id,
                "private",
                first_name=first_name,
                last_name=last_name,
                username=username,
                started=started,
                bot=Member(self.world.bot_user.id, "member"),
            )
        )
        return user

    def add_group(
        self,
        title: str = "Group",
        *,
        members: list[User] = (),
        admins: list[User] = (),  # type: ignore[assignment]
        creator: User | None = None,
        anonymous_admins: list[User] = (),  # type: ignore[assignment]
        bot_admin: bool = False,
        bot_rights: dict[str, bool] | None = None,
        supergroup: bool = False,
        username: str | None = None,
        bot_member: bool = True,
    ) -> Chat:
        """A group (or supergroup) the bot is already a member of (``bot_admin``: as administrator).

        ``bot_member=False``: the bot is not in it yet; add it later with :meth:`add_bot`.
        """
        kind = "supergroup" if supergroup else "group"
        chat_id = self.world.new_channel_id() if supergroup else self.world.new_group_id()
        chat = Chat(chat_id, kind, title=title, username=username if supergroup else None)
        if creator is not None:
            chat.members[creator.id] = Member(creator.id, "creator")
        for user in members:
            chat.members.setdefault(user.id, Member(user.id, "member"))
        for user in admins:
            chat.members[user.id] = Member(user.id, "administrator", rights=full_rights(kind))
        for user in anonymous_admins:
            chat.members[user.id] = Member(
                user.id, "administrator", is_anonymous=True, rights=full_rights(kind)
            )
        chat.bot = self._bot_member(kind, bot_admin, bot_rights)
        if not bot_member:
            chat.bot = Member(self.world.bot_user.id, "left")
        return self.world.add_chat(chat)

    def add_supergroup(self, title: str = "Supergroup", **kwargs: Any) -> Chat:
        """Like :meth:`add_group` with ``supergroup=True`` (ids look like -100…, may have a username)."""
        return self.add_group(title, supergroup=True, **kwargs)

    def add_forum(self, title: str = "Forum", **kwargs: Any) -> Chat:
        """A supergroup with topics enabled (``is_forum``); create topics with :meth:`create_topic`."""
        chat = self.add_group(title, supergroup=True, **kwargs)
        chat.is_forum = True
        return chat

    def add_channel(
        self,
        title: str = "Channel",
        *,
        username: str | None = None,
        bot_admin: bool = True,
        can_post: bool = True,
        creator: User | None = None,
        bot_member: bool = True,
    ) -> Chat:
        """A channel; by default the bot is an admin allowed to post (``bot_member=False``: not in it)."""
        chat = Chat(self.world.new_channel_id(), "channel", title=title, username=username)
        if creator is not None:
            chat.members[creator.id] = Member(creator.id, "creator")
        if not bot_member:
            chat.bot = Member(self.world.bot_user.id, "left")
        else:
            chat.bot = self._bot_member(
                "channel", bot_admin, full_rights("channel", can_post_messages=can_post)
            )
        return self.world.add_chat(chat)

    def _bot_member(self, kind: str, admin: bool, rights: dict[str, bool] | None) -> Member:
        if not admin:
            return Member(self.world.bot_user.id, "member")
        return Member(self.world.bot_user.id, "administrator", rights=rights or full_rights(kind))

    def join(self, chat: ChatRef, user: User, *, status: str = "member") -> None:
        """Make ``user`` a member (or admin/creator) of a group/channel without any update."""
        target = self.chat(chat)
        rights = full_rights(target.type) if status == "administrator" else {}
        target.members[user.id] = Member(user.id, status, rights=rights)

    # ---- messages from people -------------------------------------------------------------------------
    def send_text(
        self,
        chat: ChatRef,
        user: User,
        text: str,
        *,
        reply_to: StoredMessage | int | None = None,
        entities: list[Entity] | None = None,
        topic: ForumTopic | None = None,
    ) -> StoredMessage:
        """``user`` writes ``text`` in ``chat`` (``topic``: inside that forum topic, else in General);
        entities (commands, mentions, links) are detected."""
        target = self.chat(chat)
        if target.type == "private":
            self._open_private(target, user)
        return self._user_message(
            target, text, from_id=user.id, reply_to=reply_to, entities=entities, topic=topic
        )

    def send_command(
        self,
        chat: ChatRef,
        user: User,
        command: str,
        args: str = "",
        *,
        address: bool | str | None = None,
        topic: ForumTopic | None = None,
    ) -> StoredMessage:
        """``/command args``; in groups addressed as ``/command@thebot`` unless ``address`` says otherwise.

        ``address``: None → @bot suffix in groups only; True/False force it; a string addresses another bot.
        """
        target = self.chat(chat)
        name = command.lstrip("/")
        if address is None:
            address = target.type != "private"
        suffix = (
            f"@{address}" if isinstance(address, str) else (f"@{self.config.bot_username}" if address else "")
        )
        text = f"/{name}{suffix}" + (f" {args}" if args else "")
        return self.send_text(chat, user, text, topic=topic)

    def reply(self, user: User, message: StoredMessage, text: str) -> StoredMessage:
        """``user`` replies to ``message`` (typically one of the bot's) in the same chat (and topic)."""
        return self.send_text(message.chat_id, user, text, reply_to=message)

    def mention_bot(
        self, chat: ChatRef, user: User, text: str, *, topic: ForumTopic | None = None
    ) -> StoredMessage:
        """A message starting with ``@thebot`` (a mention entity the privacy filter lets through)."""
        return self.send_text(chat, user, f"@{self.config.bot_username} {text}", topic=topic)

    def send_as_anonymous_admin(
        self, chat: ChatRef, text: str, *, reply_to: StoredMessage | int | None = None
    ) -> StoredMessage:
        """An anonymous admin posts: ``sender_chat`` is the group, ``from`` is GroupAnonymousBot."""
        target = self.chat(chat)
        self._ensure_anonymous_bot()
        return self._user_message(
            target, text, from_id=GROUP_ANONYMOUS_BOT_ID, sender_chat_id=target.id, reply_to=reply_to
        )

    def post_to_channel(self, channel: ChatRef, text: str) -> StoredMessage:
        """A channel post (delivered as ``channel_post`` if the bot is in the channel)."""
        return self._user_message(self.chat(channel), text, sender_chat_id=self.chat(channel).id)

    def _open_private(self, chat: Chat, user: User) -> None:
        if chat.id != user.id:
            raise ValueError(f"{user.first_name} can't write in the private chat of user {chat.id}")
        if chat.bot.status == "kicked":
            raise ValueError(f"{user.first_name} blocked the bot; call unblock_bot(user) first")
        chat.started = True

    def _ensure_anonymous_bot(self) -> None:
        if GROUP_ANONYMOUS_BOT_ID not in self.world.users:
            self.world.users[GROUP_ANONYMOUS_BOT_ID] = User(
                GROUP_ANONYMOUS_BOT_ID, "Group", username="GroupAnonymousBot", language_code=None, is_bot=True
            )

    def _user_message(
        self,
        chat: Chat,
        text: str,
        *,
        from_id: int | None = None,
        sender_chat_id: int | None = None,
        reply_to: StoredMessage | int | None = None,
        entities: list[Entity] | None = None,
        topic: ForumTopic | None = None,
    ) -> StoredMessage:
        reply_id = reply_to.message_id if isinstance(reply_to, StoredMessage) else reply_to
        if topic is not None and reply_id is None:
            reply_id = topic.thread_id  # in a topic, a message "replies" to the topic's creation message
        found = list(entities) if entities is not None else detect_entities(text)
        sender = self.world.member(chat, from_id) if from_id is not None else Member(0, "creator")
        try:
            where = placement(
                chat, sender, topic.thread_id if topic else None, chat.messages.get(reply_id or 0)
            )
        except ApiError as exc:
            raise ValueError(f"can't post there: {exc.description}") from exc
        msg = self.world.add_message(
            chat,
            text=text,
            entities=found,
            from_id=from_id,
            sender_chat_id=sender_chat_id,
            reply_to_message_id=reply_id,
            **where,
        )
        self._deliver(chat, msg)
        return msg

    def _service_message(self, chat: Chat, by: User | None, **service: Any) -> StoredMessage:
        msg = self.world.add_message(chat, text=None, from_id=by.id if by else None, service=service)
        self._deliver(chat, msg)
        return msg

    # ---- forum topics ---------------------------------------------------------------------------------
    def create_topic(self, chat: ChatRef, by: User, name: str, *, icon_color: int = 0x6FB9F0) -> ForumTopic:
        """``by`` creates a topic in a forum (its ``forum_topic_created`` service message reaches the bot)."""
        target = self.chat(chat)
        if not target.is_forum:
            raise ValueError(f"chat {target.id} is not a forum; make it with add_forum()")
        return self.open_topic(target, by.id, name, icon_color)

    def close_topic(self, chat: ChatRef, by: User, topic: ForumTopic) -> None:
        """``by`` closes a topic: only administrators allowed to manage topics may write in it now."""
        topic.closed = True
        self.topic_event(self.chat(chat), topic, by.id, forum_topic_closed={})

    def rename_topic(self, chat: ChatRef, by: User, topic: ForumTopic, name: str) -> None:
        """``by`` renames a topic (a ``forum_topic_edited`` service message)."""
        topic.name = name
        self.topic_event(self.chat(chat), topic, by.id, forum_topic_edited={"name": name})

    def reopen_topic(self, chat: ChatRef, by: User, topic: ForumTopic) -> None:
        """``by`` reopens a closed topic."""
        topic.closed = False
        self.topic_event(self.chat(chat), topic, by.id, forum_topic_reopened={})

    def delete_topic(self, chat: ChatRef, topic: ForumTopic) -> None:
        """An administrator deletes a topic with all its messages (Telegram sends the bot no update)."""
        self.remove_topic(self.chat(chat), topic)

    def open_topic(self, chat: Chat, creator_id: int, name: str, icon_color: int) -> ForumTopic:
        """Create a topic: the service message's id becomes the topic's ``message_thread_id``."""
        msg = self.world.add_message(chat, text=None, from_id=creator_id, is_topic_message=True,
                                     by_bot=creator_id == self.world.bot_user.id,
                                     service={"forum_topic_created": {"name": name, "icon_color": icon_color}})  # fmt: skip
        msg.thread_id = msg.message_id
        topic = ForumTopic(msg.message_id, name, icon_color, created_by=creator_id)
        chat.topics[topic.thread_id] = topic
        self._deliver(chat, msg)
        return topic

    def topic_event(self, chat: Chat, topic: ForumTopic, by_id: int, **service: Any) -> StoredMessage:
        """A service message inside a topic (closed, reopened, edited)."""
        msg = self.world.add_message(chat, text=None, from_id=by_id, thread_id=topic.thread_id,
                                     is_topic_message=True, by_bot=by_id == self.world.bot_user.id,
                                     service=service)  # fmt: skip
        self._deliver(chat, msg)
        return msg

    def remove_topic(self, chat: Chat, topic: ForumTopic) -> None:
        """Delete a topic and every message in it."""
        topic.deleted = True
        for msg in chat.messages.values():
            if msg.thread_id == topic.thread_id and msg.is_topic_message:
                msg.deleted = True
        self.changed()

    def topic_messages(self, chat: ChatRef, topic: ForumTopic | None) -> list[StoredMessage]:
        """Messages in a topic (``None``: the General topic), service messages included."""
        wanted = topic.thread_id if topic is not None else None
        return [
            m for m in self.chat(chat).messages.values()
            if not m.deleted and (m.thread_id if m.is_topic_message else None) == wanted
        ]  # fmt: skip

    def bot_topic_texts(self, chat: ChatRef, topic: ForumTopic | None) -> list[str]:
        """The texts the bot sent into one topic (``None``: General), oldest first."""
        return [m.text or "" for m in self.topic_messages(chat, topic) if m.by_bot and m.text is not None]

    # ---- delivery (privacy mode) ----------------------------------------------------------------------
    def bot_sees(self, chat: Chat, msg: StoredMessage) -> bool:
        """Would Telegram deliver ``msg`` to the bot? (membership + privacy mode rules)."""
        if chat.type == "private":
            return chat.bot.status != "kicked"
        if not chat.bot.is_present:
            return False
        if chat.type == "channel" or not self.config.privacy_mode or chat.bot.is_admin or msg.service:
            return True
        replied = chat.messages.get(msg.reply_to_message_id or 0)
        if replied is not None and replied.by_bot and "forum_topic_created" not in replied.service:
            return True
        return self._addresses_bot(msg)

    def _addresses_bot(self, msg: StoredMessage) -> bool:
        """A command for this bot (bare or @thebot) at the start, or a mention of the bot."""
        text, me = msg.text or "", self.config.bot_username.lower()
        for entity in msg.entities:
            piece = text.encode("utf-16-le")[entity.offset * 2 : entity.end * 2].decode("utf-16-le")
            if entity.type == "bot_command" and entity.offset == 0:
                target = piece.partition("@")[2].lower()
                return target in ("", me)
            if entity.type == "mention" and piece[1:].lower() == me:
                return True
            if entity.type == "text_mention" and entity.user_id == self.world.bot_user.id:
                return True
        return False

    def _deliver(self, chat: Chat, msg: StoredMessage) -> None:
        if self.bot_sees(chat, msg):
            kind = "channel_post" if chat.type == "channel" else "message"
            self.updates.push(kind, message_json(msg, self.world))
        self.changed()

    # ---- buttons and inline mode ----------------------------------------------------------------------
    def press_button(
        self,
        message: StoredMessage,
        user: User,
        *,
        data: str | None = None,
        text: str | None = None,
        index: int | None = None,
    ) -> CallbackQueryRecord:
        """``user`` presses an inline button of ``message`` (chosen by callback_data, text or position)."""
        button = self._find_button(message, data=data, text=text, index=index)
        if "callback_data" not in button:
            raise ValueError(f"button {button.get('text')!r} has no callback_data")
        record = CallbackQueryRecord(
            str(next(_ids) * 1_000_003 + user.id),
            user.id,
            message.chat_id,
            message.message_id,
            button["callback_data"],
            time.monotonic(),
        )
        self.callback_queries[record.id] = record
        chat = self.chat(message.chat_id)
        payload = {
            "id": record.id,
            "from": user_json(user),
            "message": message_json(message, self.world),
            "chat_instance": str(abs(chat.id) * 7 + 13),
            "data": record.data,
        }
        self.updates.push("callback_query", payload)
        self.changed()
        return record

    @staticmethod
    def _find_button(
        message: StoredMessage, *, data: str | None, text: str | None, index: int | None
    ) -> dict[str, Any]:
        buttons = message.buttons()
        if not buttons:
            raise ValueError(f"message {message.message_id} has no inline keyboard")
        if index is not None:
            return buttons[index]
        for button in buttons:
            if (data is not None and button.get("callback_data") == data) or (
                text is not None and button.get("text") == text
            ):
                return button
        if data is None and text is None:
            return buttons[0]
        raise ValueError(f"no button with data={data!r} text={text!r} in {buttons}")

    def send_inline_query(
        self, user: User, query: str, *, offset: str = "", chat_type: str | None = "private"
    ) -> InlineQueryRecord:
        """``user`` types ``@thebot query`` in a chat; ``offset`` is the next_offset of a previous answer."""
        if not self.config.supports_inline_queries:
            raise ValueError("inline mode is off for this bot (config.supports_inline_queries)")
        record = InlineQueryRecord(
            str(next(_ids) * 1_000_003 + user.id), user.id, query[:256], offset, time.monotonic()
        )
        self.inline_queries[record.id] = record
        payload = {"id": record.id, "from": user_json(user), "query": record.query, "offset": offset}
        if chat_type:
            payload["chat_type"] = chat_type
        self.updates.push("inline_query", payload)
        self.changed()
        return record

    # ---- the bot's membership ---------------------------------------------------------------------------
    def set_bot_status(
        self, chat: Chat, status: str, *, by: User, rights: dict[str, bool] | None = None
    ) -> None:
        """Change the bot's membership and send the ``my_chat_member`` update Telegram sends."""
        old = chat.bot
        new = Member(self.world.bot_user.id, status, rights=rights or {})
        chat.bot = new
        payload = {
            "chat": chat_json(chat),
            "from": user_json(by),
            "date": now(),
            "old_chat_member": member_json(old, self.world.bot_user, chat),
            "new_chat_member": member_json(new, self.world.bot_user, chat),
        }
        self.updates.push("my_chat_member", payload)
        self.changed()

    def add_bot(
        self, chat: ChatRef, by: User, *, as_admin: bool = False, rights: dict[str, bool] | None = None
    ) -> None:
        """``by`` adds the bot to a group/channel: my_chat_member, then (groups) new_chat_members."""
        target = self.chat(chat)
        status = "administrator" if as_admin or target.type == "channel" else "member"
        chosen = rights or (full_rights(target.type) if status == "administrator" else {})
        self.set_bot_status(target, status, by=by, rights=chosen)
        if target.is_group:
            target.members.setdefault(by.id, Member(by.id, "member"))
            self._service_message(
                target,
                by,
                new_chat_members=[user_json(self.world.bot_user)],
                new_chat_member=user_json(self.world.bot_user),
                new_chat_participant=user_json(self.world.bot_user),
            )

    def kick_bot(self, chat: ChatRef, by: User) -> None:
        """``by`` removes the bot from a group/channel (later sends get 403 "bot was kicked")."""
        self.set_bot_status(self.chat(chat), "kicked", by=by)

    def promote_bot(self, chat: ChatRef, by: User, **rights: bool) -> None:
        """Make the bot an administrator (all rights unless overridden, e.g. ``can_post_messages=False``)."""
        target = self.chat(chat)
        self.set_bot_status(target, "administrator", by=by, rights=full_rights(target.type, **rights))

    def demote_bot(self, chat: ChatRef, by: User) -> None:
        """Take the bot's admin rights away (it stays a plain member)."""
        self.set_bot_status(self.chat(chat), "member", by=by)

    def block_bot(self, user: User) -> None:
        """``user`` blocks the bot: my_chat_member (member → kicked); sends now get 403."""
        self.set_bot_status(self.chat(user), "kicked", by=user)

    def unblock_bot(self, user: User) -> None:
        """``user`` unblocks (restarts) the bot: my_chat_member (kicked → member)."""
        self.set_bot_status(self.chat(user), "member", by=user)

    # ---- migration --------------------------------------------------------------------------------------
    def migrate_to_supergroup(self, group: ChatRef, by: User | None = None) -> Chat:
        """Upgrade a basic group; the old id then answers 400 with ``migrate_to_chat_id``.

        Like Telegram, the old group gets a ``migrate_to_chat_id`` service message and the new
        supergroup a ``migrate_from_chat_id`` one; both reach the bot.
        """
        old = self.chat(group)
        if old.type != "group":
            raise ValueError("only basic groups can be migrated")
        new = Chat(
            self.world.new_channel_id(),
            "supergroup",
            title=old.title,
            members={k: replace(m) for k, m in old.members.items()},
            bot=replace(old.bot),
            migrated_from=old.id,
        )
        self.world.add_chat(new)
        self._service_message(old, by, migrate_to_chat_id=new.id)
        old.migrated_to = new.id
        self._service_message(new, by, migrate_from_chat_id=old.id)
        return new
