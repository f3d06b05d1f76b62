"""Telegram's ``MarkdownV2`` and legacy ``Markdown`` parse modes → plain text + entities.

Follows tdlib's parsers closely enough for the errors bots actually hit: an unescaped reserved character
(``.`` ``-`` ``!`` ``(`` ...) in MarkdownV2, or an entity that is never closed, is refused with the same
"can't parse entities" text the Bot API returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from .entities import Entity, utf16_len
from .links import check_link, link_user_id

RESERVED = "_*[]()~`>#+-=|{}.!"
_CLOSERS = {
    "bold": "*",
    "italic": "_",
    "underline": "__",
    "strikethrough": "~",
    "spoiler": "||",
    "code": "`",
    "pre": "```",
    "text_link": "]",
    "custom_emoji": "]",
}
_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


class MarkdownParseError(ValueError):
    """Raised with tdlib's message; the server prefixes "Bad Request: can't parse entities: "."""


@dataclass
class _Open:
    kind: str
    offset: int
    byte_offset: int
    text_pos: int
    argument: str = ""


class _State:
    def __init__(self, source: str) -> None:
        self.src = source
        self.i = 0
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_Open] = []
        self.entities: list[Entity] = []

    def at(self, k: int = 0) -> str:
        j = self.i + k
        return self.src[j] if 0 <= j < len(self.src) else ""

    def emit(self, ch: str) -> None:
        self.out.append(ch)
        self.offset += utf16_len(ch)

    def byte(self, index: int | None = None) -> int:
        return len(self.src[: self.i if index is None else index].encode("utf-8"))


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 or raise :class:`MarkdownParseError`."""
    st = _State(source)
    while st.i < len(source):
        c = st.at()
        if c == "\\" and st.at(1) and ord(st.at(1)) <= 126:
            st.emit(st.at(1))
            st.i += 2
            continue
        top = st.stack[-1].kind if st.stack else None
        reserved = "`" if top in ("code", "pre") else RESERVED
        if c not in reserved:
            st.emit(c)
            st.i += 1
            continue
        if top is not None and source.startswith(_CLOSERS[top], st.i):
            _close_v2(st)
        else:
            _open_v2(st, c)
    if st.stack:
        top = st.stack[-1]
        raise MarkdownParseError(
            f"Can't find end of {_NAMES[top.kind]} entity at byte offset {top.byte_offset}"
        )
    return "".join(st.out), st.entities


def _open_v2(st: _State, c: str) -> None:
    start_byte = st.byte()
    if c == ">" and (st.i == 0 or st.src[st.i - 1] == "\n"):
        _blockquote_line(st)
        return
    kinds = {"*": "bold", "~": "strikethrough", "[": "text_link", "`": "code"}
    if c == "_":
        kind = "underline" if st.at(1) == "_" else "italic"
    elif c == "|" and st.at(1) == "|":
        kind = "spoiler"
    elif c == "!" and st.at(1) == "[":
        kind = "custom_emoji"
        st.i += 1
    elif c == "`" and st.at(1) == "`" and st.at(2) == "`":
        kind = "pre"
    elif c in kinds:
        kind = kinds[c]
    else:
        raise MarkdownParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
    opened = _Open(kind, st.offset, start_byte, len(st.out))
    st.i += len(_CLOSERS[kind]) if kind not in ("text_link", "custom_emoji") else 1
    if kind == "pre":
        newline = st.src.find("\n", st.i)
        if newline != -1 and all(ch.isalnum() or ch in "_-+#" for ch in st.src[st.i : newline]):
            opened.argument = st.src[st.i : newline]
            st.i = newline + 1
    st.stack.append(opened)


def _close_v2(st: _State) -> None:
    opened = st.stack.pop()
    st.i += len(_CLOSERS[opened.kind])
    length = st.offset - opened.offset
    if opened.kind in ("text_link", "custom_emoji"):
        url = _read_url(st) if st.at() == "(" else "".join(st.out[opened.text_pos :])
        if length > 0:
            _add_link(st.entities, opened, length, url)
        return
    if length > 0:
        language = opened.argument or None
        st.entities.append(Entity(opened.kind, opened.offset, length, language=language))


def _read_url(st: _State) -> str:
    start = st.byte()
    st.i += 1
    url: list[str] = []
    while st.at() not in (")", ""):
        if st.at() == "\\" and st.at(1):
            st.i += 1
        url.append(st.at())
        st.i += 1
    if st.at() != ")":
        raise MarkdownParseError(f"Can't find end of a URL at byte offset {start}")
    st.i += 1
    return "".join(url)


def _add_link(entities: list[Entity], opened: _Open, length: int, url: str) -> None:
    if opened.kind == "custom_emoji":
        emoji_id = url.rsplit("id=", 1)[-1]
        if not url.startswith("tg://emoji?id=") or not emoji_id.isdigit():
            raise MarkdownParseError("Custom emoji entity must contain a tg://emoji URL")
        entities.append(Entity("custom_emoji", opened.offset, length, custom_emoji_id=emoji_id))
        return
    user_id = link_user_id(url)
    if user_id is not None:
        entities.append(Entity("text_mention", opened.offset, length, user_id=user_id))
    elif (checked := check_link(url)) is not None:
        entities.append(Entity("text_link", opened.offset, length, url=checked))


def _blockquote_line(st: _State) -> None:
    """``>`` at a line start: the line (and following ``>`` lines) form one blockquote."""
    start = st.offset
    while st.at() == ">" and (st.i == 0 or st.src[st.i - 1] == "\n"):
        st.i += 1
        end = st.src.find("\n", st.i)
        line_end = len(st.src) if end == -1 else end
        inner, inner_entities = parse_markdown_v2(st.src[st.i : line_end])
        base = st.offset
        st.entities.extend(
            Entity(e.type, e.offset + base, e.length, e.url, e.language, e.custom_emoji_id, e.user_id)
            for e in inner_entities
        )
        for ch in inner:
            st.emit(ch)
        st.i = line_end
        if st.at() == "\n" and st.at(1) == ">":
            st.emit("\n")
            st.i += 1
    if st.offset > start:
        st.entities.append(Entity("blockquote", start, st.offset - start))


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Legacy Markdown: ``*bold*``, ``_italic_``, ```code```, ``[text](url)``; nothing else is special."""
    st = _State(source)
    kinds = {"*": "bold", "_": "italic", "`": "code", "[": "text_link"}
    while st.i < len(source):
        c = st.at()
        if c == "\\" and st.at(1) in kinds:
            st.emit(st.at(1))
            st.i += 2
            continue
        if c not in kinds:
            st.emit(c)
            st.i += 1
            continue
        _markdown_entity(st, c, kinds[c])
    return "".join(st.out), st.entities


def _markdown_entity(st: _State, c: str, kind: str) -> None:
    begin = st.byte()
    if kind == "code" and st.src.startswith("```", st.i):
        kind, c = "pre", "```"
    st.i += len(c)
    closer = "]" if kind == "text_link" else c
    end = st.src.find(closer, st.i)
    if end == -1:
        raise MarkdownParseError(f"Can't find end of the entity starting at byte offset {begin}")
    inner = st.src[st.i : end]
    st.i = end + len(closer)
    start = st.offset
    for ch in inner:
        st.emit(ch)
    if kind == "text_link":
        url = inner
        if st.at() == "(":
            close = st.src.find(")", st.i)
            if close != -1:
                url = st.src[st.i + 1 : close]
                st.i = close + 1
        if st.offset > start and (checked := check_link(url)) is not None:
            st.entities.append(Entity("text_link", start, st.offset - start, url=checked))
    elif st.offset > start:
        st.entities.append(Entity(kind, start, st.offset - start))
