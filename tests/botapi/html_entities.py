"""Telegram's ``parse_mode=HTML``: HTML → plain text + entities, refusing what Telegram refuses.

A line-by-line port of tdlib's ``parse_html`` (the code behind the Bot API), so error texts and leniency
match the real service: only the listed tags are allowed, a stray ``<`` is an error, while a stray ``&``
or an unknown named entity like ``&nbsp;`` is kept literally (Telegram does not refuse those either).
Blockquotes may not nest (Bot API rule, checked after parsing).
"""

from __future__ import annotations

from dataclasses import dataclass

from .entities import Entity, utf16_len
from .links import check_link, link_user_id

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v\f"


class HtmlParseError(ValueError):
    """Raised with tdlib's message; the server prefixes it with "Bad Request: can't parse entities: "."""


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the output text
    text_pos: int  # index in the output text (code points)
    expandable: bool = False


class _Cursor:
    """Index into the source with tdlib's NUL-terminated-string semantics (``""`` past the end)."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.i = 0

    def ch(self, delta: int = 0) -> str:
        j = self.i + delta
        return self.src[j] if j < len(self.src) else ""

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def is_space(self) -> bool:
        c = self.ch()
        return c == "" or c in _SPACES

    def skip_spaces(self) -> None:
        while self.ch() != "" and self.ch() in _SPACES:
            self.i += 1


def decode_entity(src: str, pos: int) -> tuple[str, int] | None:
    """Decode an HTML entity at ``src[pos] == '&'``; return (char, next pos) or None to keep '&' as text."""
    end = pos + 1

    def at(k: int) -> str:
        return src[k] if k < len(src) else ""

    if at(end) == "#":
        end += 1
        value = 0
        digits = "0123456789abcdefABCDEF" if at(end) == "x" else "0123456789"
        base = 16 if at(end) == "x" else 10
        if base == 16:
            end += 1
        while at(end) != "" and at(end) in digits:
            value = value * base + int(at(end), base)
            end += 1
            if value >= 0x10FFFF:
                return None
        if value == 0 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while at(end).isascii() and at(end).isalpha():
            end += 1
        name = src[pos + 1 : end]
        if name not in _NAMED:
            return None
        char = _NAMED[name]
    return char, end + 1 if at(end) == ";" else end


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Return (plain text, entities) for an HTML-formatted message, or raise :class:`HtmlParseError`."""
    cur = _Cursor(source)
    out: list[str] = []
    offset = 0
    stack: list[_Open] = []
    entities: list[Entity] = []
    while cur.i < len(source):
        c = cur.ch()
        if c == "&":
            decoded = decode_entity(source, cur.i)
            if decoded is not None:
                out.append(decoded[0])
                offset += utf16_len(decoded[0])
                cur.i = decoded[1]
                continue
        if c != "<":
            out.append(c)
            offset += utf16_len(c)
            cur.i += 1
            continue
        begin = cur.i
        cur.i += 1
        if cur.ch() != "/":
            stack.append(_read_start_tag(cur, begin, offset, len(out)))
        else:
            _close_tag(cur, begin, stack, entities, offset, out)
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    _check_blockquotes(entities)
    return "".join(out), entities


def _read_start_tag(cur: _Cursor, begin: int, offset: int, text_pos: int) -> _Open:
    """Parse ``<tag attr="v" ...>`` starting just after '<'; cursor ends after '>'."""
    while not cur.is_space() and cur.ch() != ">":
        cur.i += 1
    if cur.ch() == "":
        raise HtmlParseError(f"Unclosed start tag at byte offset {cur.byte_offset(begin)}")
    tag = cur.src[begin + 1 : cur.i].lower()
    if tag not in ALLOWED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {cur.byte_offset(begin)}')
    opened = _Open(tag, "", offset, text_pos)
    while cur.ch() != ">":
        cur.skip_spaces()
        if cur.ch() == ">":
            break
        _read_attribute(cur, begin, opened)
    cur.i += 1
    if tag == "span" and opened.argument != "spoiler":
        raise HtmlParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {cur.byte_offset(begin)}'
        )
    return opened


def _read_attribute(cur: _Cursor, begin: int, opened: _Open) -> None:
    """Parse one ``name=value`` (or bare ``expandable``) and store what matters for the tag."""
    name_begin = cur.i
    while not cur.is_space() and cur.ch() not in ("=", ">"):
        cur.i += 1
    name = cur.src[name_begin : cur.i]
    if not name:
        raise HtmlParseError(
            f'Empty attribute name in the tag "{opened.tag}" at byte offset {cur.byte_offset(begin)}'
        )
    cur.skip_spaces()
    if cur.ch() != "=":
        if opened.tag == "blockquote" and name == "expandable":
            opened.expandable = True
            return
        raise HtmlParseError(
            f'Expected equal sign in declaration of an attribute of the tag "{opened.tag}" '
            f"at byte offset {cur.byte_offset(begin)}"
        )
    cur.i += 1
    cur.skip_spaces()
    if cur.ch() == "":
        raise HtmlParseError(f'Unclosed start tag "{opened.tag}" at byte offset {cur.byte_offset(begin)}')
    value = _read_value(cur)
    if cur.ch() == "":
        raise HtmlParseError(f"Unclosed start tag at byte offset {cur.byte_offset(begin)}")
    _apply_attribute(opened, name, value)


def _read_value(cur: _Cursor) -> str:
    """An attribute value: quoted string (entities decoded) or an unquoted name token (lower-cased)."""
    if cur.ch() not in ("'", '"') or cur.ch() == "":
        start = cur.i
        while cur.ch() != "" and ((cur.ch().isascii() and cur.ch().isalnum()) or cur.ch() in ".-"):
            cur.i += 1
        if not cur.is_space() and cur.ch() != ">":
            raise HtmlParseError(f"Unexpected end of name token at byte offset {cur.byte_offset(start)}")
        return cur.src[start : cur.i].lower()
    quote = cur.ch()
    cur.i += 1
    value: list[str] = []
    while cur.ch() != quote and cur.ch() != "":
        if cur.ch() == "&":
            decoded = decode_entity(cur.src, cur.i)
            if decoded is not None:
                value.append(decoded[0])
                cur.i = decoded[1]
                continue
        value.append(cur.ch())
        cur.i += 1
    if cur.ch() == quote:
        cur.i += 1
    return "".join(value)


def _apply_attribute(opened: _Open, name: str, value: str) -> None:
    """Keep the one attribute each tag cares about; Telegram ignores all others."""
    if opened.tag == "a" and name == "href":
        opened.argument = value
    elif opened.tag == "code" and name == "class" and value.startswith("language-"):
        opened.argument = value[len("language-") :]
    elif opened.tag == "span" and name == "class" and value.startswith("tg-"):
        opened.argument = value[len("tg-") :]
    elif opened.tag == "tg-emoji" and name == "emoji-id":
        opened.argument = value
    elif opened.tag == "blockquote" and name == "expandable":
        opened.expandable = True


def _close_tag(
    cur: _Cursor, begin: int, stack: list[_Open], entities: list[Entity], offset: int, out: list[str]
) -> None:
    """Parse ``</tag>`` and turn the matching open tag into an entity (if it covers any text)."""
    if not stack:
        raise HtmlParseError(f"Unexpected end tag at byte offset {cur.byte_offset(begin)}")
    while not cur.is_space() and cur.ch() != ">":
        cur.i += 1
    end_name = cur.src[begin + 2 : cur.i]
    while cur.ch() != "" and cur.ch() in _SPACES:
        cur.i += 1
    if cur.ch() != ">":
        raise HtmlParseError(f"Unclosed end tag at byte offset {cur.byte_offset(begin)}")
    cur.i += 1
    opened = stack.pop()
    if end_name and end_name != opened.tag:
        raise HtmlParseError(
            f"Unmatched end tag at byte offset {cur.byte_offset(begin)}, "
            f'expected "</{opened.tag}>", found "</{end_name}>"'
        )
    if offset > opened.offset:
        _add_entity(opened, offset - opened.offset, entities, "".join(out[opened.text_pos :]))


def _add_entity(opened: _Open, length: int, entities: list[Entity], inner_text: str) -> None:
    """Map a closed tag to its entity, merging <pre><code class=...> into one ``pre`` with a language."""
    tag, start = opened.tag, opened.offset
    if tag in _SIMPLE or (tag == "span" and opened.argument == "spoiler"):
        entities.append(Entity(_SIMPLE.get(tag, "spoiler"), start, length))
    elif tag == "tg-emoji":
        if not opened.argument.isdigit() or int(opened.argument) == 0:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entities.append(Entity("custom_emoji", start, length, custom_emoji_id=opened.argument))
    elif tag == "a":
        _add_link(opened.argument or inner_text, start, length, entities)
    elif tag == "pre":
        last = entities[-1] if entities else None
        if last and last.type == "code" and (last.offset, last.length) == (start, length) and last.language:
            entities[-1] = Entity("pre", start, length, language=last.language)
        else:
            entities.append(Entity("pre", start, length))
    elif tag == "code":
        last = entities[-1] if entities else None
        if last and last.type == "pre" and (last.offset, last.length) == (start, length) and opened.argument:
            entities[-1] = Entity("pre", start, length, language=opened.argument)
        else:
            entities.append(Entity("code", start, length, language=opened.argument or None))
    elif tag == "blockquote":
        kind = "expandable_blockquote" if opened.expandable else "blockquote"
        entities.append(Entity(kind, start, length))


def _add_link(href: str, start: int, length: int, entities: list[Entity]) -> None:
    """``<a href>`` becomes text_mention (tg://user?id=), text_link, or nothing for an invalid URL."""
    user_id = link_user_id(href)
    if user_id is not None:
        entities.append(Entity("text_mention", start, length, user_id=user_id))
        return
    url = check_link(href)
    if url is not None:
        entities.append(Entity("text_link", start, length, url=url))


def _check_blockquotes(entities: list[Entity]) -> None:
    """Blockquotes cannot be nested in each other."""
    quotes = [e for e in entities if e.type in ("blockquote", "expandable_blockquote")]
    for outer in quotes:
        for inner in quotes:
            if inner is not outer and outer.offset <= inner.offset and inner.end <= outer.end:
                raise HtmlParseError("Blockquote entities can't be nested")
