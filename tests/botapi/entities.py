"""Message entities as Telegram reports them, measured in UTF-16 code units.

Telegram counts offsets and lengths in UTF-16 code units (an emoji outside the BMP counts 2), so every
offset computed by the fake server goes through these helpers; getting this wrong is the classic bug
that makes a bot's bold text land one character off after an emoji.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

#: Entity types that only change how text looks; auto-detected entities may overlap them.
FORMATTING_TYPES = frozenset(
    {"bold", "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote"}
)


@dataclass(frozen=True)
class Entity:
    """One MessageEntity: ``type``, ``offset`` and ``length`` in UTF-16 units, plus type-specific extras."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    user_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Render as Bot API JSON, leaving out absent optional fields like Telegram does."""
        data = {k: v for k, v in asdict(self).items() if v is not None and k != "user_id"}
        if self.user_id is not None:
            data["user"] = {"id": self.user_id, "is_bot": False, "first_name": str(self.user_id)}
        return data

    @property
    def end(self) -> int:
        """Offset just past the entity."""
        return self.offset + self.length

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entity:
        """Build from a Bot API MessageEntity dict (as sent in an ``entities`` parameter)."""
        user = data.get("user") or {}
        return cls(
            type=str(data["type"]),
            offset=int(data["offset"]),
            length=int(data["length"]),
            url=data.get("url"),
            language=data.get("language"),
            custom_emoji_id=data.get("custom_emoji_id"),
            user_id=user.get("id"),
        )


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram uses for limits and offsets."""
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` an entity covers (offset/length in UTF-16 units)."""
    raw = text.encode("utf-16-le")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Order like Telegram: by offset, longer (outer) entities first."""
    return sorted(entities, key=lambda e: (e.offset, -e.length))


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing whitespace as Telegram does, clipping entities to what is left.

    Telegram trims message text, so a bot that ends every answer with a newline still gets back (and its
    users see) the text without it; entities that end up empty are dropped.
    """
    stripped_left = text.lstrip()
    head = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    size = utf16_len(result)
    clipped: list[Entity] = []
    for ent in entities:
        start = max(ent.offset - head, 0)
        end = min(ent.end - head, size)
        if end > start:
            clipped.append(replace(ent, offset=start, length=end - start))
    return result, clipped


_DETECTORS: list[tuple[str, re.Pattern[str]]] = [
    # like tdlib: not after a word character, '/', '<' or '>' ("</b>" shown as text is no command)
    ("bot_command", re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/<>])")),
    ("email", re.compile(r"(?<![\w.@])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")),
    ("url", re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'’]")),
    ("mention", re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{3,32}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#[^\W\d_][\w]{0,255}|(?<![\w#])#\d+[^\W\d][\w]*")),
]


def _char_to_utf16(text: str) -> list[int]:
    """Map each code point index (and the end) to its UTF-16 offset."""
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


def detect_entities(text: str, existing: list[Entity] | None = None) -> list[Entity]:
    """Find the entities Telegram adds on its own: bot commands, mentions, URLs, e-mails, hashtags.

    An approximation of tdlib's detectors, good for the shapes news bots produce. Detected entities that
    overlap an explicit non-formatting entity (code, pre, text_link, ...) are skipped, like Telegram does.
    """
    existing = existing or []
    blockers = [e for e in existing if e.type not in FORMATTING_TYPES]
    to16 = _char_to_utf16(text)
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = to16[match.start()], to16[match.end()]
            if any(start < b.end and b.offset < end for b in blockers):
                continue
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(Entity(kind, start, end - start))
    return found
